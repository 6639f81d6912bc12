// `nhbridge convert`: HF checkpoint directory <-> legacy Megatron-LM checkpoint for any TP/PP/EP
// layout (bridge/convert/checkpoint_convert.h). A progress bar goes to stderr when it is a
// terminal; outputs appear only when complete.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/core/error.h"
#include "harness/cli/command.h"

namespace nhb::cli {
namespace {

struct ToMegatronArgs {
  std::string hf, out;
  int64_t tp = 1, pp = 1, ep = 1, etp = 1;
  std::string naming = "te";
  std::string conv1dNaming = "new";
  std::string experts;
  std::string pipelineLayout;
  bool padVocab = false;
  int64_t vocabDivisibleBy = 128;
  bool aLogDFp32 = false;
  std::optional<int64_t> iteration;
  bool release = false;
  bool overwrite = false;
  int threads = 0;
};

struct ToHfArgs {
  std::string megatron, out, referenceHf;
  bool overwrite = false;
  int threads = 0;
};

// Redraws one line on stderr at most every 100 ms; silent when stderr is not a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) != 0) {}
  ~ProgressBar() {
    if (drawn_) std::fputc('\n', stderr);
  }
  convert::ProgressFn callback() {
    if (!enabled_) return {};
    return [this](std::size_t done, std::size_t total) { update(done, total); };
  }

 private:
  void update(std::size_t done, std::size_t total) {
    auto now = std::chrono::steady_clock::now();
    if (done != total && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    drawn_ = true;
    const int width = 40;
    const int filled = total == 0 ? width : static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu tensors", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), done, total);
    std::fflush(stderr);
  }
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

int runToMegatron(const ToMegatronArgs& args) {
  convert::HfToMegatronOptions options;
  options.hfDir = args.hf;
  options.outDir = args.out;
  convert::Layout& layout = options.layout;
  layout.tp = args.tp;
  layout.pp = args.pp;
  layout.ep = args.ep;
  layout.etp = args.etp;
  layout.naming = args.naming == "local" ? mapping::Naming::Local : mapping::Naming::TransformerEngine;
  layout.conv1d = args.conv1dNaming == "legacy" ? mapping::Conv1dNaming::Legacy : mapping::Conv1dNaming::Current;
  if (!args.experts.empty()) {
    layout.experts = args.experts == "sequential" ? mapping::ExpertStorage::Sequential : mapping::ExpertStorage::Grouped;
  }
  layout.pipelinePattern = args.pipelineLayout;
  layout.padVocab = args.padVocab;
  layout.vocabDivisibleBy = args.vocabDivisibleBy;
  layout.aLogDFp32 = args.aLogDFp32;
  if (args.release && args.iteration) badInput("--iteration and --release exclude each other");
  options.iteration = args.iteration;
  options.overwrite = args.overwrite;
  options.threads = args.threads;
  ProgressBar bar("hf-to-megatron");
  options.progress = bar.callback();
  const convert::ConversionSummary summary = convert::convertHfToMegatron(options);
  std::printf("wrote %s: %zu rank file(s), %zu entries, %llu tensor bytes (tp %lld, pp %lld, ep %lld, etp %lld)\n",
              args.out.c_str(), summary.ranks, summary.tensors, static_cast<unsigned long long>(summary.tensorBytes),
              static_cast<long long>(args.tp), static_cast<long long>(args.pp), static_cast<long long>(args.ep),
              static_cast<long long>(args.etp));
  return 0;
}

int runToHf(const ToHfArgs& args) {
  convert::MegatronToHfOptions options;
  options.megatronDir = args.megatron;
  options.outDir = args.out;
  if (!args.referenceHf.empty()) options.referenceHf = args.referenceHf;
  options.overwrite = args.overwrite;
  options.threads = args.threads;
  ProgressBar bar("megatron-to-hf");
  options.progress = bar.callback();
  const convert::ConversionSummary summary = convert::convertMegatronToHf(options);
  std::printf("wrote %s: %zu tensors, %llu bytes from %zu rank file(s)\n", args.out.c_str(), summary.tensors,
              static_cast<unsigned long long>(summary.tensorBytes), summary.ranks);
  return 0;
}

}  // namespace

void addConvertCommand(CLI::App& app, CommandAction& action) {
  auto* convert = app.add_subcommand("convert", "Convert checkpoints between Hugging Face and Megatron-Core layouts");
  convert->require_subcommand(1);

  auto toMegatron = std::make_shared<ToMegatronArgs>();
  auto* hf2m = convert->add_subcommand(
      "hf-to-megatron", "HF NemotronHForCausalLM directory -> legacy Megatron checkpoint (one file per tp/pp/ep rank)");
  hf2m->add_option("--hf", toMegatron->hf, "HF checkpoint directory")->required()->check(CLI::ExistingDirectory);
  hf2m->add_option("--out", toMegatron->out, "Output directory (written atomically)")->required();
  hf2m->add_option("--tp", toMegatron->tp, "Tensor parallel size")->capture_default_str();
  hf2m->add_option("--pp", toMegatron->pp, "Pipeline parallel size")->capture_default_str();
  hf2m->add_option("--ep", toMegatron->ep, "Expert parallel size")->capture_default_str();
  hf2m->add_option("--etp", toMegatron->etp, "Expert tensor parallel size: 1 or --tp")->capture_default_str();
  hf2m->add_option("--naming", toMegatron->naming, "te (Transformer Engine spec) or local (ModelOpt local spec)")
      ->check(CLI::IsMember({"te", "local"}))
      ->capture_default_str();
  hf2m->add_option("--conv1d-naming", toMegatron->conv1dNaming,
                   "new (mixer.conv1d_weight) or legacy (mixer.conv1d.weight, Megatron before 2026-06)")
      ->check(CLI::IsMember({"new", "legacy"}))
      ->capture_default_str();
  hf2m->add_option("--experts", toMegatron->experts,
                   "grouped (experts.linear_fc1.weight<e>) or sequential (experts.local_experts.<e>); default by naming")
      ->check(CLI::IsMember({"grouped", "sequential"}));
  hf2m->add_option("--pipeline-layout", toMegatron->pipelineLayout,
                   "Layer pattern with `|` between pipeline stages (default: even split)");
  hf2m->add_flag("--pad-vocab", toMegatron->padVocab,
                 "Pad the vocab to a multiple of --make-vocab-size-divisible-by * tp with zero rows");
  hf2m->add_option("--make-vocab-size-divisible-by", toMegatron->vocabDivisibleBy, "Vocab padding multiple")
      ->capture_default_str();
  hf2m->add_flag("--fp32-a-log-d", toMegatron->aLogDFp32, "Store A_log and D as fp32 (as Megatron allocates them)");
  hf2m->add_option("--iteration", toMegatron->iteration, "Write iter_NNNNNNN/ with this iteration");
  hf2m->add_flag("--release", toMegatron->release, "Write release/ (the default)");
  hf2m->add_option("--threads", toMegatron->threads, "Worker threads (0: up to 4)")->capture_default_str();
  hf2m->add_flag("--overwrite", toMegatron->overwrite, "Replace an existing output directory");
  hf2m->footer("Exit codes: 0 written, 2 bad input, 3 internal error.");
  hf2m->callback([&action, toMegatron] { action = [toMegatron] { return runToMegatron(*toMegatron); }; });

  auto toHf = std::make_shared<ToHfArgs>();
  auto* m2hf = convert->add_subcommand("megatron-to-hf",
                                       "Legacy Megatron checkpoint written by hf-to-megatron -> HF checkpoint directory");
  m2hf->add_option("--megatron", toHf->megatron, "Megatron checkpoint directory")->required()->check(CLI::ExistingDirectory);
  m2hf->add_option("--out", toHf->out, "Output directory (written atomically)")->required();
  m2hf->add_option("--reference-hf", toHf->referenceHf,
                   "HF checkpoint whose config.json form, shard layout and tokenizer files to follow")
      ->check(CLI::ExistingDirectory);
  m2hf->add_option("--threads", toHf->threads, "Worker threads (0: up to 4)")->capture_default_str();
  m2hf->add_flag("--overwrite", toHf->overwrite, "Replace an existing output directory");
  m2hf->footer("Exit codes: 0 written, 2 bad input, 3 internal error.");
  m2hf->callback([&action, toHf] { action = [toHf] { return runToHf(*toHf); }; });
}

}  // namespace nhb::cli
