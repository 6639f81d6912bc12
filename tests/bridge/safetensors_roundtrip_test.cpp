// Writing then reading safetensors files: byte-exact round trips for every dtype, 0-d and empty
// tensors, the exact header bytes the format prescribes, and writer misuse.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/io/safetensors_file.h"
#include "bridge/io/safetensors_writer.h"
#include "support/error_messages.h"
#include "support/test_support.h"

namespace nhb::io {
namespace {

using nhb::testing::errorOf;
using ::testing::HasSubstr;
using nhb::testing::readFile;
using nhb::testing::TempDir;

// Deterministic, dtype-agnostic bytes: every byte pattern is valid for a raw copy.
Tensor patterned(DType dtype, Shape shape, unsigned seed) {
  Tensor tensor(dtype, std::move(shape));
  for (std::size_t i = 0; i < tensor.nbytes(); ++i)
    tensor.data()[i] = static_cast<std::byte>((i * 131 + seed * 17 + 7) & 0xff);
  return tensor;
}

std::string bytesOf(const TensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

std::string bytesOf(const Tensor& tensor) { return bytesOf(tensor.view()); }

struct Named {
  std::string name;
  Tensor tensor;
};

void writeAll(const std::filesystem::path& path, const std::vector<Named>& tensors,
              const Json& metadata = Json::object()) {
  std::vector<TensorSpec> specs;
  for (const auto& item : tensors)
    specs.push_back({item.name, item.tensor.dtype(), item.tensor.shape()});
  SafetensorsWriter writer(path, specs, metadata);
  for (const auto& item : tensors) writer.write(item.name, item.tensor.view());
  writer.finish();
}

TEST(SafetensorsRoundTrip, EveryDtypeByteExact) {
  TempDir dir;
  std::vector<Named> tensors;
  unsigned seed = 0;
  for (DType dtype : kAllDTypes)
    tensors.push_back({"t." + std::string(safetensorsName(dtype)), patterned(dtype, {3, 5}, ++seed)});
  const auto path = dir / "all.safetensors";
  writeAll(path, tensors);

  SafetensorsFile file = SafetensorsFile::open(path);
  ASSERT_EQ(file.entries().size(), tensors.size());
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& expected = tensors[i];
    const auto& entry = file.entries()[i];  // offset order == write order
    EXPECT_EQ(entry.name, expected.name);
    EXPECT_EQ(entry.dtype, expected.tensor.dtype());
    EXPECT_EQ(entry.shape, (Shape{3, 5}));
    EXPECT_EQ(entry.dataBegin, offset);
    EXPECT_EQ(entry.dataEnd, offset + 15 * itemSize(expected.tensor.dtype()));
    offset = entry.dataEnd;
    TensorView view = file.view(expected.name);
    EXPECT_EQ(view.dtype, expected.tensor.dtype());
    EXPECT_EQ(view.shape, expected.tensor.shape());
    EXPECT_EQ(bytesOf(view), bytesOf(expected.tensor)) << expected.name;
  }
}

TEST(SafetensorsRoundTrip, Float8TensorsKeepTheirDtypeNames) {
  TempDir dir;
  const auto path = dir / "f8.safetensors";
  writeAll(path, {{"e4m3", patterned(DType::F8E4M3, {4}, 1)}, {"e5m2", patterned(DType::F8E5M2, {2, 2}, 2)}});
  const std::string raw = readFile(path);
  EXPECT_THAT(raw, HasSubstr("\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}"));
  EXPECT_THAT(raw, HasSubstr("\"e5m2\":{\"dtype\":\"F8_E5M2\",\"shape\":[2,2],\"data_offsets\":[4,8]}"));
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.view("e4m3").dtype, DType::F8E4M3);
  EXPECT_EQ(file.view("e5m2").dtype, DType::F8E5M2);
  EXPECT_EQ(bytesOf(file.view("e5m2")), bytesOf(patterned(DType::F8E5M2, {2, 2}, 2)));
}

TEST(SafetensorsRoundTrip, ScalarAndEmptyTensors) {
  TempDir dir;
  const auto path = dir / "edge.safetensors";
  std::vector<Named> tensors;
  tensors.push_back({"scalar", patterned(DType::F32, {}, 3)});      // rank 0: one element
  tensors.push_back({"empty", Tensor(DType::BF16, {0, 7})});        // zero elements
  tensors.push_back({"after", patterned(DType::I64, {2}, 4)});
  tensors.push_back({"empty_last", Tensor(DType::F16, {5, 0})});
  writeAll(path, tensors);

  SafetensorsFile file = SafetensorsFile::open(path);
  TensorView scalar = file.view("scalar");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.nbytes, 4u);
  EXPECT_EQ(bytesOf(scalar), bytesOf(tensors[0].tensor));
  EXPECT_EQ(file.view("empty").nbytes, 0u);
  EXPECT_EQ(file.view("empty").shape, (Shape{0, 7}));
  EXPECT_EQ(file.entry("after").dataBegin, 4u);
  EXPECT_EQ(bytesOf(file.view("after")), bytesOf(tensors[2].tensor));
  EXPECT_EQ(file.entry("empty_last").dataBegin, 20u);
  EXPECT_EQ(file.entry("empty_last").dataEnd, 20u);
}

TEST(SafetensorsRoundTrip, FileWithNoTensors) {
  TempDir dir;
  const auto path = dir / "none.safetensors";
  writeAll(path, {});
  // "{}" padded with six spaces to 8 bytes, no data section.
  EXPECT_EQ(readFile(path), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_TRUE(file.entries().empty());
  EXPECT_TRUE(file.metadata().empty());
}

TEST(SafetensorsRoundTrip, ExactBytesOfASmallFile) {
  TempDir dir;
  const auto path = dir / "small.safetensors";
  Tensor a(DType::F32, {2});
  const float values[2] = {1.0f, -2.0f};
  std::memcpy(a.data(), values, sizeof values);
  writeAll(path, {{"a", a}}, Json{{"format", "pt"}});

  // Hand-written per the format: compact JSON, metadata first, padded with spaces to 8 bytes.
  const std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8]}}";
  ASSERT_EQ(json.size(), 85u);  // -> 3 spaces to reach 88
  std::string expected(8, '\0');
  expected[0] = static_cast<char>(88);
  expected += json + "   ";
  expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);  // 1.0f, -2.0f little-endian
  EXPECT_EQ(readFile(path), expected);
}

TEST(SafetensorsRoundTrip, HeaderIsPaddedToEightBytes) {
  TempDir dir;
  for (int length = 1; length <= 9; ++length) {
    const auto path = dir / ("pad" + std::to_string(length) + ".safetensors");
    writeAll(path, {{std::string(length, 'x'), patterned(DType::U8, {3}, 1)}});
    SafetensorsFile file = SafetensorsFile::open(path);
    EXPECT_EQ(file.dataOffset() % 8, 0u) << length;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(file.view(std::string(length, 'x')).data) % 8, 0u);
  }
}

TEST(SafetensorsRoundTrip, SortForNaturalAlignmentAlignsEveryTensor) {
  std::vector<TensorSpec> specs = {{"u8", DType::U8, {3}},    {"f32", DType::F32, {1}},
                                   {"bf16", DType::BF16, {3}}, {"i64", DType::I64, {1}},
                                   {"f8", DType::F8E4M3, {1}}, {"f16", DType::F16, {1}}};
  sortForNaturalAlignment(specs);
  std::vector<std::string> order;
  for (const auto& spec : specs) order.push_back(spec.name);
  // Descending item size, ties in their original order.
  EXPECT_THAT(order, ::testing::ElementsAre("i64", "f32", "bf16", "f16", "u8", "f8"));

  TempDir dir;
  std::vector<Named> tensors;
  for (const auto& spec : specs) tensors.push_back({spec.name, patterned(spec.dtype, spec.shape, 1)});
  writeAll(dir / "aligned.safetensors", tensors);
  SafetensorsFile file = SafetensorsFile::open(dir / "aligned.safetensors");
  for (const auto& spec : specs)
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(file.view(spec.name).data) % itemSize(spec.dtype), 0u)
        << spec.name;
}

TEST(SafetensorsRoundTrip, MetadataIsKept) {
  TempDir dir;
  const auto path = dir / "meta.safetensors";
  writeAll(path, {{"w", patterned(DType::BF16, {2, 2}, 9)}}, Json{{"format", "pt"}, {"source", "nhbridge"}});
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.metadata(), (Json{{"format", "pt"}, {"source", "nhbridge"}}));
}

TEST(SafetensorsRoundTrip, OutputIsDeterministic) {
  TempDir dir;
  std::vector<Named> tensors = {{"b", patterned(DType::F16, {3, 3}, 1)}, {"a", patterned(DType::I32, {4}, 2)}};
  writeAll(dir / "one.safetensors", tensors, Json{{"format", "pt"}});
  writeAll(dir / "two.safetensors", tensors, Json{{"format", "pt"}});
  EXPECT_EQ(readFile(dir / "one.safetensors"), readFile(dir / "two.safetensors"));
}

TEST(SafetensorsRoundTrip, UnicodeNamesSurvive) {
  TempDir dir;
  const auto path = dir / "utf8.safetensors";
  const std::string name = "w\xc3\xa9ight \"quoted\"";
  writeAll(path, {{name, patterned(DType::U8, {2}, 1)}});
  EXPECT_TRUE(SafetensorsFile::open(path).contains(name));
}

TEST(SafetensorsRoundTrip, ViewOfAbsentTensorNamesFileAndTensor) {
  TempDir dir;
  const auto path = dir / "one.safetensors";
  writeAll(path, {{"present", patterned(DType::U8, {1}, 1)}});
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_FALSE(file.contains("missing"));
  const std::string message = errorOf([&] { file.view("missing"); });
  EXPECT_THAT(message, HasSubstr("one.safetensors"));
  EXPECT_THAT(message, HasSubstr("no tensor 'missing'"));
}

// ---- writer misuse and atomicity --------------------------------------------------------

std::vector<std::string> listDir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  return names;
}

TEST(SafetensorsWriter, NoFinishLeavesNothing) {
  TempDir dir;
  Tensor t = patterned(DType::F32, {4}, 1);
  {
    SafetensorsWriter writer(dir / "out.safetensors", {{"t", DType::F32, {4}}, {"u", DType::F32, {4}}});
    writer.write("t", t.view());
    EXPECT_EQ(listDir(dir.path()).size(), 1u);  // the temporary
  }
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(SafetensorsWriter, FailedWriteLeavesNothing) {
  TempDir dir;
  Tensor t = patterned(DType::F32, {4}, 1);
  {
    SafetensorsWriter writer(dir / "out.safetensors", {{"t", DType::F32, {4}}});
    EXPECT_THROW(writer.write("t", patterned(DType::F32, {5}, 1).view()), Error);
  }
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(SafetensorsWriter, WrongNameIsRejected) {
  TempDir dir;
  SafetensorsWriter writer(dir / "out.safetensors", {{"first", DType::U8, {1}}, {"second", DType::U8, {1}}});
  EXPECT_THAT(errorOf([&] { writer.write("second", patterned(DType::U8, {1}, 1).view()); }),
              HasSubstr("expected tensor 'first' next, got 'second'"));
}

TEST(SafetensorsWriter, WrongDtypeIsRejected) {
  TempDir dir;
  SafetensorsWriter writer(dir / "out.safetensors", {{"w", DType::BF16, {2}}});
  EXPECT_THAT(errorOf([&] { writer.write("w", patterned(DType::F16, {2}, 1).view()); }),
              HasSubstr("announced as BF16 but written as F16"));
}

TEST(SafetensorsWriter, WrongByteSizeIsRejected) {
  TempDir dir;
  SafetensorsWriter writer(dir / "out.safetensors", {{"w", DType::F32, {2}}});
  Tensor keep = patterned(DType::F32, {2}, 1);
  TensorView view = keep.view();
  view.nbytes = 4;
  EXPECT_THAT(errorOf([&] { writer.write("w", view); }), HasSubstr("needs 8 bytes, the view has 4"));
}

TEST(SafetensorsWriter, FinishBeforeAllTensorsIsRejected) {
  TempDir dir;
  {
    SafetensorsWriter writer(dir / "out.safetensors", {{"a", DType::U8, {1}}, {"b", DType::U8, {1}}});
    writer.write("a", patterned(DType::U8, {1}, 1).view());
    EXPECT_THAT(errorOf([&] { writer.finish(); }), HasSubstr("after 1 of 2 tensors; next is 'b'"));
  }
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(SafetensorsWriter, TooManyWritesAreRejected) {
  TempDir dir;
  SafetensorsWriter writer(dir / "out.safetensors", {{"a", DType::U8, {1}}});
  writer.write("a", patterned(DType::U8, {1}, 1).view());
  EXPECT_THAT(errorOf([&] { writer.write("b", patterned(DType::U8, {1}, 1).view()); }),
              HasSubstr("all 1 announced tensors are done"));
}

TEST(SafetensorsWriter, DuplicateSpecIsRejected) {
  TempDir dir;
  EXPECT_THAT(errorOf([&] {
                SafetensorsWriter writer(dir / "out.safetensors",
                                         {{"a", DType::U8, {1}}, {"a", DType::U8, {2}}});
              }),
              HasSubstr("tensor 'a' is listed twice"));
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(SafetensorsWriter, NonStringMetadataIsRejected) {
  TempDir dir;
  EXPECT_THAT(errorOf([&] { SafetensorsWriter writer(dir / "out.safetensors", {}, Json{{"n", 1}}); }),
              HasSubstr("__metadata__ value 'n' must be a string"));
}

TEST(SafetensorsWriter, RefusesExistingFileUnlessOverwrite) {
  TempDir dir;
  const auto path = dir / "out.safetensors";
  nhb::testing::writeFile(path, "keep me");
  EXPECT_THAT(errorOf([&] { SafetensorsWriter writer(path, {}); }),
              HasSubstr("already exists; pass --overwrite"));
  EXPECT_EQ(readFile(path), "keep me");
  {
    SafetensorsWriter writer(path, {}, Json::object(), /*overwrite=*/true);
    EXPECT_EQ(readFile(path), "keep me");  // replaced only by finish()
    writer.finish();
  }
  EXPECT_EQ(SafetensorsFile::open(path).entries().size(), 0u);
}

}  // namespace
}  // namespace nhb::io
