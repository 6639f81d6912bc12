// Execution of a plan: moves bytes between the HF and Megatron sides. Each output tensor is
// produced once (a zero-copy view when it is one contiguous slice of its source), handed to the
// sink in plan order, then freed; worker threads build the next few tensors meanwhile, so peak
// memory stays at a few tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "bridge/convert/plan.h"
#include "bridge/convert/tensor_access.h"

namespace nhb::convert {

struct ExecuteOptions {
  int threads = 1;
  // Called after each output tensor with (done, total) counts.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct ImportResult {
  std::map<std::string, DType> castSources;  // HF dtype of tensors stored with another dtype
  std::size_t entries = 0;
  uint64_t tensorBytes = 0;
};

// Checks the HF tensors against the plan first (every planned source present with its shape, no
// tensor the plan does not know, q/k/v of one dtype), then writes every rank.
ImportResult executeHfToMegatron(const Plan& plan, const HfTensorSource& source, MegatronStateSink& sink,
                                 const ExecuteOptions& options = {});

struct ExportOptions : ExecuteOptions {
  std::map<std::string, DType> restoreDTypes;  // ImportResult::castSources of the import
};

// Checks the rank files against the plan first (every rank present, every key present, local
// shapes as planned, no unknown key, one dtype per tensor across ranks), then writes HF tensors.
uint64_t executeMegatronToHf(const Plan& plan, const MegatronShardSource& source, HfTensorSink& sink,
                             const ExportOptions& options = {});

}  // namespace nhb::convert
