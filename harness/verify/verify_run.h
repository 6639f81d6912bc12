// `nhbridge verify` end to end: the round trip HF -> Megatron -> HF (or a given pair), the static
// checks (weights, config, tokenizer; bridge/verify), the forward checks (HF source vs Megatron and
// vs exported HF: logits, MTP logits, per-layer divergence), an optional --baseline comparison,
// and the four report files. The CLI (harness/cli/verify_command.cpp) only parses options.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/convert/layout.h"
#include "bridge/verify/report_model.h"
#include "harness/report/report.h"

namespace nhb::harness {

// Which sides are compared, from the inputs given.
enum class VerifyMode {
  RoundTrip,     // --hf only: convert to Megatron and back, check all three
  PairMegatron,  // --hf + --megatron
  PairHf,        // --hf + --hf-exported
};
const char* verifyModeName(VerifyMode mode);  // "roundtrip", "pair-megatron", "pair-hf"

struct VerifyOptions {
  std::filesystem::path hf;                          // the source HF checkpoint (required)
  std::optional<std::filesystem::path> megatron;     // pair mode
  std::optional<std::filesystem::path> hfExported;   // pair mode
  convert::Layout layout;                            // round trip conversion layout
  std::string device = "cpu";                        // "cpu", "cuda", "cuda:N"
  std::string dtype;                                 // "float32"/"bfloat16"; empty: float32
  std::vector<std::vector<int64_t>> tokens;          // empty: defaultVerifyTokens
  int64_t maxTokens = 64;                            // cap per default sequence
  bool forward = true;                               // false: static checks only
  std::filesystem::path reportDir;                   // required
  std::optional<std::filesystem::path> baseline;     // earlier report.json
  std::optional<std::filesystem::path> thresholds;   // thresholds file (bridge/verify/thresholds.h)
  bool keep = false;  // keep the round trip's checkpoints under reportDir/checkpoints/
  int threads = 0;    // conversion workers (0: up to 4)
  // Progress hooks (all optional): a step starting ("converting HF -> Megatron"), and a tensor
  // progress callback for a labelled conversion step.
  std::function<void(const std::string& step)> onStep;
  std::function<convert::ProgressFn(const std::string& label)> progressFor;
};

// Rejects contradictory inputs before any work: BadInput naming the options.
VerifyMode verifyModeOf(const VerifyOptions& options);

struct VerifyOutcome {
  verify::Report report;
  ReportFiles files;
  verify::Summary summary;
  std::optional<std::filesystem::path> keptMegatron, keptHfExported;  // with --keep
  int exitCode = 0;  // 0 every check passed (warnings allowed), 1 a check failed
};

// BadInput (exit 2) for unusable inputs: a missing directory, a bad thresholds or baseline file,
// tokens outside the vocabulary, a layout the model does not allow. Every fidelity finding is a
// check in the report instead.
VerifyOutcome runVerify(const VerifyOptions& options);

}  // namespace nhb::harness
