#include "bridge/verify/tensor_compare.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "bridge/verify/element_decode.h"

namespace nhb::verify {

const char* tensorStatusName(TensorStatus status) {
  switch (status) {
    case TensorStatus::Identical: return "identical";
    case TensorStatus::ValuesDiffer: return "values-differ";
    case TensorStatus::DTypeChanged: return "dtype-changed";
    case TensorStatus::ShapeChanged: return "shape-changed";
    case TensorStatus::Missing: return "missing";
    case TensorStatus::Unexpected: return "unexpected";
  }
  return "unknown";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void accumulateValueDiff(TensorDifference& d, double expected, double actual) {
  const bool expectedNan = std::isnan(expected), actualNan = std::isnan(actual);
  if (expectedNan && actualNan) return;  // NaN payloads count as equal
  if (expectedNan || actualNan) {
    d.maxAbsDiff = d.maxRelDiff = kInf;
    return;
  }
  if (expected == actual) return;  // also inf == inf
  const double abs = std::fabs(actual - expected);  // inf when only one is infinite
  d.maxAbsDiff = std::max(d.maxAbsDiff, abs);
  const double rel = expected == 0.0 ? kInf : abs / std::fabs(expected);
  d.maxRelDiff = std::max(d.maxRelDiff, rel);
}

void noteDiffering(TensorDifference& d, int64_t index) {
  if (d.differingElements++ == 0) d.firstDifferingIndex = index;
}

// Same dtype and shape, bytes differ somewhere: walk the elements.
void measureSameDType(TensorDifference& d, const TensorView& e, const TensorView& a) {
  const DType dtype = e.dtype;
  const std::size_t item = itemSize(dtype);
  d.valuesDecoded = isDecodable(dtype);
  d.ulpMeasured = hasUlpMetric(dtype);
  for (int64_t i = 0; i < d.numel; ++i) {
    const std::byte* pe = e.data + i * item;
    const std::byte* pa = a.data + i * item;
    if (std::memcmp(pe, pa, item) == 0) continue;
    if (d.ulpMeasured) {
      const bool nanE = isNanElement(dtype, e.data, i), nanA = isNanElement(dtype, a.data, i);
      noteDiffering(d, i);  // bits differ, even when both are NaN (payloads)
      if (nanE && nanA) continue;  // ... but the values count as equal
      if (nanE || nanA) {
        d.maxUlp = std::numeric_limits<uint64_t>::max();
      } else {
        const int64_t ke = orderedKey(dtype, e.data, i), ka = orderedKey(dtype, a.data, i);
        // The true distance is below 2^64, so unsigned wrap-around arithmetic gives it exactly.
        const uint64_t ulp = ke > ka ? static_cast<uint64_t>(ke) - static_cast<uint64_t>(ka)
                                     : static_cast<uint64_t>(ka) - static_cast<uint64_t>(ke);
        d.maxUlp = std::max(d.maxUlp, ulp);
      }
    } else {
      noteDiffering(d, i);
    }
    if (d.valuesDecoded) accumulateValueDiff(d, decodeElement(dtype, e.data, i), decodeElement(dtype, a.data, i));
  }
}

// Same shape, different dtype: compare decoded values (no ULP: the grids differ).
void measureAcrossDTypes(TensorDifference& d, const TensorView& e, const TensorView& a) {
  if (!isDecodable(e.dtype) || !isDecodable(a.dtype)) return;
  d.valuesDecoded = true;
  for (int64_t i = 0; i < d.numel; ++i) {
    const double ve = decodeElement(e.dtype, e.data, i), va = decodeElement(a.dtype, a.data, i);
    if (ve == va || (std::isnan(ve) && std::isnan(va))) continue;
    noteDiffering(d, i);
    accumulateValueDiff(d, ve, va);
  }
}

}  // namespace

TensorDifference compareTensors(const std::string& name, const TensorView& expected, const TensorView& actual) {
  TensorDifference d;
  d.name = name;
  d.expectedDType = expected.dtype;
  d.actualDType = actual.dtype;
  d.expectedShape = expected.shape;
  d.actualShape = actual.shape;
  if (expected.shape != actual.shape) {
    d.status = TensorStatus::ShapeChanged;
    return d;
  }
  d.numel = expected.numel();
  if (expected.dtype != actual.dtype) {
    d.status = TensorStatus::DTypeChanged;
    measureAcrossDTypes(d, expected, actual);
    return d;
  }
  if (expected.nbytes == actual.nbytes &&
      (expected.nbytes == 0 || std::memcmp(expected.data, actual.data, expected.nbytes) == 0)) {
    d.status = TensorStatus::Identical;
    return d;
  }
  d.status = TensorStatus::ValuesDiffer;
  measureSameDType(d, expected, actual);
  return d;
}

}  // namespace nhb::verify
