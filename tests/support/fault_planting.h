// Plants faults in converted checkpoints for the verify tests: rewrites one tensor of an HF
// checkpoint, one Megatron rank file, or one field of a JSON file, in place. Faults go into
// copies (see round_trip_suite.h), never into the shared conversions.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/fixture/float_encoding.h"
#include "bridge/io/megatron_legacy.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/safetensors_file.h"
#include "bridge/io/safetensors_writer.h"
#include "support/test_support.h"

namespace nhb::testing {

// Rewrites the shard holding `name` with `edit` applied to that tensor's copy (streamed: other
// tensors are written straight from the mapping). `edit` may replace the tensor (new shape).
inline void rewriteTensor(const std::filesystem::path& dir, const std::string& name,
                          const std::function<void(Tensor&)>& edit) {
  std::string shard;
  {
    io::SafetensorsCheckpoint checkpoint = io::SafetensorsCheckpoint::open(dir);
    shard = checkpoint.fileOf(name);
  }
  io::SafetensorsFile file = io::SafetensorsFile::open(dir / shard);
  std::map<std::string, Tensor> edited;
  std::vector<io::TensorSpec> specs;
  for (const io::SafetensorsEntry& entry : file.entries()) {
    if (entry.name == name) {
      Tensor copy = Tensor::copyOf(file.view(name));
      edit(copy);
      specs.push_back({entry.name, copy.dtype(), copy.shape()});
      edited.emplace(name, std::move(copy));
    } else {
      specs.push_back({entry.name, entry.dtype, entry.shape});
    }
  }
  io::SafetensorsWriter writer(dir / shard, specs, file.metadata(), /*overwrite=*/true);
  for (const io::TensorSpec& spec : specs) {
    auto it = edited.find(spec.name);
    writer.write(spec.name, it != edited.end() ? it->second.view() : file.view(spec.name));
  }
  writer.finish();
}

// Swaps rows [a, a+n) and [b, b+n) of a row-major tensor (dim 0).
inline void swapRows(Tensor& t, int64_t a, int64_t b, int64_t n) {
  const std::size_t rowBytes = t.nbytes() / static_cast<std::size_t>(t.shape().at(0));
  std::vector<std::byte> tmp(rowBytes * n);
  std::memcpy(tmp.data(), t.data() + a * rowBytes, tmp.size());
  std::memmove(t.data() + a * rowBytes, t.data() + b * rowBytes, tmp.size());
  std::memcpy(t.data() + b * rowBytes, tmp.data(), tmp.size());
}

// Keeps the first `rows` rows (dim 0) of a row-major tensor.
inline void keepFirstRows(Tensor& t, int64_t rows) {
  Tensor shorter(t.dtype(), {rows, t.shape()[1]});
  std::memcpy(shorter.data(), t.data(), shorter.nbytes());
  t = std::move(shorter);
}

// Rounds every value of an f32 tensor through bf16 (what a careless cast does to a router bias).
inline void roundThroughBf16(Tensor& t) {
  ASSERT_EQ(t.dtype(), DType::F32);
  float* values = reinterpret_cast<float*>(t.data());
  for (int64_t i = 0; i < t.shape()[0]; ++i) values[i] = fixture::bf16ToFloat(fixture::floatToBf16(values[i]));
}

// Exchanges the contents of two same-shaped tensors of an HF checkpoint.
inline void exchangeTensors(const std::filesystem::path& dir, const std::string& first, const std::string& second) {
  Tensor a, b;
  {
    io::SafetensorsCheckpoint checkpoint = io::SafetensorsCheckpoint::open(dir);
    a = Tensor::copyOf(checkpoint.view(first));
    b = Tensor::copyOf(checkpoint.view(second));
  }
  rewriteTensor(dir, first, [&](Tensor& t) { t = b; });
  rewriteTensor(dir, second, [&](Tensor& t) { t = a; });
}

// Rewrites one Megatron rank file with `edit` applied to its state dict (views may be replaced).
inline void rewriteRank(const std::filesystem::path& root, const io::MegatronRankId& rank,
                        const std::function<void(io::StateDictEntries&)>& edit) {
  io::MegatronLegacyCheckpoint checkpoint = io::MegatronLegacyCheckpoint::open(root);
  io::MegatronRankState state = checkpoint.loadRank(rank);
  io::StateDictEntries entries = state.entries();
  edit(entries);
  io::MegatronLegacyWriteOptions writeOptions;
  writeOptions.root = root;
  writeOptions.sizes = checkpoint.sizes();
  writeOptions.args = checkpoint.args();
  writeOptions.overwrite = true;
  io::MegatronLegacyWriter writer(writeOptions);
  writer.writeRank(rank, entries);  // only this rank changes; finish() would demand every rank
}

// Swaps rows [a, a+n) and [b, b+n) of every tensor of one rank file whose key contains all of
// `keyParts`; returns whether any key matched.
inline bool swapRowsInRank(const std::filesystem::path& root, const io::MegatronRankId& rank,
                           const std::vector<std::string>& keyParts, int64_t a, int64_t b, int64_t n) {
  std::deque<Tensor> owned;  // the swapped copies the entries point at until the rank is written
  bool planted = false;
  rewriteRank(root, rank, [&](io::StateDictEntries& entries) {
    for (io::StateDictEntry& entry : entries) {
      bool matches = true;
      for (const std::string& part : keyParts) matches = matches && entry.key.find(part) != std::string::npos;
      if (!matches) continue;
      owned.push_back(Tensor::copyOf(*entry.tensor));
      swapRows(owned.back(), a, b, n);
      entry.tensor = owned.back().view();
      planted = true;
    }
  });
  return planted;
}

using FaultJson = nlohmann::ordered_json;

inline FaultJson readJsonFile(const std::filesystem::path& path) { return FaultJson::parse(readFile(path)); }
inline void writeJsonFile(const std::filesystem::path& path, const FaultJson& json) {
  writeFile(path, json.dump(2) + "\n");
}

// Sets `key` of the JSON object in `path` to `value`; returns the value it replaced (null when absent).
inline FaultJson replaceJsonField(const std::filesystem::path& path, const std::string& key, const FaultJson& value) {
  FaultJson json = readJsonFile(path);
  FaultJson replaced = json.contains(key) ? json[key] : FaultJson();
  json[key] = value;
  writeJsonFile(path, json);
  return replaced;
}

}  // namespace nhb::testing
