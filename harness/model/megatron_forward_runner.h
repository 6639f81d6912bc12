// Loads a checkpoint in either layout (HF directory or Megatron legacy directory) onto a device
// in a dtype and runs the forward on a batch of token sequences: the shared core of
// `nhbridge forward`, the layout tests, the benchmarks and scripts/gpu-check.sh.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/ATen.h>

#include "harness/model/hf_model.h"

namespace nhb::harness {

enum class CheckpointLayout { Hf, Megatron };

// "hf" / "megatron"; BadInput naming the valid values otherwise.
CheckpointLayout parseLayout(std::string_view name);
// "cpu" / "cuda" (also "cuda:N"); BadInput for anything else, and for cuda when the linked
// libtorch was built without CUDA or sees no device (at::hasCUDA()).
at::Device parseDevice(std::string_view name);
// "float32" / "bfloat16" (also fp32/f32, bf16); BadInput otherwise.
at::ScalarType parseDtype(std::string_view name);

// Token sequences: one per line (or per ';' in `text`), ids separated by spaces and/or commas.
// Blank lines are skipped. BadInput naming `source`, the line and the token for a non-number,
// a negative id, or no sequence at all.
std::vector<std::vector<int64_t>> parseTokenSequences(std::string_view text, char sequenceSeparator,
                                                      const std::string& source);

struct TokenBatch {
  at::Tensor tokens;  // [B, T] int64, left-padded with id 0
  at::Tensor mask;    // [B, T] int64 1 real / 0 pad; undefined when no sequence is padded
};
// Left-pads sequences of different lengths to the longest one.
TokenBatch makeTokenBatch(const std::vector<std::vector<int64_t>>& sequences);

// Either model behind one interface.
class LayoutModel {
 public:
  virtual ~LayoutModel() = default;
  virtual ForwardOutput forward(const at::Tensor& tokens, const at::Tensor& mask, const ForwardOptions& options) const = 0;
  virtual int64_t vocabSize() const = 0;
};

struct LoadModelOptions {
  CheckpointLayout layout = CheckpointLayout::Hf;
  at::Device device = at::kCPU;
  std::optional<at::ScalarType> dtype;  // default: the checkpoint's
};

std::unique_ptr<LayoutModel> loadLayoutModel(const std::filesystem::path& dir, const LoadModelOptions& options);

}  // namespace nhb::harness
