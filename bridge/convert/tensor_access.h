// What conversion reads from and writes to, as small interfaces: the io layer adapts safetensors
// checkpoints and legacy Megatron rank files to them, tests and benchmarks use the in-memory
// checkpoints in memory_checkpoint.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bridge/convert/plan.h"
#include "bridge/core/tensor_view.h"

namespace nhb::convert {

class HfTensorSource {
 public:
  virtual ~HfTensorSource() = default;
  virtual std::vector<std::string> tensorNames() const = 0;
  virtual std::optional<TensorView> find(const std::string& name) const = 0;
  // Where the tensor lives, for error messages ("model-00001-of-00002.safetensors").
  virtual std::string describe(const std::string& name) const = 0;
};

class HfTensorSink {
 public:
  virtual ~HfTensorSink() = default;
  // Called once per HF tensor; the view is valid only during the call.
  virtual void put(const std::string& name, const TensorView& tensor) = 0;
};

class MegatronShardSource {
 public:
  virtual ~MegatronShardSource() = default;
  virtual bool hasRank(const Rank& rank) const = 0;
  virtual std::vector<std::string> keys(const Rank& rank) const = 0;  // every model state-dict key
  // nullopt when the key is absent or holds None.
  virtual std::optional<TensorView> find(const Rank& rank, const std::string& key) const = 0;
  virtual std::string describe(const Rank& rank) const = 0;  // the rank's file, for errors
};

class MegatronStateSink {
 public:
  virtual ~MegatronStateSink() = default;
  virtual void beginRank(const RankPlan& rank) = 0;
  // Once per planned entry in plan order. For tensor entries `tensor` is either a view into the
  // HfTensorSource (valid as long as the source) with `owned` empty, or a view of `owned`, which
  // the sink may move from to keep the bytes until endRank. `tensor` is null for extra states.
  virtual void put(const PlanEntry& entry, const TensorView* tensor, Tensor& owned) = 0;
  virtual void endRank() = 0;
};

}  // namespace nhb::convert
