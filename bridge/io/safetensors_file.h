// Zero-copy reader for one .safetensors file: the header is parsed and validated once, tensor
// views point into a read-only memory mapping.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/mapped_file.h"
#include "bridge/io/safetensors_header.h"

namespace nhb::io {

class SafetensorsFile {
 public:
  // Throws BadInput (malformed file; the message names the file and the tensor or field) or Io.
  static SafetensorsFile open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<SafetensorsEntry>& entries() const { return header_.entries; }  // offset order
  bool contains(const std::string& name) const { return byName_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;  // BadInput when absent
  // A view into the mapping, valid while this object lives. BadInput naming file and tensor when
  // absent.
  TensorView view(const std::string& name) const;
  const Json& metadata() const { return header_.metadata; }  // "__metadata__", {} when absent
  std::uint64_t dataOffset() const { return dataOffset_; }    // start of the data section

 private:
  SafetensorsFile() = default;

  MappedFile file_;
  SafetensorsHeader header_;
  std::uint64_t dataOffset_ = 0;
  std::unordered_map<std::string, std::size_t> byName_;
};

}  // namespace nhb::io
