#include "bridge/config/json_read.h"

#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "bridge/core/error.h"

namespace nhb::config {

namespace {

// Replaces bare Infinity/-Infinity/NaN tokens outside strings with marker strings.
std::string quoteNonFiniteTokens(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
      out += c;
      continue;
    }
    auto startsWith = [&](const char* token) { return text.compare(i, std::strlen(token), token) == 0; };
    if (startsWith("-Infinity")) {
      out += std::string("\"") + kNegInfinityMarker + "\"";
      i += std::strlen("-Infinity") - 1;
    } else if (startsWith("Infinity")) {
      out += std::string("\"") + kInfinityMarker + "\"";
      i += std::strlen("Infinity") - 1;
    } else if (startsWith("NaN")) {
      out += std::string("\"") + kNanMarker + "\"";
      i += std::strlen("NaN") - 1;
    } else {
      out += c;
    }
  }
  return out;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

Json parseConfigText(const std::string& text, const std::string& source) {
  try {
    return Json::parse(quoteNonFiniteTokens(text));
  } catch (const nlohmann::json::parse_error& error) {
    badInput(source + ": malformed JSON: " + error.what());
  }
}

Json readConfigFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, path.string() + ": cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(ErrorKind::Io, path.string() + ": read failed");
  return parseConfigText(buffer.str(), path.string());
}

std::string dumpConfigJson(const Json& json, int indent) {
  std::string text = json.dump(indent);
  replaceAll(text, std::string("\"") + kNegInfinityMarker + "\"", "-Infinity");
  replaceAll(text, std::string("\"") + kInfinityMarker + "\"", "Infinity");
  replaceAll(text, std::string("\"") + kNanMarker + "\"", "NaN");
  return text;
}

void writeConfigFileAtomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::Io, temporary.string() + ": cannot open for writing");
    out << text;
    out.flush();
    if (!out) fail(ErrorKind::Io, temporary.string() + ": write failed");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    fail(ErrorKind::Io, path.string() + ": cannot rename temporary file into place: " + error.message());
  }
}

void writeConfigFile(const std::filesystem::path& path, const Json& json) {
  writeConfigFileAtomically(path, dumpConfigJson(json, 2) + "\n");
}

std::string jsonTypeName(const Json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == kInfinityMarker || s == kNegInfinityMarker || s == kNanMarker) return "number";
  }
  return value.type_name();
}

int64_t jsonToInt(const Json& value, const std::string& where) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      badInput(where + ": integer out of range");
    }
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) return static_cast<int64_t>(d);
    badInput(where + ": expected an integer, got " + value.dump());
  }
  badInput(where + ": expected an integer, got " + jsonTypeName(value) + " " + value.dump());
}

double jsonToDouble(const Json& value, const std::string& where) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == kInfinityMarker) return std::numeric_limits<double>::infinity();
    if (s == kNegInfinityMarker) return -std::numeric_limits<double>::infinity();
    if (s == kNanMarker) return std::numeric_limits<double>::quiet_NaN();
  }
  badInput(where + ": expected a number, got " + jsonTypeName(value) + " " + value.dump());
}

bool jsonToBool(const Json& value, const std::string& where) {
  if (value.is_boolean()) return value.get<bool>();
  badInput(where + ": expected true or false, got " + jsonTypeName(value) + " " + value.dump());
}

std::string jsonToString(const Json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  badInput(where + ": expected a string, got " + jsonTypeName(value) + " " + value.dump());
}

bool FieldReader::has(const std::string& key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

void FieldReader::fieldError(const std::string& key, const std::string& what) const {
  badInput(source_ + ": field '" + key + "': " + what);
}

std::optional<int64_t> FieldReader::optInt(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return jsonToInt(object_.at(key), source_ + ": field '" + key + "'");
}

std::optional<double> FieldReader::optDouble(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return jsonToDouble(object_.at(key), source_ + ": field '" + key + "'");
}

std::optional<bool> FieldReader::optBool(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return jsonToBool(object_.at(key), source_ + ": field '" + key + "'");
}

std::optional<std::string> FieldReader::optString(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return jsonToString(object_.at(key), source_ + ": field '" + key + "'");
}

}  // namespace nhb::config
