// Element-wise conversion between floating-point storage types (bf16, f16, f32, f64), used for
// the optional fp32 A_log/D and to restore the HF dtype on export. Widening is exact; narrowing
// rounds to nearest even, so narrowing a widened value gives back the original bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bridge/core/dtype.h"

namespace nhb::convert {

bool canCastFloat(DType from, DType to);
// Throws Unsupported when the pair is not a float pair.
void castElements(DType from, const std::byte* src, DType to, std::byte* dst, int64_t count);

}  // namespace nhb::convert
