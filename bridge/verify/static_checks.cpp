#include "bridge/verify/static_checks.h"

#include "bridge/config/json_read.h"
#include "bridge/convert/checkpoint_convert.h"
#include "bridge/core/error.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/verify/config_checks.h"
#include "bridge/verify/tokenizer_checks.h"
#include "bridge/verify/weight_compare.h"

namespace nhb::verify {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

void append(std::vector<Check>& to, std::vector<Check> from) {
  for (Check& check : from) to.push_back(std::move(check));
}

}  // namespace

std::vector<Check> runStaticChecks(const StaticCheckOptions& options) {
  const io::HfCheckpoint source = io::HfCheckpoint::open(options.sourceHf);
  std::vector<Check> checks;

  std::optional<io::HfCheckpoint> exported;
  if (options.exportedHf) {
    // The exported config.json is read as plain JSON first: a changed field must become a failed
    // check, not a refusal to open the checkpoint.
    const Json exportedConfig = config::readConfigFile(*options.exportedHf / "config.json");
    exported.emplace(io::HfCheckpoint::open(*options.exportedHf));
    append(checks, weightChecks(compareHfCheckpoints(source.tensors(), exported->tensors()), options.thresholds.weights));
    checks.push_back(configRoundTripCheck(source.config()));
    checks.push_back(exportedConfigCheck(source.config(), exportedConfig, (*options.exportedHf / "config.json").string()));
  } else if (options.megatronDir) {
    append(checks, weightChecks(compareMegatronWithHf(options.sourceHf, *options.megatronDir), options.thresholds.weights));
    checks.push_back(configRoundTripCheck(source.config()));
  } else {
    badInput("verify: nothing to compare " + options.sourceHf.string() + " with (give an exported HF or a Megatron checkpoint)");
  }
  std::optional<MegatronSideInfo> megatron;
  if (options.megatronDir) {
    checks.push_back(megatronConfigCheck(source.config(), *options.megatronDir));
    megatron = readMegatronSideInfo(*options.megatronDir, source.config().vocabSize);
  }

  TokenizerCheckInputs tokenizer;
  tokenizer.source = &source;
  tokenizer.megatron = megatron;
  if (exported) {
    tokenizer.exportedFilesDir = exported->dir();
    tokenizer.exportedModel = &*exported;
  } else if (options.megatronDir && fs::is_directory(*options.megatronDir / convert::kCopiedHfFilesDir)) {
    tokenizer.exportedFilesDir = *options.megatronDir / convert::kCopiedHfFilesDir;
  }
  append(checks, tokenizerChecks(tokenizer));
  return checks;
}

}  // namespace nhb::verify
