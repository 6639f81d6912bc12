#include "harness/verify/verify_run.h"

#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <system_error>
#include <utility>

#include "bridge/config/hf_config.h"
#include "bridge/core/error.h"
#include "bridge/io/temp_registry.h"
#include "bridge/verify/static_checks.h"
#include "bridge/verify/thresholds.h"
#include "harness/model/megatron_forward_runner.h"
#include "harness/report/baseline.h"
#include "harness/verify/verify_forward.h"
#include "harness/verify/verify_tokens.h"

namespace nhb::harness {
namespace fs = std::filesystem;
namespace {

// The round trip's checkpoints: a fresh directory under the system temp dir, registered so an
// interrupted run removes it, and removed when the run ends; or, with --keep, a directory under
// the report dir that stays.
class WorkDir {
 public:
  explicit WorkDir(const VerifyOptions& options) {
    if (options.keep) {
      path_ = options.reportDir / "checkpoints";
      std::error_code ec;
      fs::remove_all(path_, ec);  // a previous --keep run's checkpoints
      fs::create_directories(path_, ec);
      if (ec) fail(ErrorKind::Io, path_.string() + ": cannot create the directory: " + ec.message());
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "nhbridge-verify-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) fail(ErrorKind::Io, pattern + ": cannot create a temporary directory");
    path_ = pattern;
    io::registerTemporaryOutput(path_);
    temporary_ = true;
  }
  ~WorkDir() {
    if (!temporary_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    io::unregisterTemporaryOutput(path_);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool temporary_ = false;
};

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void requireDirectory(const fs::path& dir, const std::string& option) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) badInput(option + " " + dir.string() + ": not a directory");
}

}  // namespace

const char* verifyModeName(VerifyMode mode) {
  switch (mode) {
    case VerifyMode::RoundTrip: return "roundtrip";
    case VerifyMode::PairMegatron: return "pair-megatron";
    case VerifyMode::PairHf: return "pair-hf";
  }
  return "roundtrip";
}

VerifyMode verifyModeOf(const VerifyOptions& options) {
  if (options.hf.empty()) badInput("verify: --hf is required");
  if (options.reportDir.empty()) badInput("verify: --report-dir is required");
  if (options.megatron && options.hfExported) badInput("verify: --megatron and --hf-exported exclude each other");
  if (options.megatron) return VerifyMode::PairMegatron;
  if (options.hfExported) return VerifyMode::PairHf;
  return VerifyMode::RoundTrip;
}

VerifyOutcome runVerify(const VerifyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto step = [&](const std::string& what) {
    if (options.onStep) options.onStep(what);
  };
  const VerifyMode mode = verifyModeOf(options);

  // Everything that can make the run meaningless is checked before the long steps.
  requireDirectory(options.hf, "--hf");
  if (options.megatron) requireDirectory(*options.megatron, "--megatron");
  if (options.hfExported) requireDirectory(*options.hfExported, "--hf-exported");
  const config::HfConfig sourceConfig = config::loadHfConfig(options.hf / "config.json");
  const verify::Thresholds thresholds =
      options.thresholds ? verify::loadThresholds(*options.thresholds) : verify::defaultThresholds();
  std::optional<verify::Report> baseline;
  if (options.baseline) baseline = loadReportJson(*options.baseline);
  const at::Device device = parseDevice(options.device);
  std::optional<at::ScalarType> dtype;
  if (!options.dtype.empty()) dtype = parseDtype(options.dtype);
  std::vector<std::vector<int64_t>> tokens = options.tokens;
  if (tokens.empty()) {
    tokens = defaultVerifyTokens(sourceConfig.vocabSize, sourceConfig.chunkSize, options.maxTokens);
  } else {
    checkTokensInVocab(tokens, sourceConfig.vocabSize, "--tokens");
  }

  VerifyOutcome outcome;
  verify::Report& report = outcome.report;
  report.toolVersion = "0.1.0";
  report.createdAt = utcNow();
  report.mode = verifyModeName(mode);
  report.inputs.emplace_back("hf", options.hf.lexically_normal().string());
  report.device = device.str();
  report.layout = {static_cast<int>(options.layout.tp), static_cast<int>(options.layout.pp),
                   static_cast<int>(options.layout.ep), static_cast<int>(options.layout.etp)};

  std::optional<WorkDir> work;
  fs::path megatronDir, exportedDir;
  if (mode == VerifyMode::RoundTrip) {
    work.emplace(options);
    megatronDir = work->path() / "megatron";
    exportedDir = work->path() / "hf-exported";
    step("converting HF -> Megatron (tp " + std::to_string(options.layout.tp) + ", pp " +
         std::to_string(options.layout.pp) + ", ep " + std::to_string(options.layout.ep) + ", etp " +
         std::to_string(options.layout.etp) + ")");
    convert::HfToMegatronOptions toMegatron;
    toMegatron.hfDir = options.hf;
    toMegatron.outDir = megatronDir;
    toMegatron.layout = options.layout;
    toMegatron.overwrite = true;
    toMegatron.threads = options.threads;
    if (options.progressFor) toMegatron.progress = options.progressFor("hf-to-megatron");
    convert::convertHfToMegatron(toMegatron);

    step("converting Megatron -> HF");
    convert::MegatronToHfOptions toHf;
    toHf.megatronDir = megatronDir;
    toHf.outDir = exportedDir;
    toHf.referenceHf = options.hf;
    toHf.overwrite = true;
    toHf.threads = options.threads;
    if (options.progressFor) toHf.progress = options.progressFor("megatron-to-hf");
    convert::convertMegatronToHf(toHf);
    if (options.keep) {
      outcome.keptMegatron = megatronDir;
      outcome.keptHfExported = exportedDir;
    }
  } else if (mode == VerifyMode::PairMegatron) {
    megatronDir = *options.megatron;
  } else {
    exportedDir = *options.hfExported;
  }
  if (!megatronDir.empty()) report.inputs.emplace_back("megatron", megatronDir.lexically_normal().string());
  if (!exportedDir.empty()) report.inputs.emplace_back("hf_exported", exportedDir.lexically_normal().string());

  step("static checks: weights, config, tokenizer");
  verify::StaticCheckOptions staticOptions;
  staticOptions.sourceHf = options.hf;
  if (!exportedDir.empty()) staticOptions.exportedHf = exportedDir;
  if (!megatronDir.empty()) staticOptions.megatronDir = megatronDir;
  staticOptions.thresholds = thresholds;
  report.checks = verify::runStaticChecks(staticOptions);

  if (options.forward) {
    ForwardSides sides;
    sides.sourceHf = options.hf;
    if (!megatronDir.empty()) sides.megatron = megatronDir;
    if (!exportedDir.empty()) sides.exportedHf = exportedDir;
    ForwardStageOptions forwardOptions;
    forwardOptions.device = device;
    forwardOptions.dtype = dtype;
    forwardOptions.tokens = tokens;
    forwardOptions.thresholds = thresholds;
    forwardOptions.onStep = options.onStep;
    ForwardStageResult forward = runForwardStage(sides, forwardOptions);
    report.dtype = forward.computeDtype == at::kBFloat16 ? "bfloat16"
                   : forward.computeDtype == at::kHalf   ? "float16"
                   : forward.computeDtype == at::kDouble ? "float64"
                                                         : "float32";
    for (verify::Check& check : forward.checks) report.checks.push_back(std::move(check));
  } else {
    report.dtype = options.dtype.empty() ? sourceConfig.torchDtype : options.dtype;
  }

  if (baseline) {
    step("comparing with the baseline " + options.baseline->string());
    report.baselinePath = options.baseline->string();
    std::vector<verify::Check> regressions = compareWithBaseline(report, *baseline);
    for (verify::Check& check : regressions) report.checks.push_back(std::move(check));
  }

  report.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  step("writing reports to " + options.reportDir.string());
  outcome.files = writeReportFiles(report, options.reportDir);
  outcome.summary = verify::summarize(report);
  outcome.exitCode = outcome.summary.verdict == verify::Verdict::Fail ? 1 : 0;
  return outcome;
}

}  // namespace nhb::harness
