// All tensors of a Hugging Face checkpoint directory: model.safetensors.index.json and its
// shards, or a single model.safetensors. Each shard is mapped once; views are zero-copy.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/safetensors_file.h"

namespace nhb::io {

class SafetensorsCheckpoint {
 public:
  // Validates the index against the shards both ways: every weight_map file must be a plain
  // relative path that stays inside `dir` (no absolute paths, "..", or symlinks leading out) and
  // exists; every indexed tensor must be in its shard and every shard tensor in the index.
  static SafetensorsCheckpoint open(const std::filesystem::path& dir);

  SafetensorsCheckpoint(SafetensorsCheckpoint&&) = default;
  SafetensorsCheckpoint& operator=(SafetensorsCheckpoint&&) = default;

  const std::filesystem::path& dir() const { return dir_; }
  bool hasIndex() const { return hasIndex_; }
  const std::vector<std::string>& names() const { return names_; }  // sorted
  std::size_t size() const { return names_.size(); }
  bool contains(const std::string& name) const { return location_.count(name) != 0; }
  // Views into the mappings; BadInput naming the directory and tensor when absent.
  TensorView view(const std::string& name) const;
  const SafetensorsEntry& entry(const std::string& name) const;
  // The shard file name (relative to dir) holding `name`.
  const std::string& fileOf(const std::string& name) const;
  const SafetensorsFile& file(const std::string& fileName) const;
  std::vector<std::string> fileNames() const;  // shard files, sorted
  // The index's "metadata" object ({} without an index or when absent).
  const Json& indexMetadata() const { return indexMetadata_; }
  std::uint64_t totalTensorBytes() const;  // sum over all tensors

 private:
  SafetensorsCheckpoint() = default;
  struct Location {
    const SafetensorsFile* file = nullptr;
    const std::string* fileName = nullptr;
  };
  const Location& locate(const std::string& name) const;

  std::filesystem::path dir_;
  bool hasIndex_ = false;
  Json indexMetadata_ = Json::object();
  std::map<std::string, std::unique_ptr<SafetensorsFile>> files_;  // by relative file name
  std::map<std::string, Location> location_;
  std::vector<std::string> names_;
};

}  // namespace nhb::io
