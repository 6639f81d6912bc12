// Typed reads of JSON config fields with errors that name the file and the field. Shared by the
// HF config parser, megatron_config.json and Megatron args readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace nhb::config {

using Json = nlohmann::ordered_json;

// Python's json module writes non-finite floats as bare Infinity / -Infinity / NaN, which strict
// JSON parsers reject (Ultra's time_step_limit is [0.0, Infinity]). parseConfigText turns them
// into these marker strings; readNumber understands them and dumpConfigJson writes them back bare.
inline constexpr const char* kInfinityMarker = "__nhb_Infinity__";
inline constexpr const char* kNegInfinityMarker = "__nhb_-Infinity__";
inline constexpr const char* kNanMarker = "__nhb_NaN__";

// Parses JSON text (BadInput naming `source` with line/column context on malformed input).
Json parseConfigText(const std::string& text, const std::string& source);
Json readConfigFile(const std::filesystem::path& path);
// Serializes like Python's json.dumps(indent=...): non-finite markers written bare.
std::string dumpConfigJson(const Json& json, int indent = 2);
// Writes `json` to `path` through a temporary file and a rename.
void writeConfigFileAtomically(const std::filesystem::path& path, const std::string& text);
// dumpConfigJson(json, 2) and a final newline, written atomically: how every JSON file nhbridge
// writes (config.json, conversion records, provider configs) keeps Python's bare Infinity/NaN.
void writeConfigFile(const std::filesystem::path& path, const Json& json);

class FieldReader {
 public:
  FieldReader(const Json& object, std::string source) : object_(object), source_(std::move(source)) {}

  bool has(const std::string& key) const;  // present and not null
  bool hasKey(const std::string& key) const { return object_.contains(key); }
  const Json& at(const std::string& key) const { return object_.at(key); }
  const std::string& source() const { return source_; }

  std::optional<int64_t> optInt(const std::string& key) const;
  std::optional<double> optDouble(const std::string& key) const;
  std::optional<bool> optBool(const std::string& key) const;
  std::optional<std::string> optString(const std::string& key) const;

  int64_t getInt(const std::string& key, int64_t fallback) const { return optInt(key).value_or(fallback); }
  double getDouble(const std::string& key, double fallback) const { return optDouble(key).value_or(fallback); }
  bool getBool(const std::string& key, bool fallback) const { return optBool(key).value_or(fallback); }
  std::string getString(const std::string& key, std::string fallback) const {
    return optString(key).value_or(std::move(fallback));
  }

  [[noreturn]] void fieldError(const std::string& key, const std::string& what) const;

 private:
  const Json& object_;
  std::string source_;
};

// Value conversions used by FieldReader and the provider field table; `where` names file + field.
int64_t jsonToInt(const Json& value, const std::string& where);
double jsonToDouble(const Json& value, const std::string& where);
bool jsonToBool(const Json& value, const std::string& where);
std::string jsonToString(const Json& value, const std::string& where);
std::string jsonTypeName(const Json& value);

}  // namespace nhb::config
