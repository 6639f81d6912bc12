#include "bridge/core/dtype.h"

#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/core/tensor_view.h"

namespace nhb {
namespace {

TEST(DType, SafetensorsNamesRoundTripAndSizesMatchTheFormat) {
  for (DType d : kAllDTypes) {
    auto parsed = dtypeFromSafetensorsName(safetensorsName(d));
    ASSERT_TRUE(parsed.has_value()) << safetensorsName(d);
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(itemSize(DType::BF16), 2u);
  EXPECT_EQ(itemSize(DType::F8E4M3), 1u);
  EXPECT_EQ(itemSize(DType::U64), 8u);
  EXPECT_FALSE(dtypeFromSafetensorsName("F4").has_value());
  EXPECT_EQ(dtypeFromUserName("bfloat16"), DType::BF16);
  EXPECT_EQ(dtypeFromUserName("f32"), DType::F32);
}

TEST(Shape, NumelRejectsOverflowAndNegativeDims) {
  EXPECT_EQ(numelChecked({2, 3, 4}), 24);
  EXPECT_EQ(numelChecked({}), 1);
  EXPECT_THROW(numelChecked({-1, 2}), Error);
  EXPECT_THROW(numelChecked({int64_t{1} << 40, int64_t{1} << 40}), Error);
}

}  // namespace
}  // namespace nhb
