#include "bridge/convert/dtype_cast.h"

#include <cmath>
#include <cstring>
#include <string>

#include "bridge/core/error.h"

namespace nhb::convert {
namespace {

bool isCastable(DType t) { return t == DType::BF16 || t == DType::F16 || t == DType::F32 || t == DType::F64; }

float bitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}
uint32_t floatToBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0) {
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatToBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // overflow to inf
  if (abs < 0x38800000u) {                                             // subnormal half
    float magnitude = bitsToFloat(abs);
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(magnitude * 16777216.0f)));
  }
  uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);  // round to nearest even
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

uint16_t floatToBf16(float value) {
  uint32_t bits = floatToBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

double load(DType t, const std::byte* p) {
  switch (t) {
    case DType::BF16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return bitsToFloat(static_cast<uint32_t>(v) << 16);
    }
    case DType::F16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return halfToFloat(v);
    }
    case DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void store(DType t, double value, std::byte* p) {
  switch (t) {
    case DType::BF16: {
      uint16_t v = floatToBf16(static_cast<float>(value));
      std::memcpy(p, &v, 2);
      return;
    }
    case DType::F16: {
      uint16_t v = floatToHalf(static_cast<float>(value));
      std::memcpy(p, &v, 2);
      return;
    }
    case DType::F32: {
      float v = static_cast<float>(value);
      std::memcpy(p, &v, 4);
      return;
    }
    default:
      std::memcpy(p, &value, 8);
      return;
  }
}

}  // namespace

bool canCastFloat(DType from, DType to) { return isCastable(from) && isCastable(to); }

void castElements(DType from, const std::byte* src, DType to, std::byte* dst, int64_t count) {
  if (!canCastFloat(from, to)) {
    fail(ErrorKind::Unsupported, "cannot cast " + std::string(shortName(from)) + " to " + std::string(shortName(to)));
  }
  if (from == to) {
    std::memcpy(dst, src, static_cast<std::size_t>(count) * itemSize(from));
    return;
  }
  const std::size_t inSize = itemSize(from), outSize = itemSize(to);
  for (int64_t i = 0; i < count; ++i) store(to, load(from, src + i * inSize), dst + i * outSize);
}

}  // namespace nhb::convert
