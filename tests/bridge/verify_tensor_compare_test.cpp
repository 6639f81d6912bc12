// Element decoding and tensor comparison: golden values computed by hand from the IEEE / bfloat16
// bit layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "bridge/verify/element_decode.h"
#include "bridge/verify/tensor_compare.h"

namespace nhb::verify {
namespace {

template <class T>
TensorView viewOf(const std::vector<T>& values, DType dtype) {
  return TensorView{dtype, {static_cast<int64_t>(values.size())}, reinterpret_cast<const std::byte*>(values.data()),
                    values.size() * sizeof(T)};
}

TEST(ElementDecode, HalfByHand) {
  EXPECT_EQ(halfToDouble(0x3C00), 1.0);                     // exponent 15, mantissa 0
  EXPECT_EQ(halfToDouble(0xC000), -2.0);                    // sign, exponent 16
  EXPECT_EQ(halfToDouble(0x3555), (1 + 0x155 / 1024.0) * 0.25);  // exponent 13, mantissa 0x155
  EXPECT_EQ(halfToDouble(0x0001), std::ldexp(1.0, -24));    // smallest subnormal
  EXPECT_EQ(halfToDouble(0x7BFF), 65504.0);                 // largest finite
  EXPECT_TRUE(std::isinf(halfToDouble(0x7C00)));
  EXPECT_TRUE(std::isnan(halfToDouble(0x7E00)));
  EXPECT_EQ(std::signbit(halfToDouble(0x8000)), true);
}

TEST(ElementDecode, Bf16ByHand) {
  EXPECT_EQ(bf16ToDouble(0x3F80), 1.0);
  EXPECT_EQ(bf16ToDouble(0x4049), 3.140625);  // 1.1001001b * 2 = 3.140625
  EXPECT_EQ(bf16ToDouble(0xBF00), -0.5);
}

TEST(TensorCompare, IdenticalTensorsAreIdentical) {
  std::vector<float> a{1.0f, -2.5f, 3.0f};
  TensorDifference d = compareTensors("t", viewOf(a, DType::F32), viewOf(a, DType::F32));
  EXPECT_EQ(d.status, TensorStatus::Identical);
  EXPECT_EQ(d.differingElements, 0);
}

TEST(TensorCompare, F32DifferenceMetrics) {
  const float next = std::nextafter(1.0f, 2.0f);  // 1 ULP above 1
  std::vector<float> expected{1.0f, 2.0f, 0.0f, 4.0f};
  std::vector<float> actual{next, 2.0f, 0.0f, 3.0f};
  TensorDifference d = compareTensors("t", viewOf(expected, DType::F32), viewOf(actual, DType::F32));
  EXPECT_EQ(d.status, TensorStatus::ValuesDiffer);
  EXPECT_EQ(d.differingElements, 2);
  EXPECT_EQ(d.firstDifferingIndex, 0);
  EXPECT_DOUBLE_EQ(d.maxAbsDiff, 1.0);   // |3 - 4|
  EXPECT_DOUBLE_EQ(d.maxRelDiff, 0.25);  // 1 / 4
  // 4.0f -> 3.0f: 4 is 0x40800000, 3 is 0x40400000: 0x400000 = 4194304 ULP apart.
  EXPECT_EQ(d.maxUlp, 4194304u);
  EXPECT_TRUE(d.ulpMeasured);
}

TEST(TensorCompare, UlpAcrossZeroAndSignedZeros) {
  // bf16: +0 0x0000 and -0 0x8000 are 0 ULP apart (but the bits differ); the smallest positive and
  // negative subnormals 0x0001 / 0x8001 are 2 apart.
  std::vector<uint16_t> expected{0x0000, 0x0001};
  std::vector<uint16_t> actual{0x8000, 0x8001};
  TensorDifference d = compareTensors("t", viewOf(expected, DType::BF16), viewOf(actual, DType::BF16));
  EXPECT_EQ(d.differingElements, 2);
  EXPECT_EQ(d.maxUlp, 2u);
  EXPECT_DOUBLE_EQ(d.maxAbsDiff, 2 * std::ldexp(1.0, -133));  // bf16 min subnormal 2^-133
}

TEST(TensorCompare, NanAgainstNumberIsInfinitelyFar) {
  std::vector<uint16_t> expected{0x3C00};  // f16 1.0
  std::vector<uint16_t> actual{0x7E00};    // NaN
  TensorDifference d = compareTensors("t", viewOf(expected, DType::F16), viewOf(actual, DType::F16));
  EXPECT_EQ(d.maxUlp, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(std::isinf(d.maxAbsDiff));
}

TEST(TensorCompare, RelativeDiffFromZeroIsInfinite) {
  std::vector<double> expected{0.0};
  std::vector<double> actual{1e-30};
  TensorDifference d = compareTensors("t", viewOf(expected, DType::F64), viewOf(actual, DType::F64));
  EXPECT_TRUE(std::isinf(d.maxRelDiff));
  EXPECT_DOUBLE_EQ(d.maxAbsDiff, 1e-30);
}

TEST(TensorCompare, Fp8ComparedByRawBytesOnly) {
  std::vector<uint8_t> expected{0x38, 0x40, 0x41};
  std::vector<uint8_t> actual{0x38, 0x41, 0x41};
  TensorDifference d = compareTensors("t", viewOf(expected, DType::F8E4M3), viewOf(actual, DType::F8E4M3));
  EXPECT_EQ(d.status, TensorStatus::ValuesDiffer);
  EXPECT_EQ(d.differingElements, 1);
  EXPECT_FALSE(d.valuesDecoded);
  EXPECT_FALSE(d.ulpMeasured);
}

TEST(TensorCompare, IntegerDifference) {
  std::vector<int64_t> expected{5, -7};
  std::vector<int64_t> actual{5, -4};
  TensorDifference d = compareTensors("t", viewOf(expected, DType::I64), viewOf(actual, DType::I64));
  EXPECT_EQ(d.differingElements, 1);
  EXPECT_DOUBLE_EQ(d.maxAbsDiff, 3.0);
  EXPECT_FALSE(d.ulpMeasured);
}

TEST(TensorCompare, DTypeChangeComparesDecodedValues) {
  std::vector<float> expected{1.0f, 1.00390625f};  // 1 + 2^-8: representable in bf16
  std::vector<uint16_t> actual{0x3F80, 0x3F80};    // bf16 1.0, 1.0
  TensorDifference d = compareTensors("t", viewOf(expected, DType::F32), viewOf(actual, DType::BF16));
  EXPECT_EQ(d.status, TensorStatus::DTypeChanged);
  EXPECT_EQ(d.differingElements, 1);
  EXPECT_DOUBLE_EQ(d.maxAbsDiff, 0.00390625);
  EXPECT_FALSE(d.ulpMeasured);
}

TEST(TensorCompare, ShapeChangeIsNotCompared) {
  std::vector<float> a{1, 2, 3, 4};
  TensorView expected = viewOf(a, DType::F32);
  TensorView actual = expected;
  actual.shape = {2, 2};
  TensorDifference d = compareTensors("t", expected, actual);
  EXPECT_EQ(d.status, TensorStatus::ShapeChanged);
  EXPECT_EQ(d.numel, 0);
}

}  // namespace
}  // namespace nhb::verify
