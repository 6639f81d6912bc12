// TensorView -> at::Tensor: dtype mapping, zero-copy aliasing, the misaligned fallback and errors.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::harness {
namespace {

template <class T>
std::vector<std::byte> bytesOf(const std::vector<T>& values) {
  std::vector<std::byte> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(ToTorch, F32ViewIsAliasedNotCopied) {
  const std::vector<std::byte> bytes = bytesOf(std::vector<float>{1, 2, 3, 4, 5, 6});
  const TensorView view{DType::F32, {2, 3}, bytes.data(), bytes.size()};
  const at::Tensor t = toTorch(view);
  EXPECT_EQ(t.scalar_type(), at::kFloat);
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(static_cast<const void*>(t.data_ptr()), static_cast<const void*>(bytes.data()));
  EXPECT_EQ(t[1][2].item<float>(), 6.0f);
}

TEST(ToTorch, Bf16BitsMapToBFloat16) {
  // 0x3F80 = 1.0, 0xC040 = -3.0, 0x3E80 = 0.25 in bfloat16.
  const std::vector<std::byte> bytes = bytesOf(std::vector<uint16_t>{0x3F80, 0xC040, 0x3E80});
  const at::Tensor t = toTorch(TensorView{DType::BF16, {3}, bytes.data(), bytes.size()});
  EXPECT_EQ(t.scalar_type(), at::kBFloat16);
  EXPECT_EQ(t[0].item<float>(), 1.0f);
  EXPECT_EQ(t[1].item<float>(), -3.0f);
  EXPECT_EQ(t[2].item<float>(), 0.25f);
}

TEST(ToTorch, EveryTorchRepresentableDtypeMaps) {
  const std::vector<std::pair<DType, at::ScalarType>> pairs{
      {DType::Bool, at::kBool}, {DType::U8, at::kByte},    {DType::I8, at::kChar},
      {DType::I16, at::kShort}, {DType::I32, at::kInt},    {DType::I64, at::kLong},
      {DType::F16, at::kHalf},  {DType::BF16, at::kBFloat16}, {DType::F32, at::kFloat},
      {DType::F64, at::kDouble}};
  for (const auto& [dtype, expected] : pairs) EXPECT_EQ(toTorchScalarType(dtype), expected);
}

TEST(ToTorch, TypesLibtorch113LacksAreUnsupported) {
  const std::vector<std::byte> bytes(8);
  for (DType dtype : {DType::U16, DType::U32, DType::U64, DType::F8E4M3, DType::F8E5M2}) {
    const TensorView view{dtype, {8 / static_cast<int64_t>(itemSize(dtype))}, bytes.data(), bytes.size()};
    try {
      toTorch(view);
      ADD_FAILURE() << safetensorsName(dtype) << " accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(error.what()).find(std::string(safetensorsName(dtype))), std::string::npos)
          << error.what();
    }
  }
}

TEST(ToTorch, ByteCountMismatchIsBadInput) {
  const std::vector<std::byte> bytes(10);
  try {
    toTorch(TensorView{DType::F32, {3}, bytes.data(), bytes.size()});
    ADD_FAILURE() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("need 12 bytes, the view has 10"), std::string::npos) << error.what();
  }
}

TEST(ToTorch, MisalignedBytesAreCopied) {
  std::vector<std::byte> storage(1 + 2 * sizeof(float));
  const float values[2] = {1.5f, -2.5f};
  std::memcpy(storage.data() + 1, values, sizeof(values));
  const at::Tensor t = toTorch(TensorView{DType::F32, {2}, storage.data() + 1, sizeof(values)});
  EXPECT_NE(static_cast<const void*>(t.data_ptr()), static_cast<const void*>(storage.data() + 1));
  EXPECT_EQ(t[0].item<float>(), 1.5f);
  EXPECT_EQ(t[1].item<float>(), -2.5f);
}

TEST(ToTorch, EmptyTensor) {
  const at::Tensor t = toTorch(TensorView{DType::BF16, {0, 4}, nullptr, 0});
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(t.scalar_type(), at::kBFloat16);
}

TEST(ToTorchMap, ConvertsEveryEntry) {
  const std::vector<std::byte> a = bytesOf(std::vector<float>{1, 2});
  const std::vector<std::byte> b = bytesOf(std::vector<int64_t>{7});
  const std::map<std::string, TensorView> views{{"a", TensorView{DType::F32, {2}, a.data(), a.size()}},
                                                {"b", TensorView{DType::I64, {1}, b.data(), b.size()}}};
  const TensorMap tensors = toTorchMap(views, "shard.safetensors");
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors.at("a")[1].item<float>(), 2.0f);
  EXPECT_EQ(tensors.at("b")[0].item<int64_t>(), 7);
}

TEST(ToTorchMap, ErrorNamesSourceAndTensor) {
  const std::vector<std::byte> bytes(4);
  const std::vector<std::pair<std::string, TensorView>> views{
      {"backbone.layers.0.mixer.A_log", TensorView{DType::F8E4M3, {4}, bytes.data(), bytes.size()}}};
  try {
    toTorchMap(views, "model-00001.safetensors");
    ADD_FAILURE() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    const std::string message = error.what();
    EXPECT_NE(message.find("model-00001.safetensors: tensor backbone.layers.0.mixer.A_log"), std::string::npos)
        << message;
  }
}

// Shaped like io::SafetensorsCheckpoint: names() and view(name).
struct FakeCheckpoint {
  std::vector<std::byte> bytes = bytesOf(std::vector<float>{0.5f, 4.0f});
  std::vector<std::string> names() const { return {"lm_head.weight"}; }
  TensorView view(const std::string&) const { return TensorView{DType::F32, {1, 2}, bytes.data(), bytes.size()}; }
};

TEST(ToTorchMapFromSource, ReadsEveryNamedView) {
  const FakeCheckpoint checkpoint;
  const TensorMap tensors = toTorchMapFromSource(checkpoint, "/ckpt");
  ASSERT_EQ(tensors.count("lm_head.weight"), 1u);
  EXPECT_EQ(tensors.at("lm_head.weight")[0][1].item<float>(), 4.0f);
  EXPECT_EQ(static_cast<const void*>(tensors.at("lm_head.weight").data_ptr()),
            static_cast<const void*>(checkpoint.bytes.data()));
}

}  // namespace
}  // namespace nhb::harness
