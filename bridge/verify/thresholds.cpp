#include "bridge/verify/thresholds.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "bridge/core/error.h"

namespace nhb::verify {
namespace {

using Json = nlohmann::ordered_json;

constexpr DType kForwardDTypes[] = {DType::F16, DType::BF16, DType::F32, DType::F64};

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

[[noreturn]] void badKey(const std::string& source, const std::string& key, const std::string& why) {
  badInput(source + ": " + key + ": " + why);
}

double readNumber(const Json& value, const std::string& source, const std::string& key) {
  if (!value.is_number()) badKey(source, key, "expected a number, got " + value.dump());
  const double result = value.get<double>();
  if (!std::isfinite(result)) badKey(source, key, "must be finite");
  return result;
}

double readNonNegative(const Json& value, const std::string& source, const std::string& key) {
  const double result = readNumber(value, source, key);
  if (result < 0) badKey(source, key, "must be >= 0, got " + number(result));
  return result;
}

double readFraction(const Json& value, const std::string& source, const std::string& key) {
  const double result = readNumber(value, source, key);
  if (result < 0 || result > 1) badKey(source, key, "must be in [0, 1], got " + number(result));
  return result;
}

void requireObject(const Json& value, const std::string& source, const std::string& key) {
  if (!value.is_object()) badKey(source, key, "expected an object, got " + value.dump());
}

void parseWeights(const Json& json, WeightLimits& limits, const std::string& source) {
  requireObject(json, source, "weights");
  for (const auto& [key, value] : json.items()) {
    const std::string path = "weights." + key;
    if (key == "bitwise") {
      if (!value.is_boolean()) badKey(source, path, "expected true or false, got " + value.dump());
      limits.bitwise = value.get<bool>();
    } else if (key == "max_ulp") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0)
        badKey(source, path, "expected a non-negative integer, got " + value.dump());
      limits.maxUlp = value.get<uint64_t>();
    } else {
      badKey(source, path, "unknown key (known: bitwise, max_ulp)");
    }
  }
}

void parseForwardLimits(const Json& json, ForwardLimits& limits, const std::string& source,
                        const std::string& prefix) {
  requireObject(json, source, prefix);
  for (const auto& [key, value] : json.items()) {
    const std::string path = prefix + "." + key;
    if (key == "rtol") limits.rtol = readNonNegative(value, source, path);
    else if (key == "atol") limits.atol = readNonNegative(value, source, path);
    else if (key == "cosine_min") limits.cosineMin = readNumber(value, source, path);
    else if (key == "kl_max") limits.klMax = readNonNegative(value, source, path);
    else if (key == "top1_min") limits.top1Min = readFraction(value, source, path);
    else badKey(source, path, "unknown key (known: rtol, atol, cosine_min, kl_max, top1_min)");
    if (key == "cosine_min" && (limits.cosineMin < -1 || limits.cosineMin > 1))
      badKey(source, path, "must be in [-1, 1], got " + number(limits.cosineMin));
  }
}

}  // namespace

const ForwardLimits& Thresholds::forwardLimits(DType dtype) const {
  auto it = forward.find(dtype);
  if (it == forward.end())
    fail(ErrorKind::Unsupported, "no forward thresholds for dtype " + std::string(shortName(dtype)));
  return it->second;
}

Thresholds defaultThresholds() {
  Thresholds t;
  t.forward[DType::F16] = ForwardLimits{1e-3, 1e-5, 0.999, 1e-3, 0.98};
  t.forward[DType::BF16] = ForwardLimits{1.6e-2, 1e-5, 0.995, 5e-3, 0.95};
  t.forward[DType::F32] = ForwardLimits{1.3e-6, 1e-5, 0.99999, 1e-6, 0.999};
  t.forward[DType::F64] = ForwardLimits{1e-7, 1e-7, 0.9999999, 1e-9, 1.0};
  return t;
}

Thresholds parseThresholds(const Json& json, const std::string& source) {
  Thresholds t = defaultThresholds();
  if (!json.is_object()) badInput(source + ": expected a JSON object at the top level");
  for (const auto& [key, value] : json.items()) {
    if (key == "version") {
      if (!value.is_number_integer() || value.get<int64_t>() != 1)
        badKey(source, "version", "unsupported version " + value.dump() + " (this nhbridge reads version 1)");
    } else if (key == "weights") {
      parseWeights(value, t.weights, source);
    } else if (key == "forward") {
      requireObject(value, source, "forward");
      for (const auto& [dtypeName, limits] : value.items()) {
        const std::optional<DType> dtype = dtypeFromUserName(dtypeName);
        bool known = false;
        for (DType d : kForwardDTypes) known = known || (dtype && *dtype == d);
        if (!known) badKey(source, "forward." + dtypeName, "unknown dtype (known: f16, bf16, f32, f64)");
        parseForwardLimits(limits, t.forward[*dtype], source, "forward." + dtypeName);
      }
    } else if (key == "$schema" || key == "description") {
      // free-form documentation keys
    } else {
      badKey(source, key, "unknown key (known: version, weights, forward)");
    }
  }
  return t;
}

Thresholds loadThresholds(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) badInput(path.string() + ": cannot open thresholds file");
  Json json;
  try {
    json = Json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    badInput(path.string() + ": not valid JSON: " + error.what());
  }
  return parseThresholds(json, path.string());
}

bool withinTolerance(double expected, double actual, double rtol, double atol) {
  if (std::isnan(expected) || std::isnan(actual)) return false;
  if (expected == actual) return true;
  return std::fabs(actual - expected) <= atol + rtol * std::fabs(expected);
}

void judgeForward(const ForwardObservation& observed, const ForwardLimits& limits, Check& check) {
  check.thresholds.set("rtol", limits.rtol);
  check.thresholds.set("atol", limits.atol);
  check.thresholds.set("cosine_min", limits.cosineMin);
  check.thresholds.set("kl_max", limits.klMax);
  check.thresholds.set("top1_min", limits.top1Min);
  std::vector<std::string> failures;
  if (observed.elementsOutsideTolerance > 0)
    failures.push_back(std::to_string(observed.elementsOutsideTolerance) + " logits outside rtol " +
                       number(limits.rtol) + " / atol " + number(limits.atol));
  if (!(observed.cosineMin >= limits.cosineMin))
    failures.push_back("min cosine " + number(observed.cosineMin) + " < " + number(limits.cosineMin));
  if (!(observed.klMax <= limits.klMax))
    failures.push_back("max KL " + number(observed.klMax) + " > " + number(limits.klMax));
  if (!(observed.top1Agreement >= limits.top1Min))
    failures.push_back("top-1 agreement " + number(observed.top1Agreement) + " < " + number(limits.top1Min));
  if (failures.empty()) {
    check.verdict = Verdict::Pass;
    check.message = "within rtol " + number(limits.rtol) + " / atol " + number(limits.atol) + ", cosine, KL and top-1 limits";
    return;
  }
  check.verdict = Verdict::Fail;
  check.message.clear();
  for (std::size_t i = 0; i < failures.size(); ++i) check.message += (i ? "; " : "") + failures[i];
}

}  // namespace nhb::verify
