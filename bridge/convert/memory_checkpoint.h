// In-memory HF and Megatron checkpoints implementing the conversion interfaces: for tests,
// benchmarks and callers that already hold tensors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/convert/tensor_access.h"

namespace nhb::convert {

class MemoryHfCheckpoint : public HfTensorSource, public HfTensorSink {
 public:
  void add(const std::string& name, Tensor tensor);
  const std::vector<std::pair<std::string, Tensor>>& tensors() const { return tensors_; }
  const Tensor* get(const std::string& name) const;

  std::vector<std::string> tensorNames() const override;
  std::optional<TensorView> find(const std::string& name) const override;
  std::string describe(const std::string& name) const override;
  void put(const std::string& name, const TensorView& tensor) override;

 private:
  std::vector<std::pair<std::string, Tensor>> tensors_;  // insertion order
  std::map<std::string, std::size_t> index_;
};

class MemoryMegatronCheckpoint : public MegatronShardSource, public MegatronStateSink {
 public:
  struct Value {
    mapping::EntryValue kind = mapping::EntryValue::Tensor;
    Tensor tensor;  // Tensor and EmptyBytes (a [0] uint8 tensor)
  };
  using StateDict = std::vector<std::pair<std::string, Value>>;

  std::map<Rank, StateDict>& ranks() { return ranks_; }
  const std::map<Rank, StateDict>& ranks() const { return ranks_; }
  Value* get(const Rank& rank, const std::string& key);

  bool hasRank(const Rank& rank) const override;
  std::vector<std::string> keys(const Rank& rank) const override;
  std::optional<TensorView> find(const Rank& rank, const std::string& key) const override;
  std::string describe(const Rank& rank) const override;

  void beginRank(const RankPlan& rank) override;
  void put(const PlanEntry& entry, const TensorView* tensor, Tensor& owned) override;
  void endRank() override {}

 private:
  std::map<Rank, StateDict> ranks_;
  Rank current_;
};

}  // namespace nhb::convert
