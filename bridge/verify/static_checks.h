// Every libtorch-free check of `nhbridge verify` in one call: weights, config and tokenizer, for
// the three modes of issue 5 (round trip HF -> Megatron -> HF; pair HF + Megatron; pair HF + HF).
// The forward checks come from the harness and are appended to the same report.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "bridge/verify/report_model.h"
#include "bridge/verify/thresholds.h"

namespace nhb::verify {

struct StaticCheckOptions {
  std::filesystem::path sourceHf;                    // required
  std::optional<std::filesystem::path> exportedHf;   // round trip and pair-hf
  std::optional<std::filesystem::path> megatronDir;  // round trip and pair-megatron
  Thresholds thresholds = defaultThresholds();
};

// Round trip (exportedHf and megatronDir): weights source vs exported, config.roundtrip,
// config.exported, config.megatron, tokenizer checks on the exported copy with the Megatron vocab.
// Pair-megatron (megatronDir only): weights through the conversion plan, config.roundtrip,
// config.megatron, tokenizer checks on the Megatron hf_files/ copy (or the source alone).
// Pair-hf (exportedHf only): weights, config.roundtrip, config.exported, tokenizer checks.
// BadInput (naming the file) when an input cannot be opened at all; every fidelity finding is a
// check verdict instead.
std::vector<Check> runStaticChecks(const StaticCheckOptions& options);

}  // namespace nhb::verify
