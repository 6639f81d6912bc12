// Reads checkpoint elements without libtorch: every dtype decodes to double (F8 excepted: there
// the bytes are compared raw), and float dtypes map to an ordered integer so that the ULP distance
// of two values is the difference of their keys (numpy.testing.assert_array_max_ulp semantics:
// +0 and -0 are 0 apart; two NaNs count as equal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/core/dtype.h"

namespace nhb::verify {

// IEEE binary16 -> double, decoded by hand (subnormals, inf and NaN included).
double halfToDouble(std::uint16_t bits);
double bf16ToDouble(std::uint16_t bits);

// Whether decodeElement() is meaningful for the dtype (everything but the F8 types).
bool isDecodable(DType dtype);
// Element `index` of a contiguous little-endian buffer as double; Internal for F8 types.
double decodeElement(DType dtype, const std::byte* data, std::int64_t index);

// Float dtypes with a ULP metric: F16, BF16, F32, F64.
bool hasUlpMetric(DType dtype);
bool isNanElement(DType dtype, const std::byte* data, std::int64_t index);
// Monotonic integer key of a non-NaN float element: key(a) - key(b) is the number of representable
// values between them.
std::int64_t orderedKey(DType dtype, const std::byte* data, std::int64_t index);

}  // namespace nhb::verify
