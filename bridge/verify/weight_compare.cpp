#include "bridge/verify/weight_compare.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "bridge/config/json_read.h"
#include "bridge/convert/checkpoint_convert.h"
#include "bridge/convert/conversion_record.h"
#include "bridge/convert/execute.h"
#include "bridge/convert/legacy_checkpoint_source.h"
#include "bridge/convert/plan.h"
#include "bridge/core/error.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/io/megatron_legacy.h"
#include "bridge/mapping/model_dims.h"

namespace nhb::verify {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::size_t WeightComparison::count(TensorStatus status) const {
  return static_cast<std::size_t>(std::count_if(differences.begin(), differences.end(),
                                                [&](const TensorDifference& d) { return d.status == status; }));
}

namespace {

TensorDifference absentTensor(const std::string& name, TensorStatus status, const TensorView& present) {
  TensorDifference d;
  d.name = name;
  d.status = status;
  if (status == TensorStatus::Missing) {
    d.expectedDType = present.dtype;
    d.expectedShape = present.shape;
  } else {
    d.actualDType = present.dtype;
    d.actualShape = present.shape;
  }
  return d;
}

void sortByName(std::vector<TensorDifference>& differences) {
  std::sort(differences.begin(), differences.end(),
            [](const TensorDifference& a, const TensorDifference& b) { return a.name < b.name; });
}

}  // namespace

WeightComparison compareHfCheckpoints(const io::SafetensorsCheckpoint& source, const io::SafetensorsCheckpoint& exported) {
  WeightComparison result;
  result.expectedLabel = "source HF checkpoint " + source.dir().string();
  result.actualLabel = "exported HF checkpoint " + exported.dir().string();
  for (const std::string& name : source.names()) {
    const TensorView expected = source.view(name);
    if (!exported.contains(name)) {
      result.differences.push_back(absentTensor(name, TensorStatus::Missing, expected));
      continue;
    }
    TensorDifference d = compareTensors(name, expected, exported.view(name));
    ++result.tensorsCompared;
    result.bytesCompared += expected.nbytes;
    if (d.status == TensorStatus::Identical) ++result.tensorsIdentical;
    else result.differences.push_back(std::move(d));
  }
  for (const std::string& name : exported.names())
    if (!source.contains(name)) result.differences.push_back(absentTensor(name, TensorStatus::Unexpected, exported.view(name)));
  sortByName(result.differences);
  return result;
}

// ---- pair mode ------------------------------------------------------------------------------

namespace {

struct MegatronSide {
  convert::Layout layout;
  MegatronSideInfo info;
  std::map<std::string, DType> restoreDTypes;
};

MegatronSide readMegatronSide(const fs::path& megatronDir, const io::MegatronLegacyCheckpoint& checkpoint,
                              int64_t hfVocab) {
  MegatronSide side;
  const fs::path recordPath = megatronDir / convert::kConversionRecordName;
  if (fs::exists(recordPath)) {
    const Json record = config::readConfigFile(recordPath);
    if (!record.contains("layout")) badInput(recordPath.string() + ": missing \"layout\"");
    side.layout = convert::layoutFromRecord(record["layout"], recordPath.string());
    side.info.fromRecord = true;
    side.info.paddedVocab = convert::paddedVocabFromRecord(record, recordPath.string()).value_or(hfVocab);
    side.restoreDTypes = convert::hfDTypesFromRecord(record, recordPath.string());
  } else {
    // A checkpoint from elsewhere: sizes from the rank directories, padding from the args.
    const Json& args = checkpoint.args();
    side.layout.tp = checkpoint.sizes().tp;
    side.layout.pp = checkpoint.sizes().pp;
    side.layout.ep = checkpoint.sizes().ep;
    side.info.paddedVocab = hfVocab;
    if (args.is_object()) {
      if (args.contains("make_vocab_size_divisible_by") && args["make_vocab_size_divisible_by"].is_number_integer())
        side.layout.vocabDivisibleBy = args["make_vocab_size_divisible_by"].get<int64_t>();
      if (args.contains("padded_vocab_size") && args["padded_vocab_size"].is_number_integer())
        side.info.paddedVocab = args["padded_vocab_size"].get<int64_t>();
      if (args.contains("expert_tensor_parallel_size") && args["expert_tensor_parallel_size"].is_number_integer())
        side.layout.etp = args["expert_tensor_parallel_size"].get<int64_t>();
    }
    side.layout.padVocab = side.info.paddedVocab != hfVocab;
  }
  side.info.tp = side.layout.tp;
  side.info.pp = side.layout.pp;
  side.info.ep = side.layout.ep;
  side.info.vocabDivisibleBy = side.layout.vocabDivisibleBy;
  side.info.padVocab = side.layout.padVocab;
  return side;
}

// Compares each gathered HF tensor with the HF checkpoint's as it arrives, then lets it go.
class ComparingSink : public convert::HfTensorSink {
 public:
  ComparingSink(const io::SafetensorsCheckpoint& expected, WeightComparison& result)
      : expected_(expected), result_(result) {}

  void put(const std::string& name, const TensorView& tensor) override {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.insert(name);
    if (!expected_.contains(name)) {
      result_.differences.push_back(absentTensor(name, TensorStatus::Unexpected, tensor));
      return;
    }
    const TensorView expected = expected_.view(name);
    TensorDifference d = compareTensors(name, expected, tensor);
    ++result_.tensorsCompared;
    result_.bytesCompared += expected.nbytes;
    if (d.status == TensorStatus::Identical) ++result_.tensorsIdentical;
    else result_.differences.push_back(std::move(d));
  }
  bool seen(const std::string& name) const { return seen_.count(name) != 0; }

 private:
  const io::SafetensorsCheckpoint& expected_;
  WeightComparison& result_;
  std::mutex mutex_;
  std::set<std::string> seen_;
};

}  // namespace

MegatronSideInfo readMegatronSideInfo(const fs::path& megatronDir, int64_t hfVocab) {
  const io::MegatronLegacyCheckpoint checkpoint = io::MegatronLegacyCheckpoint::open(megatronDir);
  return readMegatronSide(megatronDir, checkpoint, hfVocab).info;
}

WeightComparison compareMegatronWithHf(const fs::path& hfDir, const fs::path& megatronDir) {
  const io::HfCheckpoint hf = io::HfCheckpoint::open(hfDir);
  const io::MegatronLegacyCheckpoint checkpoint = io::MegatronLegacyCheckpoint::open(megatronDir);
  const MegatronSide side = readMegatronSide(megatronDir, checkpoint, hf.config().vocabSize);

  WeightComparison result;
  result.expectedLabel = "HF checkpoint " + hfDir.string();
  result.actualLabel = "Megatron checkpoint " + megatronDir.string();

  const std::string configSource = (hfDir / "config.json").string();
  const mapping::ModelDims dims = mapping::dimsFromHfConfig(hf.config(), configSource);
  const convert::Plan plan = convert::planConversion(dims, side.layout, configSource);
  if (!(checkpoint.sizes() == io::MegatronParallelSizes{static_cast<int>(side.layout.tp),
                                                          static_cast<int>(side.layout.pp),
                                                          static_cast<int>(side.layout.ep)})) {
    std::ostringstream message;
    message << megatronDir.string() << ": rank files are for tp " << checkpoint.sizes().tp << ", pp "
            << checkpoint.sizes().pp << ", ep " << checkpoint.sizes().ep << " but the layout says tp "
            << side.layout.tp << ", pp " << side.layout.pp << ", ep " << side.layout.ep;
    result.structuralError = message.str();
    return result;
  }

  convert::LegacyCheckpointSource source(checkpoint);
  ComparingSink sink(hf.tensors(), result);
  convert::ExportOptions options;
  options.threads = 1;
  options.restoreDTypes = side.restoreDTypes;
  try {
    convert::executeMegatronToHf(plan, source, sink, options);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::Internal) throw;
    result.structuralError = error.what();
    return result;
  }
  for (const std::string& name : hf.tensors().names())
    if (!sink.seen(name)) result.differences.push_back(absentTensor(name, TensorStatus::Missing, hf.tensors().view(name)));
  sortByName(result.differences);
  return result;
}

// ---- checks ---------------------------------------------------------------------------------

namespace {

std::string joinNames(const std::vector<std::string>& names, std::size_t limit = 5) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

Json shapeJson(const Shape& shape) { return Json(shape); }

Json differenceJson(const TensorDifference& d) {
  Json j;
  j["name"] = d.name;
  j["status"] = tensorStatusName(d.status);
  if (d.status != TensorStatus::Unexpected) {
    j["expected_dtype"] = std::string(shortName(d.expectedDType));
    j["expected_shape"] = shapeJson(d.expectedShape);
  }
  if (d.status != TensorStatus::Missing) {
    j["actual_dtype"] = std::string(shortName(d.actualDType));
    j["actual_shape"] = shapeJson(d.actualShape);
  }
  if (d.numel > 0) {
    j["numel"] = d.numel;
    j["differing_elements"] = d.differingElements;
    if (d.firstDifferingIndex >= 0) j["first_differing_index"] = d.firstDifferingIndex;
  }
  return j;
}

bool withinUlpBudget(const TensorDifference& d, const WeightLimits& limits) {
  return !limits.bitwise && d.status == TensorStatus::ValuesDiffer && d.ulpMeasured && d.maxUlp <= limits.maxUlp;
}

Check makeCheck(const std::string& id, const std::string& name) { return newCheck(CheckCategory::Weights, id, name); }

Check tensorCheck(const TensorDifference& d, const WeightLimits& limits, const WeightComparison& c) {
  Check check = makeCheck("weights.tensor." + d.name, d.name);
  check.details = differenceJson(d);
  switch (d.status) {
    case TensorStatus::Missing:
      check.message = d.name + ": in the " + c.expectedLabel + " but missing from the " + c.actualLabel;
      break;
    case TensorStatus::Unexpected:
      check.message = d.name + ": in the " + c.actualLabel + " but not in the " + c.expectedLabel;
      break;
    case TensorStatus::ShapeChanged:
      check.message = d.name + ": shape " + shapeToString(d.expectedShape) + " became " + shapeToString(d.actualShape);
      break;
    case TensorStatus::DTypeChanged:
      check.message = d.name + ": dtype " + std::string(shortName(d.expectedDType)) + " became " +
                      std::string(shortName(d.actualDType));
      break;
    case TensorStatus::ValuesDiffer:
    case TensorStatus::Identical:
      check.message = d.name + ": " + std::to_string(d.differingElements) + " of " + std::to_string(d.numel) +
                      " elements differ";
      if (d.valuesDecoded) {
        std::ostringstream extra;
        extra << " (max abs diff " << d.maxAbsDiff << ", max rel diff " << d.maxRelDiff;
        if (d.ulpMeasured) extra << ", max ULP " << d.maxUlp;
        extra << ")";
        check.message += extra.str();
      } else {
        check.message += " (raw bytes; " + std::string(shortName(d.actualDType)) + " is not decoded)";
      }
      break;
  }
  if (d.numel > 0) {
    check.metrics.set("differing_count", static_cast<double>(d.differingElements));
    check.metrics.set("numel", static_cast<double>(d.numel));
    if (d.valuesDecoded) {
      check.metrics.set("max_abs_diff", d.maxAbsDiff);
      check.metrics.set("max_rel_diff", d.maxRelDiff);
    }
    if (d.ulpMeasured) check.metrics.set("max_ulp", static_cast<double>(d.maxUlp));
  }
  if (withinUlpBudget(d, limits)) {
    check.verdict = Verdict::Pass;
    check.message += "; within max_ulp " + std::to_string(limits.maxUlp);
  } else {
    check.verdict = Verdict::Fail;
  }
  if (!limits.bitwise) check.thresholds.set("max_ulp", static_cast<double>(limits.maxUlp));
  return check;
}

}  // namespace

std::vector<Check> weightChecks(const WeightComparison& c, const WeightLimits& limits) {
  std::vector<Check> checks;

  if (!c.structuralError.empty()) {
    Check structure = makeCheck("weights.structure", "Megatron checkpoint matches the conversion plan");
    structure.verdict = Verdict::Fail;
    structure.message = c.structuralError;
    checks.push_back(std::move(structure));
  }

  std::vector<std::string> missing, unexpected, dtypeChanged, shapeChanged, valuesDiffer;
  int64_t differingElements = 0;
  double maxAbs = 0, maxRel = 0;
  uint64_t maxUlp = 0;
  bool allWithinBudget = true;
  for (const TensorDifference& d : c.differences) {
    switch (d.status) {
      case TensorStatus::Missing: missing.push_back(d.name); break;
      case TensorStatus::Unexpected: unexpected.push_back(d.name); break;
      case TensorStatus::DTypeChanged: dtypeChanged.push_back(d.name); break;
      case TensorStatus::ShapeChanged: shapeChanged.push_back(d.name); break;
      case TensorStatus::ValuesDiffer:
      case TensorStatus::Identical:
        valuesDiffer.push_back(d.name);
        differingElements += d.differingElements;
        maxAbs = std::max(maxAbs, d.maxAbsDiff);
        maxRel = std::max(maxRel, d.maxRelDiff);
        maxUlp = std::max(maxUlp, d.maxUlp);
        allWithinBudget = allWithinBudget && withinUlpBudget(d, limits);
        break;
    }
  }

  Check inventory = makeCheck("weights.inventory", "same tensor names");
  inventory.metrics.set("missing_count", static_cast<double>(missing.size()));
  inventory.metrics.set("unexpected_count", static_cast<double>(unexpected.size()));
  inventory.details["missing"] = missing;
  inventory.details["unexpected"] = unexpected;
  if (missing.empty() && unexpected.empty()) {
    inventory.verdict = c.structuralError.empty() ? Verdict::Pass : Verdict::Skip;
    inventory.message = c.structuralError.empty() ? "every tensor of the " + c.expectedLabel + " is in the " + c.actualLabel + " and no other"
                                                  : "not compared: the Megatron checkpoint does not fit the plan";
  } else {
    inventory.verdict = Verdict::Fail;
    inventory.message.clear();
    if (!missing.empty()) inventory.message = std::to_string(missing.size()) + " missing from the " + c.actualLabel + ": " + joinNames(missing);
    if (!unexpected.empty())
      inventory.message += std::string(missing.empty() ? "" : "; ") + std::to_string(unexpected.size()) +
                           " unexpected in the " + c.actualLabel + ": " + joinNames(unexpected);
  }
  checks.push_back(std::move(inventory));

  Check dtypes = makeCheck("weights.dtypes", "dtypes preserved");
  dtypes.metrics.set("dtype_changed_count", static_cast<double>(dtypeChanged.size()));
  dtypes.details["changed"] = dtypeChanged;
  dtypes.verdict = dtypeChanged.empty() ? Verdict::Pass : Verdict::Fail;
  dtypes.message = dtypeChanged.empty() ? "every tensor keeps its dtype"
                                        : std::to_string(dtypeChanged.size()) + " tensors changed dtype: " + joinNames(dtypeChanged);
  checks.push_back(std::move(dtypes));

  Check shapes = makeCheck("weights.shapes", "shapes preserved");
  shapes.metrics.set("shape_changed_count", static_cast<double>(shapeChanged.size()));
  shapes.details["changed"] = shapeChanged;
  shapes.verdict = shapeChanged.empty() ? Verdict::Pass : Verdict::Fail;
  shapes.message = shapeChanged.empty() ? "every tensor keeps its shape"
                                        : std::to_string(shapeChanged.size()) + " tensors changed shape: " + joinNames(shapeChanged);
  checks.push_back(std::move(shapes));

  Check bitwise = makeCheck("weights.bitwise", limits.bitwise ? "weights bitwise identical" : "weights within the ULP budget");
  bitwise.metrics.set("tensors_compared_count", static_cast<double>(c.tensorsCompared));
  bitwise.metrics.set("tensors_identical_count", static_cast<double>(c.tensorsIdentical));
  bitwise.metrics.set("tensors_differing_count", static_cast<double>(valuesDiffer.size()));
  bitwise.metrics.set("differing_count", static_cast<double>(differingElements));
  bitwise.metrics.set("max_abs_diff", maxAbs);
  bitwise.metrics.set("max_rel_diff", maxRel);
  bitwise.metrics.set("max_ulp", static_cast<double>(maxUlp));
  bitwise.metrics.set("bytes_compared_count", static_cast<double>(c.bytesCompared));
  if (!limits.bitwise) bitwise.thresholds.set("max_ulp", static_cast<double>(limits.maxUlp));
  bitwise.details["differing"] = valuesDiffer;
  if (valuesDiffer.empty()) {
    bitwise.verdict = Verdict::Pass;
    bitwise.message = std::to_string(c.tensorsIdentical) + " of " + std::to_string(c.tensorsCompared) +
                      " tensors byte-identical";
  } else {
    bitwise.verdict = allWithinBudget ? Verdict::Pass : Verdict::Fail;
    bitwise.message = std::to_string(valuesDiffer.size()) + " tensors differ: " + joinNames(valuesDiffer);
  }
  if (!c.structuralError.empty()) {
    bitwise.verdict = Verdict::Skip;
    bitwise.message = "not compared: the Megatron checkpoint does not fit the plan";
  }
  checks.push_back(std::move(bitwise));

  for (const TensorDifference& d : c.differences) checks.push_back(tensorCheck(d, limits, c));
  return checks;
}

}  // namespace nhb::verify
