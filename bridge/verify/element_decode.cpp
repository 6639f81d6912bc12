#include "bridge/verify/element_decode.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "bridge/core/error.h"

namespace nhb::verify {
namespace {

template <class T>
T load(const std::byte* data, std::int64_t index) {
  T value;
  std::memcpy(&value, data + index * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
  return value;
}

// Sign-magnitude bits -> two's-complement order (both zeros map to 0).
std::int64_t orderBits(std::uint64_t bits, int width) {
  const std::uint64_t signBit = std::uint64_t{1} << (width - 1);
  const std::int64_t magnitude = static_cast<std::int64_t>(bits & (signBit - 1));
  return (bits & signBit) ? -magnitude : magnitude;
}

}  // namespace

double halfToDouble(std::uint16_t bits) {
  const bool negative = bits & 0x8000u;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  double value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);  // subnormal: m * 2^-24
  } else if (exponent == 31) {
    value = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return negative ? -value : value;
}

double bf16ToDouble(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

bool isDecodable(DType dtype) { return dtype != DType::F8E4M3 && dtype != DType::F8E5M2; }

double decodeElement(DType dtype, const std::byte* data, std::int64_t index) {
  switch (dtype) {
    case DType::Bool: return load<std::uint8_t>(data, index) != 0 ? 1.0 : 0.0;
    case DType::U8: return load<std::uint8_t>(data, index);
    case DType::I8: return load<std::int8_t>(data, index);
    case DType::I16: return load<std::int16_t>(data, index);
    case DType::U16: return load<std::uint16_t>(data, index);
    case DType::I32: return load<std::int32_t>(data, index);
    case DType::U32: return load<std::uint32_t>(data, index);
    case DType::I64: return static_cast<double>(load<std::int64_t>(data, index));
    case DType::U64: return static_cast<double>(load<std::uint64_t>(data, index));
    case DType::F16: return halfToDouble(load<std::uint16_t>(data, index));
    case DType::BF16: return bf16ToDouble(load<std::uint16_t>(data, index));
    case DType::F32: return load<float>(data, index);
    case DType::F64: return load<double>(data, index);
    case DType::F8E4M3:
    case DType::F8E5M2: break;
  }
  fail(ErrorKind::Internal, std::string("decodeElement: no decoding for ") + std::string(shortName(dtype)));
}

bool hasUlpMetric(DType dtype) {
  return dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32 || dtype == DType::F64;
}

bool isNanElement(DType dtype, const std::byte* data, std::int64_t index) {
  switch (dtype) {
    case DType::F16: {
      const std::uint16_t b = load<std::uint16_t>(data, index);
      return (b & 0x7C00u) == 0x7C00u && (b & 0x03FFu) != 0;
    }
    case DType::BF16: {
      const std::uint16_t b = load<std::uint16_t>(data, index);
      return (b & 0x7F80u) == 0x7F80u && (b & 0x007Fu) != 0;
    }
    case DType::F32: return std::isnan(load<float>(data, index));
    case DType::F64: return std::isnan(load<double>(data, index));
    default: return false;
  }
}

std::int64_t orderedKey(DType dtype, const std::byte* data, std::int64_t index) {
  switch (dtype) {
    case DType::F16:
    case DType::BF16: return orderBits(load<std::uint16_t>(data, index), 16);
    case DType::F32: return orderBits(load<std::uint32_t>(data, index), 32);
    case DType::F64: return orderBits(load<std::uint64_t>(data, index), 64);
    default: break;
  }
  fail(ErrorKind::Internal, std::string("orderedKey: no ULP metric for ") + std::string(shortName(dtype)));
}

}  // namespace nhb::verify
