// `nhbridge verify`: the round-trip fidelity gate (harness/verify/verify_run.h). Parses options,
// shows progress on stderr when it is a terminal (unless --quiet), and ends with one summary line
// on stdout: verdict, counts, report path. Exit 0 every check passed, 1 a fidelity check failed,
// 2 bad input or usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bridge/core/error.h"
#include "harness/cli/command.h"
#include "harness/model/megatron_forward_runner.h"
#include "harness/report/report.h"
#include "harness/verify/verify_run.h"

namespace nhb::cli {
namespace {

struct VerifyArgs {
  std::string hf, megatron, hfExported;
  int64_t tp = 1, pp = 1, ep = 1, etp = 1;
  std::string naming = "te";
  bool padVocab = false;
  int64_t vocabDivisibleBy = 128;
  std::string device = "cpu";
  std::string dtype;
  std::string tokens, tokensFile;
  int64_t maxTokens = 64;
  bool noForward = false;
  std::string reportDir, baseline, thresholds;
  bool keep = false;
  bool quiet = false;
  int threads = 0;
};

// Step lines and a redrawn tensor counter on stderr; nothing unless stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool quiet) : enabled_(!quiet && isatty(STDERR_FILENO) != 0) {}
  ~Progress() { endLine(); }

  void step(const std::string& what) {
    if (!enabled_) return;
    endLine();
    std::fprintf(stderr, "verify: %s\n", what.c_str());
  }
  convert::ProgressFn counter(const std::string& label) {
    if (!enabled_) return {};
    return [this, label](std::size_t done, std::size_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done != total && open_ && now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      open_ = true;
      std::fprintf(stderr, "\r  %s: %zu/%zu tensors", label.c_str(), done, total);
      std::fflush(stderr);
    };
  }

 private:
  void endLine() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
  }
  bool enabled_;
  bool open_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::string readTokensFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) badInput(path + ": cannot read the tokens file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int runVerifyCommand(const VerifyArgs& args) {
  harness::VerifyOptions options;
  options.hf = args.hf;
  if (!args.megatron.empty()) options.megatron = args.megatron;
  if (!args.hfExported.empty()) options.hfExported = args.hfExported;
  options.layout.tp = args.tp;
  options.layout.pp = args.pp;
  options.layout.ep = args.ep;
  options.layout.etp = args.etp;
  options.layout.naming = args.naming == "local" ? mapping::Naming::Local : mapping::Naming::TransformerEngine;
  options.layout.padVocab = args.padVocab;
  options.layout.vocabDivisibleBy = args.vocabDivisibleBy;
  options.device = args.device;
  options.dtype = args.dtype;
  if (!args.tokens.empty()) options.tokens = harness::parseTokenSequences(args.tokens, ';', "--tokens");
  if (!args.tokensFile.empty()) {
    options.tokens = harness::parseTokenSequences(readTokensFile(args.tokensFile), '\n', args.tokensFile);
  }
  options.maxTokens = args.maxTokens;
  options.forward = !args.noForward;
  options.reportDir = args.reportDir;
  if (!args.baseline.empty()) options.baseline = args.baseline;
  if (!args.thresholds.empty()) options.thresholds = args.thresholds;
  options.keep = args.keep;
  options.threads = args.threads;

  Progress progress(args.quiet);
  options.onStep = [&progress](const std::string& what) { progress.step(what); };
  options.progressFor = [&progress](const std::string& label) { return progress.counter(label); };
  const harness::VerifyOutcome outcome = harness::runVerify(options);
  progress.step("done");

  if (outcome.keptMegatron && !args.quiet) {
    std::fprintf(stderr, "verify: kept %s and %s\n", outcome.keptMegatron->c_str(), outcome.keptHfExported->c_str());
  }
  std::printf("%s; report: %s\n", harness::summaryLine(outcome.report).c_str(), outcome.files.json.c_str());
  return outcome.exitCode;
}

}  // namespace

void addVerifyCommand(CLI::App& app, CommandAction& action) {
  auto args = std::make_shared<VerifyArgs>();
  auto* sub = app.add_subcommand(
      "verify",
      "Fidelity gate: convert HF -> Megatron -> HF (or compare a given pair) and check weights, config, "
      "tokenizer and forward logits; writes report.json, report.md, junit.xml and report.html");
  sub->add_option("--hf", args->hf, "source HF checkpoint directory")->required()->check(CLI::ExistingDirectory);
  auto* megatron = sub->add_option("--megatron", args->megatron,
                                   "pair mode: a Megatron checkpoint to check against --hf")
                       ->check(CLI::ExistingDirectory);
  auto* exported = sub->add_option("--hf-exported", args->hfExported,
                                   "pair mode: an exported HF checkpoint to check against --hf")
                       ->check(CLI::ExistingDirectory);
  megatron->excludes(exported);
  sub->add_option("--tp", args->tp, "round trip: tensor parallel size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--pp", args->pp, "round trip: pipeline parallel size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--ep", args->ep, "round trip: expert parallel size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--etp", args->etp, "round trip: expert tensor parallel size, 1 or --tp")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--naming", args->naming, "round trip: te (Transformer Engine spec) or local")
      ->check(CLI::IsMember({"te", "local"}))
      ->capture_default_str();
  sub->add_flag("--pad-vocab", args->padVocab, "round trip: pad the vocab to --make-vocab-size-divisible-by * tp");
  sub->add_option("--make-vocab-size-divisible-by", args->vocabDivisibleBy, "round trip: vocab padding multiple")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--device", args->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_option("--dtype", args->dtype, "forward compute dtype: float32 (default: bf16 weights upcast exactly) or bfloat16")
      ->check(CLI::IsMember({"float32", "bfloat16", "fp32", "f32", "bf16"}));
  auto* tokens = sub->add_option("--tokens", args->tokens, "token ids, '1 2 3;4 5' (';' separates sequences)");
  auto* tokensFile = sub->add_option("--tokens-file", args->tokensFile, "one sequence of ids per line")
                         ->check(CLI::ExistingFile);
  tokens->excludes(tokensFile);
  sub->add_option("--max-tokens", args->maxTokens,
                  "length cap of the default sequences (chunk_size - 1, chunk_size + 1, 2 chunk_size + 1)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--no-forward", args->noForward, "static checks only (weights, config, tokenizer)");
  sub->add_option("--report-dir", args->reportDir, "where report.json, report.md, junit.xml, report.html go")
      ->required();
  sub->add_option("--baseline", args->baseline, "an earlier report.json: flag regressions in any metric")
      ->check(CLI::ExistingFile);
  sub->add_option("--thresholds", args->thresholds, "thresholds JSON file (reports/thresholds.example.json)")
      ->check(CLI::ExistingFile);
  sub->add_flag("--keep", args->keep, "round trip: keep the converted checkpoints under <report-dir>/checkpoints");
  sub->add_flag("--quiet", args->quiet, "no progress display (for CI)");
  sub->add_option("--threads", args->threads, "conversion worker threads (0: up to 4)")->capture_default_str();
  sub->footer("Exit codes: 0 every check passed, 1 a fidelity check failed, 2 bad input or usage, 3 internal error.");
  sub->callback([&action, args] { action = [args] { return runVerifyCommand(*args); }; });
}

}  // namespace nhb::cli
