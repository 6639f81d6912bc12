#include "bridge/io/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_set>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

constexpr const char* kMetadataKey = "__metadata__";

std::string quoteName(const std::string& name) { return "'" + name + "'"; }

// Parses the header text into a key-sorted json (std::map: O(n log n) even for tens of
// thousands of tensors, where ordered_json's linear lookups would be quadratic), noting the first
// repeated top-level key (the parser would silently keep only one of them, hiding a tensor).
nlohmann::json parseJsonObject(std::string_view text, const std::string& source) {
  std::unordered_set<std::string> keys;
  std::optional<std::string> duplicate;
  auto noteKeys = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key && !duplicate) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.insert(key).second) duplicate = key;
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text.begin(), text.end(), noteKeys);
  } catch (const nlohmann::json::exception& error) {
    badInput(source + ": safetensors header is not valid JSON: " + error.what());
  }
  if (!header.is_object())
    badInput(source + ": safetensors header is not a JSON object (it is " +
             std::string(header.type_name()) + ")");
  if (duplicate) badInput(source + ": safetensors header lists " + quoteName(*duplicate) + " twice");
  return header;
}

template <class AnyJson>
Json parseMetadata(const AnyJson& value, const std::string& source) {
  if (!value.is_object())
    badInput(source + ": __metadata__ must be an object of strings, not " +
             std::string(value.type_name()));
  for (const auto& [key, item] : value.items())
    if (!item.is_string())
      badInput(source + ": __metadata__ value " + quoteName(key) + " must be a string, not " +
               std::string(item.type_name()));
  return Json(value);
}

const nlohmann::json& requireField(const nlohmann::json& entry, const char* field, const std::string& where) {
  auto it = entry.find(field);
  if (it == entry.end()) badInput(where + ": missing \"" + field + "\"");
  return *it;
}

SafetensorsEntry parseEntry(const std::string& name, const nlohmann::json& entry, std::uint64_t dataSize,
                            const std::string& where) {
  if (!entry.is_object())
    badInput(where + ": entry must be an object, not " + std::string(entry.type_name()));
  SafetensorsEntry out;
  out.name = name;

  const nlohmann::json& dtype = requireField(entry, "dtype", where);
  if (!dtype.is_string()) badInput(where + ": \"dtype\" must be a string");
  const auto& dtypeName = dtype.get_ref<const std::string&>();
  auto parsedDtype = dtypeFromSafetensorsName(dtypeName);
  if (!parsedDtype) badInput(where + ": unknown dtype \"" + dtypeName + "\"");
  out.dtype = *parsedDtype;

  const nlohmann::json& shape = requireField(entry, "shape", where);
  if (!shape.is_array()) badInput(where + ": \"shape\" must be an array of integers");
  for (const nlohmann::json& dim : shape) {
    if (dim.is_number_unsigned()) {
      auto value = dim.get<std::uint64_t>();
      if (value > static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max()))
        badInput(where + ": shape dimension " + std::to_string(value) + " overflows int64");
      out.shape.push_back(static_cast<int64_t>(value));
    } else if (dim.is_number_integer()) {
      auto value = dim.get<int64_t>();
      if (value < 0) badInput(where + ": negative dimension " + std::to_string(value) + " in shape");
      out.shape.push_back(value);
    } else {
      badInput(where + ": \"shape\" must be an array of integers, found " + dim.dump());
    }
  }
  std::uint64_t numel = 0;
  withContext(where, [&] { numel = static_cast<std::uint64_t>(numelChecked(out.shape)); });
  const std::uint64_t item = itemSize(out.dtype);
  if (numel > std::numeric_limits<std::uint64_t>::max() / item)
    badInput(where + ": shape " + shapeToString(out.shape) + " overflows the byte size");
  const std::uint64_t expectedBytes = numel * item;

  const nlohmann::json& offsets = requireField(entry, "data_offsets", where);
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    badInput(where + ": \"data_offsets\" must be [begin, end] with non-negative integers, found " +
             offsets.dump());
  out.dataBegin = offsets[0].get<std::uint64_t>();
  out.dataEnd = offsets[1].get<std::uint64_t>();
  if (out.dataBegin > out.dataEnd)
    badInput(where + ": data_offsets [" + std::to_string(out.dataBegin) + ", " +
             std::to_string(out.dataEnd) + "] are reversed");
  if (out.dataEnd > dataSize)
    badInput(where + ": data_offsets [" + std::to_string(out.dataBegin) + ", " +
             std::to_string(out.dataEnd) + "] exceed the data section of " +
             std::to_string(dataSize) + " bytes");
  if (out.nbytes() != expectedBytes)
    badInput(where + ": shape " + shapeToString(out.shape) + " of " + dtypeName + " needs " +
             std::to_string(expectedBytes) + " bytes but data_offsets span " +
             std::to_string(out.nbytes()));
  return out;
}

// The data section must be covered exactly once: no overlaps, no gaps, nothing left over.
void checkCoverage(const std::vector<SafetensorsEntry>& sorted, std::uint64_t dataSize,
                   const std::string& source) {
  std::uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const auto& entry : sorted) {
    if (entry.dataBegin < covered)
      badInput(source + ": tensor " + quoteName(entry.name) + " at bytes [" +
               std::to_string(entry.dataBegin) + ", " + std::to_string(entry.dataEnd) +
               ") overlaps tensor " + quoteName(previous->name) + " ending at " +
               std::to_string(covered));
    if (entry.dataBegin > covered)
      badInput(source + ": gap of " + std::to_string(entry.dataBegin - covered) +
               " unused bytes in the data section before tensor " + quoteName(entry.name) +
               " (at " + std::to_string(covered) + ")");
    covered = entry.dataEnd;
    previous = &entry;
  }
  if (covered != dataSize)
    badInput(source + ": " + std::to_string(dataSize - covered) +
             " unused trailing bytes after the last tensor (data section is " +
             std::to_string(dataSize) + " bytes, tensors cover " + std::to_string(covered) + ")");
}

}  // namespace

std::size_t TensorSpec::nbytes() const {
  auto numel = static_cast<std::uint64_t>(withContext("tensor " + quoteName(name), [&] {
    return numelChecked(shape);
  }));
  const std::uint64_t item = itemSize(dtype);
  if (numel > std::numeric_limits<std::size_t>::max() / item)
    badInput("tensor " + quoteName(name) + ": shape " + shapeToString(shape) +
             " overflows the byte size");
  return static_cast<std::size_t>(numel * item);
}

SafetensorsHeader parseSafetensorsHeader(std::string_view headerJson, std::uint64_t dataSize,
                                         const std::string& source) {
  nlohmann::json header = parseJsonObject(headerJson, source);
  SafetensorsHeader out;
  out.entries.reserve(header.size());
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      out.metadata = parseMetadata(value, source);
      continue;
    }
    out.entries.push_back(parseEntry(name, value, dataSize, source + ": tensor " + quoteName(name)));
  }
  std::sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) {
    if (a.dataBegin != b.dataBegin) return a.dataBegin < b.dataBegin;
    if (a.dataEnd != b.dataEnd) return a.dataEnd < b.dataEnd;  // empty tensors first
    return a.name < b.name;
  });
  checkCoverage(out.entries, dataSize, source);
  return out;
}

void sortForNaturalAlignment(std::vector<TensorSpec>& specs) {
  std::stable_sort(specs.begin(), specs.end(), [](const TensorSpec& a, const TensorSpec& b) {
    return itemSize(a.dtype) > itemSize(b.dtype);
  });
}

std::string serializeSafetensorsHeader(const std::vector<TensorSpec>& specs, const Json& metadata) {
  // Built by hand: compact JSON like the reference writer, linear in the number of tensors.
  std::string json = "{";
  if (!metadata.is_null() && !metadata.empty())
    json += "\"__metadata__\":" + parseMetadata(metadata, "safetensors writer").dump();
  std::unordered_set<std::string> seen;
  std::uint64_t offset = 0;
  for (const auto& spec : specs) {
    if (spec.name == kMetadataKey)
      badInput("safetensors writer: a tensor cannot be named \"__metadata__\"");
    if (!seen.insert(spec.name).second)
      badInput("safetensors writer: tensor " + quoteName(spec.name) + " is listed twice");
    const std::uint64_t bytes = spec.nbytes();
    if (json.size() > 1) json += ',';
    json += Json(spec.name).dump();
    json += ":{\"dtype\":\"";
    json += safetensorsName(spec.dtype);
    json += "\",\"shape\":[";
    for (std::size_t i = 0; i < spec.shape.size(); ++i) {
      if (i) json += ',';
      json += std::to_string(spec.shape[i]);
    }
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," +
            std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');  // data section starts 8-byte aligned

  std::string out(8, '\0');
  const std::uint64_t length = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  out += json;
  return out;
}

}  // namespace nhb::io
