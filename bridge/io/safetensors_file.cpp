#include "bridge/io/safetensors_file.h"

#include <cstring>

#include "bridge/core/error.h"

namespace nhb::io {

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string source = path.string();
  SafetensorsFile out;
  out.file_ = MappedFile::open(path);
  const std::uint64_t fileSize = out.file_.size();
  if (fileSize < 8)
    badInput(source + ": file is " + std::to_string(fileSize) +
             " bytes, shorter than the 8-byte safetensors header length");

  std::uint64_t headerLength = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(out.file_.data());
  for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | bytes[i];  // little-endian
  if (headerLength > kMaxSafetensorsHeaderBytes)
    badInput(source + ": header length " + std::to_string(headerLength) +
             " exceeds the 100 MB limit");
  if (headerLength > fileSize - 8)
    badInput(source + ": header length " + std::to_string(headerLength) +
             " extends beyond the end of the file (" + std::to_string(fileSize) + " bytes)");

  out.dataOffset_ = 8 + headerLength;
  std::string_view headerText(reinterpret_cast<const char*>(bytes + 8), headerLength);
  out.header_ = parseSafetensorsHeader(headerText, fileSize - out.dataOffset_, source);
  out.byName_.reserve(out.header_.entries.size());
  for (std::size_t i = 0; i < out.header_.entries.size(); ++i)
    out.byName_.emplace(out.header_.entries[i].name, i);
  return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) badInput(path().string() + ": no tensor '" + name + "'");
  return header_.entries[it->second];
}

TensorView SafetensorsFile::view(const std::string& name) const {
  const SafetensorsEntry& found = entry(name);
  TensorView out;
  out.dtype = found.dtype;
  out.shape = found.shape;
  out.nbytes = static_cast<std::size_t>(found.nbytes());
  // Empty tensors may sit at the very end of an otherwise empty mapping: no pointer arithmetic
  // past what exists.
  out.data = file_.data() ? file_.data() + dataOffset_ + found.dataBegin : nullptr;
  return out;
}

}  // namespace nhb::io
