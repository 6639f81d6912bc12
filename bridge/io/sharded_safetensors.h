// Writes a Hugging Face sharded checkpoint (peers-and-formats.md §3.2): tensors are assigned to
// shards in order without ever splitting one, shard files are written one at a time through
// SafetensorsWriter, and finish() writes model.safetensors.index.json. Memory stays bounded by
// the one tensor the caller is writing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/safetensors_header.h"
#include "bridge/io/safetensors_writer.h"

namespace nhb::io {

inline constexpr const char* kSafetensorsIndexName = "model.safetensors.index.json";
inline constexpr const char* kSingleSafetensorsName = "model.safetensors";

// "model-00001-of-00004.safetensors" (index 0-based, as HF: at least 5 digits).
std::string shardFileName(std::size_t index, std::size_t count);

struct ShardPlan {
  std::string fileName;
  std::vector<TensorSpec> tensors;  // in write order
  std::uint64_t tensorBytes = 0;    // sum of tensor sizes (no header)
};

struct ShardedWriterOptions {
  std::uint64_t maxShardBytes = 5ull * 1000 * 1000 * 1000;  // HF default "5GB"
  Json metadata = Json{{"format", "pt"}};  // "__metadata__" of every shard file
  bool alwaysWriteIndex = false;  // write an index (and model-00001-of-00001) even for one shard
  bool overwrite = false;         // replace existing shard / index files
};

class ShardedSafetensorsWriter {
 public:
  ShardedSafetensorsWriter(std::filesystem::path outputDir, ShardedWriterOptions options);
  ShardedSafetensorsWriter(std::filesystem::path outputDir, std::uint64_t maxShardBytes,
                           Json metadata = Json{{"format", "pt"}});
  ~ShardedSafetensorsWriter();
  ShardedSafetensorsWriter(ShardedSafetensorsWriter&&) noexcept;
  ShardedSafetensorsWriter& operator=(ShardedSafetensorsWriter&&) noexcept;

  // Greedy in order: a shard is closed when the next tensor would push it past maxShardBytes; a
  // tensor larger than the limit gets a shard of its own. Names must be unique (BadInput).
  void plan(std::vector<TensorSpec> specs);
  // Explicit tensor -> file name assignment (to reproduce a reference checkpoint's layout).
  // Files are written in order of first appearance, tensors within a file in the given order;
  // writeOrder() gives the resulting order. File names must be plain names ending in
  // ".safetensors"; the index is written when there is more than one file, when the single file
  // is not "model.safetensors", or when alwaysWriteIndex.
  void planAssigned(std::vector<std::pair<TensorSpec, std::string>> assignment);

  const std::vector<ShardPlan>& shards() const { return shards_; }
  std::vector<TensorSpec> writeOrder() const;  // the order write() must be called in
  bool writesIndex() const { return writesIndex_; }
  std::uint64_t totalBytes() const { return totalBytes_; }

  // Next tensor in writeOrder(); opens / finishes shard files as it goes.
  void write(const std::string& name, const TensorView& view);
  // Checks every tensor was written, then writes the index (when there is one).
  void finish();

 private:
  void openShard(std::size_t index);

  std::filesystem::path outputDir_;
  ShardedWriterOptions options_;
  std::vector<ShardPlan> shards_;
  bool planned_ = false;
  bool writesIndex_ = false;
  std::uint64_t totalBytes_ = 0;
  std::size_t shard_ = 0;         // shard being written
  std::size_t inShard_ = 0;       // tensors written into it
  std::unique_ptr<SafetensorsWriter> current_;
  bool finished_ = false;
};

// The index JSON HF writes: {"metadata": {"total_size": N}, "weight_map": {name: file}} with
// weight_map sorted by tensor name.
Json makeSafetensorsIndex(const std::vector<ShardPlan>& shards);

}  // namespace nhb::io
