#include "bridge/io/sharded_safetensors.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "bridge/core/error.h"
#include "bridge/io/atomic_output.h"
#include "bridge/io/path_safety.h"

namespace nhb::io {
namespace fs = std::filesystem;
namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void requireUniqueNames(const std::vector<TensorSpec>& specs, const fs::path& dir) {
  std::unordered_set<std::string> seen;
  for (const auto& spec : specs)
    if (!seen.insert(spec.name).second)
      badInput(dir.string() + ": tensor '" + spec.name + "' is planned twice");
}

}  // namespace

std::string shardFileName(std::size_t index, std::size_t count) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "model-%05zu-of-%05zu.safetensors", index + 1, count);
  return buffer;
}

Json makeSafetensorsIndex(const std::vector<ShardPlan>& shards) {
  std::uint64_t total = 0;
  std::map<std::string, std::string> weightMap;  // HF writes the map sorted by tensor name
  for (const auto& shard : shards) {
    total += shard.tensorBytes;
    for (const auto& spec : shard.tensors) weightMap.emplace(spec.name, shard.fileName);
  }
  Json index = Json::object();
  index["metadata"] = Json{{"total_size", total}};
  Json& map = index["weight_map"] = Json::object();
  // ordered_json lookups are linear: append through the underlying vector to stay linear.
  auto& entries = map.get_ref<Json::object_t&>();
  entries.reserve(weightMap.size());
  for (auto& [name, file] : weightMap)
    static_cast<std::vector<std::pair<const std::string, Json>>&>(entries).emplace_back(name, file);
  return index;
}

ShardedSafetensorsWriter::ShardedSafetensorsWriter(fs::path outputDir, ShardedWriterOptions options)
    : outputDir_(std::move(outputDir)), options_(std::move(options)) {
  if (options_.maxShardBytes == 0) badInput(outputDir_.string() + ": maximum shard size must be positive");
  std::error_code error;
  fs::create_directories(outputDir_, error);
  if (error)
    fail(ErrorKind::Io, "cannot create output directory " + outputDir_.string() + ": " + error.message());
}

ShardedSafetensorsWriter::ShardedSafetensorsWriter(fs::path outputDir, std::uint64_t maxShardBytes,
                                                   Json metadata)
    : ShardedSafetensorsWriter(std::move(outputDir), [&] {
        ShardedWriterOptions options;
        options.maxShardBytes = maxShardBytes;
        options.metadata = std::move(metadata);
        return options;
      }()) {}

ShardedSafetensorsWriter::~ShardedSafetensorsWriter() = default;
ShardedSafetensorsWriter::ShardedSafetensorsWriter(ShardedSafetensorsWriter&&) noexcept = default;
ShardedSafetensorsWriter& ShardedSafetensorsWriter::operator=(ShardedSafetensorsWriter&&) noexcept =
    default;

void ShardedSafetensorsWriter::plan(std::vector<TensorSpec> specs) {
  if (planned_) fail(ErrorKind::Internal, outputDir_.string() + ": sharded writer planned twice");
  requireUniqueNames(specs, outputDir_);
  shards_.clear();
  for (auto& spec : specs) {
    const std::uint64_t bytes = withContext(outputDir_.string(), [&spec = spec] { return spec.nbytes(); });
    // Never split a tensor; one above the limit ends up alone in its shard.
    if (shards_.empty() ||
        (!shards_.back().tensors.empty() && shards_.back().tensorBytes + bytes > options_.maxShardBytes))
      shards_.emplace_back();
    shards_.back().tensorBytes += bytes;
    shards_.back().tensors.push_back(std::move(spec));
  }
  if (shards_.empty()) shards_.emplace_back();  // an empty model still gets a (tensor-less) file

  writesIndex_ = shards_.size() > 1 || options_.alwaysWriteIndex;
  for (std::size_t i = 0; i < shards_.size(); ++i)
    shards_[i].fileName = writesIndex_ ? shardFileName(i, shards_.size()) : kSingleSafetensorsName;
  totalBytes_ = 0;
  for (const auto& shard : shards_) totalBytes_ += shard.tensorBytes;
  planned_ = true;
}

void ShardedSafetensorsWriter::planAssigned(std::vector<std::pair<TensorSpec, std::string>> assignment) {
  if (planned_) fail(ErrorKind::Internal, outputDir_.string() + ": sharded writer planned twice");
  shards_.clear();
  std::unordered_map<std::string, std::size_t> shardOf;
  std::unordered_set<std::string> seen;
  for (auto& [spec, file] : assignment) {
    if (!isPlainRelativePath(file) || file.find('/') != std::string::npos ||
        !endsWith(file, ".safetensors"))
      badInput(outputDir_.string() + ": tensor '" + spec.name + "' assigned to '" + file +
               "', which is not a plain *.safetensors file name");
    if (!seen.insert(spec.name).second)
      badInput(outputDir_.string() + ": tensor '" + spec.name + "' is assigned twice");
    const std::uint64_t bytes = withContext(outputDir_.string(), [&spec = spec] { return spec.nbytes(); });
    auto [it, inserted] = shardOf.emplace(file, shards_.size());
    if (inserted) {
      shards_.emplace_back();
      shards_.back().fileName = file;
    }
    ShardPlan& shard = shards_[it->second];
    shard.tensorBytes += bytes;
    shard.tensors.push_back(std::move(spec));
  }
  if (shards_.empty()) {
    shards_.emplace_back();
    shards_.back().fileName = kSingleSafetensorsName;
  }
  writesIndex_ = shards_.size() > 1 || shards_.front().fileName != kSingleSafetensorsName ||
                 options_.alwaysWriteIndex;
  totalBytes_ = 0;
  for (const auto& shard : shards_) totalBytes_ += shard.tensorBytes;
  planned_ = true;
}

std::vector<TensorSpec> ShardedSafetensorsWriter::writeOrder() const {
  std::vector<TensorSpec> order;
  for (const auto& shard : shards_) order.insert(order.end(), shard.tensors.begin(), shard.tensors.end());
  return order;
}

void ShardedSafetensorsWriter::openShard(std::size_t index) {
  const ShardPlan& shard = shards_[index];
  current_ = std::make_unique<SafetensorsWriter>(outputDir_ / shard.fileName, shard.tensors,
                                                 options_.metadata, options_.overwrite);
  inShard_ = 0;
}

void ShardedSafetensorsWriter::write(const std::string& name, const TensorView& view) {
  if (!planned_) fail(ErrorKind::Internal, outputDir_.string() + ": write('" + name + "') before plan()");
  if (finished_) fail(ErrorKind::Internal, outputDir_.string() + ": write('" + name + "') after finish()");
  // Skip tensor-less shards (only an empty plan has one) on the way to the next tensor.
  while (shard_ < shards_.size() && !current_ && shards_[shard_].tensors.empty()) {
    openShard(shard_);
    current_->finish();
    current_.reset();
    ++shard_;
  }
  if (shard_ >= shards_.size())
    fail(ErrorKind::Internal, outputDir_.string() + ": tensor '" + name +
                                  "' written after every planned tensor");
  if (!current_) openShard(shard_);
  current_->write(name, view);
  if (++inShard_ == shards_[shard_].tensors.size()) {
    current_->finish();
    current_.reset();
    ++shard_;
  }
}

void ShardedSafetensorsWriter::finish() {
  if (!planned_) fail(ErrorKind::Internal, outputDir_.string() + ": finish() before plan()");
  if (finished_) fail(ErrorKind::Internal, outputDir_.string() + ": finish() called twice");
  while (shard_ < shards_.size()) {
    if (current_ || !shards_[shard_].tensors.empty())
      fail(ErrorKind::Internal, outputDir_.string() + ": finish() before every tensor was written (" +
                                    shards_[shard_].fileName + " is incomplete)");
    openShard(shard_);
    current_->finish();
    current_.reset();
    ++shard_;
  }
  if (writesIndex_) {
    const fs::path indexPath = outputDir_ / kSafetensorsIndexName;
    AtomicOutputFile output(indexPath, options_.overwrite);
    {
      std::ofstream out(output.path(), std::ios::binary | std::ios::trunc);
      // As transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n".
      out << makeSafetensorsIndex(shards_).dump(2, ' ', /*ensure_ascii=*/true) << '\n';
      out.close();
      if (!out) fail(ErrorKind::Io, indexPath.string() + ": cannot write " + output.path().string());
    }
    output.commit();
  }
  finished_ = true;
}

}  // namespace nhb::io
