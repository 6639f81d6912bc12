#include "harness/verify/verify_forward.h"

#include <memory>
#include <utility>

#include "bridge/core/error.h"
#include "harness/compare/forward_checks.h"
#include "harness/compare/layer_compare.h"
#include "harness/compare/logits_metrics.h"
#include "harness/compare/tolerance.h"
#include "harness/model/megatron_forward_runner.h"

namespace nhb::harness {
namespace {

DType dtypeOf(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return DType::F32;
    case at::kBFloat16: return DType::BF16;
    case at::kHalf: return DType::F16;
    case at::kDouble: return DType::F64;
    default: fail(ErrorKind::Unsupported, std::string("verify: no forward thresholds for compute dtype ") + at::toString(type));
  }
}

verify::Check loadFailure(const std::string& pair, const std::filesystem::path& dir, const std::string& why) {
  verify::Check check;
  check.id = "forward.load." + pair;
  check.category = verify::CheckCategory::Forward;
  check.name = "Forward model loads (" + pair + ")";
  check.verdict = verify::Verdict::Fail;
  check.message = dir.string() + ": the model cannot run: " + why;
  return check;
}

// A hidden state diverges when its largest difference exceeds atol + rtol * (its largest
// activation): the residual stream grows along the network and every block adds its own rounding
// relative to that scale, so the elementwise rule (right for the logits) flags deep layers of a
// faithful model on small elements next to large ones. Real faults move a layer by far more.
void judgeLayersByScale(LayerComparison& comparison, const Tolerance& tolerance) {
  comparison.firstDiverging.reset();
  for (size_t i = 0; i < comparison.layers.size(); ++i) {
    LayerDiff& layer = comparison.layers[i];
    const double limit = tolerance.atol + tolerance.rtol * layer.maxAbsReference;
    layer.diverged = !(layer.maxAbsDiff <= limit);  // NaN diverges
    if (layer.diverged && !comparison.firstDiverging) comparison.firstDiverging = i;
  }
}

void compareSides(const std::string& pair, const std::string& title, const ForwardOutput& reference,
                  const ForwardOutput& test, const at::Tensor& mask, const ForwardThresholds& thresholds,
                  std::vector<verify::Check>& checks) {
  const LogitsMetrics logits = compareLogits(reference.logits, test.logits, mask, thresholds.logits);
  checks.push_back(makeLogitsCheck("logits", pair, title + ": logits", logits, thresholds));
  const size_t depths = std::min(reference.mtpLogits.size(), test.mtpLogits.size());
  for (size_t d = 0; d < depths; ++d) {
    const LogitsMetrics mtp = compareLogits(reference.mtpLogits[d], test.mtpLogits[d], mask, thresholds.logits);
    checks.push_back(makeLogitsCheck("mtp" + std::to_string(d) + "_logits", pair,
                                     title + ": MTP depth " + std::to_string(d) + " logits", mtp, thresholds));
  }
  if (reference.mtpLogits.size() != test.mtpLogits.size()) {
    verify::Check check;
    check.id = "forward.mtp_depths." + pair;
    check.category = verify::CheckCategory::Forward;
    check.name = title + ": MTP depths";
    check.verdict = verify::Verdict::Fail;
    check.message = "MTP depths differ: " + std::to_string(reference.mtpLogits.size()) + " vs " +
                    std::to_string(test.mtpLogits.size());
    checks.push_back(std::move(check));
  }
  LayerComparison layers = compareLayers(reference.layers, test.layers, thresholds.layers, mask);
  judgeLayersByScale(layers, thresholds.layers);
  for (verify::Check& check : makeLayerChecks(pair, title, layers, thresholds)) checks.push_back(std::move(check));
}

}  // namespace

ForwardStageResult runForwardStage(const ForwardSides& sides, const ForwardStageOptions& options) {
  auto step = [&](const std::string& what) {
    if (options.onStep) options.onStep(what);
  };
  ForwardStageResult result;
  result.computeDtype = options.dtype ? *options.dtype : at::kFloat;
  const ForwardThresholds thresholds =
      forwardThresholdsFrom(options.thresholds.forwardLimits(dtypeOf(result.computeDtype)), result.computeDtype);

  LoadModelOptions load;
  load.device = options.device;
  load.dtype = result.computeDtype;
  ForwardOptions forward;
  forward.captureLayers = true;
  const TokenBatch batch = makeTokenBatch(options.tokens);
  const at::Tensor tokens = batch.tokens.to(options.device);
  const at::Tensor mask = batch.mask.defined() ? batch.mask.to(options.device) : at::Tensor();

  step("forward: HF layout on the source checkpoint");
  ForwardOutput reference;
  {
    load.layout = CheckpointLayout::Hf;
    const std::unique_ptr<LayoutModel> model = loadLayoutModel(sides.sourceHf, load);  // BadInput: unusable source
    reference = model->forward(tokens, mask, forward);
  }

  auto runSide = [&](const std::filesystem::path& dir, CheckpointLayout layout, const std::string& pair,
                     const std::string& title) {
    step("forward: " + title);
    ForwardOutput output;
    try {
      load.layout = layout;
      const std::unique_ptr<LayoutModel> model = loadLayoutModel(dir, load);
      output = model->forward(tokens, mask, forward);
    } catch (const Error& error) {
      // A converted checkpoint the model cannot even load is a fidelity failure, not bad usage.
      result.checks.push_back(loadFailure(pair, dir, error.what()));
      return;
    }
    step("comparing " + pair);
    compareSides(pair, title, reference, output, mask, thresholds, result.checks);
  };
  if (sides.megatron) runSide(*sides.megatron, CheckpointLayout::Megatron, "hf_vs_megatron", "HF source vs Megatron");
  if (sides.exportedHf) runSide(*sides.exportedHf, CheckpointLayout::Hf, "hf_vs_exported", "HF source vs exported HF");
  return result;
}

}  // namespace nhb::harness
