// Element-by-element comparison of two tensors given as views (no copies): bitwise identity first,
// and where the bytes differ the size of the difference (max abs / relative difference, max ULP
// distance, number of differing elements). F8 tensors are compared by raw bytes only.
#pragma once

#include <cstdint>
#include <string>

#include "bridge/core/tensor_view.h"

namespace nhb::verify {

enum class TensorStatus {
  Identical,     // same dtype, shape and bytes
  ValuesDiffer,  // same dtype and shape, some elements differ
  DTypeChanged,  // same shape, another dtype (values compared after decoding when possible)
  ShapeChanged,  // different shape (or element count); values not compared
  Missing,       // in the expected checkpoint only
  Unexpected,    // in the actual checkpoint only
};

const char* tensorStatusName(TensorStatus status);  // "identical", "values-differ", ...

struct TensorDifference {
  std::string name;
  TensorStatus status = TensorStatus::Identical;
  DType expectedDType = DType::U8, actualDType = DType::U8;
  Shape expectedShape, actualShape;
  int64_t numel = 0;                 // elements compared (0 when not compared)
  int64_t differingElements = 0;     // elements whose bits (or decoded values across dtypes) differ
  double maxAbsDiff = 0.0;           // over decodable elements; inf when one side is inf/NaN
  double maxRelDiff = 0.0;           // |a - e| / |e|; inf where e == 0 and a != 0
  uint64_t maxUlp = 0;               // same float dtype only; UINT64_MAX for NaN vs number
  bool valuesDecoded = false;        // false for F8 (raw-byte count only) and shape changes
  bool ulpMeasured = false;          // same F16/BF16/F32/F64 dtype
  int64_t firstDifferingIndex = -1;  // flat index of the first differing element
};

// Compares `actual` against `expected` (the source). Status Identical/ValuesDiffer/DTypeChanged/
// ShapeChanged; `name` is copied into the result.
TensorDifference compareTensors(const std::string& name, const TensorView& expected, const TensorView& actual);

}  // namespace nhb::verify
