// The forward part of `nhbridge verify`: runs the HF-layout model on the source checkpoint and
// each other side (Megatron layout, exported HF layout) on the same token batch, and turns the
// logits, MTP logits and per-layer captures into report checks (harness/compare/forward_checks.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bridge/verify/report_model.h"
#include "bridge/verify/thresholds.h"

namespace nhb::harness {

struct ForwardSides {
  std::filesystem::path sourceHf;
  std::optional<std::filesystem::path> megatron;    // compared as "hf_vs_megatron"
  std::optional<std::filesystem::path> exportedHf;  // compared as "hf_vs_exported"
};

struct ForwardStageOptions {
  at::Device device = at::kCPU;
  // Default float32: bf16/f16 weights upcast exactly, so the comparison measures the conversion and
  // not two implementations' bf16 rounding (which, through MoE routing near ties, can flip experts).
  std::optional<at::ScalarType> dtype;
  std::vector<std::vector<int64_t>> tokens;
  verify::Thresholds thresholds;
  std::function<void(const std::string& step)> onStep;
};

struct ForwardStageResult {
  std::vector<verify::Check> checks;
  at::ScalarType computeDtype = at::kFloat;
};

// Per-layer divergence is judged against each layer's scale: max |diff| > atol + rtol * max |ref|.
// Check ids: forward.logits.<pair>, forward.mtp<d>_logits.<pair>, forward.layers.<pair>,
// forward.layer.<pair>.<layer>. A side that fails to load (e.g. a corrupt exported checkpoint)
// gives one failing "forward.load.<pair>" check naming the error instead of aborting the run.
ForwardStageResult runForwardStage(const ForwardSides& sides, const ForwardStageOptions& options);

}  // namespace nhb::harness
