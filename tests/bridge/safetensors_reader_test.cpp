// The safetensors reader on hand-written files: every malformation gets its own test and its own
// error, naming the file (and the tensor where there is one).
#include <cstdint>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/io/mapped_file.h"
#include "bridge/io/safetensors_file.h"
#include "support/test_support.h"

namespace nhb::io {
namespace {

using ::testing::HasSubstr;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

std::string littleEndian64(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// 8-byte length + header text + data section, exactly as the format lays them out.
std::string fileBytes(const std::string& header, const std::string& data) {
  return littleEndian64(header.size()) + header + data;
}

class SafetensorsReader : public ::testing::Test {
 protected:
  std::filesystem::path put(const std::string& bytes) {
    const auto path = dir_ / "bad.safetensors";
    writeFile(path, bytes);
    return path;
  }
  // The BadInput message for opening `bytes`; fails the test when it opens or errs otherwise.
  std::string openError(const std::string& bytes) {
    const auto path = put(bytes);
    try {
      SafetensorsFile::open(path);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::BadInput) << error.what();
      EXPECT_THAT(error.what(), HasSubstr(path.string()));  // always names the file
      return error.what();
    }
    ADD_FAILURE() << "opened without error";
    return "";
  }
  std::string headerError(const std::string& header, const std::string& data = "") {
    return openError(fileBytes(header, data));
  }

  TempDir dir_;
};

// ---- accepted inputs --------------------------------------------------------------------

TEST_F(SafetensorsReader, AcceptsAHandWrittenFile) {
  const std::string data("\x01\x02\x03\x04\x05\x06", 6);
  auto file = SafetensorsFile::open(put(fileBytes(
      R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
      R"("a":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}})",
      data)));
  ASSERT_EQ(file.entries().size(), 2u);
  EXPECT_EQ(file.entries()[0].name, "a");  // offset order, not header order
  EXPECT_EQ(file.entries()[1].name, "b");
  TensorView b = file.view("b");
  EXPECT_EQ(b.dtype, DType::U8);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data), b.nbytes), std::string("\x05\x06", 2));
}

TEST_F(SafetensorsReader, AcceptsHeaderPaddedWithSpaces) {
  auto file = SafetensorsFile::open(
      put(fileBytes("  {\"a\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}      ", "xy")));
  EXPECT_EQ(file.view("a").nbytes, 2u);
  EXPECT_TRUE(file.metadata().empty());
}

TEST_F(SafetensorsReader, AcceptsUnpaddedHeader) {
  const std::string header = R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})";
  ASSERT_NE(header.size() % 8, 0u);
  EXPECT_EQ(SafetensorsFile::open(put(fileBytes(header, "abc"))).dataOffset(), 8 + header.size());
}

TEST_F(SafetensorsReader, KeepsMetadata) {
  auto file = SafetensorsFile::open(put(fileBytes(R"({"__metadata__":{"format":"pt","k":"v"}})", "")));
  EXPECT_EQ(file.metadata(), (Json{{"format", "pt"}, {"k", "v"}}));
}

// ---- file-level errors ------------------------------------------------------------------

TEST_F(SafetensorsReader, EmptyFile) {
  EXPECT_THAT(openError(""), HasSubstr("file is 0 bytes, shorter than the 8-byte safetensors header length"));
}

TEST_F(SafetensorsReader, FileShorterThanEightBytes) {
  EXPECT_THAT(openError(std::string("\x02\0\0", 3)), HasSubstr("file is 3 bytes, shorter than the 8-byte"));
}

TEST_F(SafetensorsReader, HeaderLengthBeyondFile) {
  EXPECT_THAT(openError(littleEndian64(100) + "{}"),
              HasSubstr("header length 100 extends beyond the end of the file (10 bytes)"));
}

TEST_F(SafetensorsReader, HeaderLengthAbove100MB) {
  EXPECT_THAT(openError(littleEndian64(100'000'001) + "{}"),
              HasSubstr("header length 100000001 exceeds the 100 MB limit"));
}

TEST_F(SafetensorsReader, HugeHeaderLengthDoesNotAllocate) {
  EXPECT_THAT(openError(littleEndian64(~std::uint64_t{0}) + "{}"), HasSubstr("exceeds the 100 MB limit"));
}

TEST_F(SafetensorsReader, HeaderNotJson) {
  EXPECT_THAT(headerError("{\"a\": "), HasSubstr("safetensors header is not valid JSON"));
}

TEST_F(SafetensorsReader, EmptyHeader) {
  EXPECT_THAT(headerError(""), HasSubstr("safetensors header is not valid JSON"));
}

TEST_F(SafetensorsReader, HeaderNotAnObject) {
  EXPECT_THAT(headerError("[1, 2]"), HasSubstr("safetensors header is not a JSON object (it is array)"));
}

TEST_F(SafetensorsReader, DuplicateTensorName) {
  EXPECT_THAT(headerError(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                          R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                          "xy"),
              HasSubstr("header lists 'a' twice"));
}

TEST_F(SafetensorsReader, NotARegularFile) {
  std::filesystem::create_directory(dir_ / "dir.safetensors");
  try {
    SafetensorsFile::open(dir_ / "dir.safetensors");
    ADD_FAILURE() << "opened a directory";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("dir.safetensors: not a regular file"));
  }
}

TEST_F(SafetensorsReader, MissingFileIsAnIoError) {
  try {
    SafetensorsFile::open(dir_ / "absent.safetensors");
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Io);
    EXPECT_THAT(error.what(), HasSubstr("absent.safetensors: cannot open for reading"));
  }
}

// ---- entry errors -----------------------------------------------------------------------

TEST_F(SafetensorsReader, EntryNotAnObject) {
  EXPECT_THAT(headerError(R"({"w":[1,2]})"), HasSubstr("tensor 'w': entry must be an object, not array"));
}

TEST_F(SafetensorsReader, MissingDtype) {
  EXPECT_THAT(headerError(R"({"w":{"shape":[1],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': missing \"dtype\""));
}

TEST_F(SafetensorsReader, MissingShape) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': missing \"shape\""));
}

TEST_F(SafetensorsReader, MissingDataOffsets) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1]}})", "x"),
              HasSubstr("tensor 'w': missing \"data_offsets\""));
}

TEST_F(SafetensorsReader, DtypeNotAString) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': \"dtype\" must be a string"));
}

TEST_F(SafetensorsReader, UnknownDtype) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': unknown dtype \"F8_E8M0\""));
}

TEST_F(SafetensorsReader, ShapeNotAnArray) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":3,"data_offsets":[0,3]}})", "xyz"),
              HasSubstr("tensor 'w': \"shape\" must be an array of integers"));
}

TEST_F(SafetensorsReader, ShapeWithFractionalDim) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': \"shape\" must be an array of integers, found 1.5"));
}

TEST_F(SafetensorsReader, NegativeDim) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[-1,2],"data_offsets":[0,2]}})", "xy"),
              HasSubstr("tensor 'w': negative dimension -1 in shape"));
}

TEST_F(SafetensorsReader, DimAboveInt64) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': shape dimension 18446744073709551615 overflows int64"));
}

TEST_F(SafetensorsReader, ElementCountOverflow) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': shape [4294967296, 4294967296] has more elements than fit in 64 bits"));
}

TEST_F(SafetensorsReader, ByteSizeOverflow) {
  // 2^62 elements fit in int64, but 2^62 * 4 bytes do not fit in 64 bits.
  EXPECT_THAT(headerError(R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,1]}})", "x"),
              HasSubstr("tensor 'w': shape [4611686018427387904] overflows the byte size"));
}

TEST_F(SafetensorsReader, ShapeDisagreesWithByteSpan) {
  // F32 [2] needs 2 * 4 = 8 bytes; the offsets span 4.
  EXPECT_THAT(headerError(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"),
              HasSubstr("tensor 'w': shape [2] of F32 needs 8 bytes but data_offsets span 4"));
}

TEST_F(SafetensorsReader, OffsetsNotAPair) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", "x"),
              HasSubstr("tensor 'w': \"data_offsets\" must be [begin, end] with non-negative integers"));
}

TEST_F(SafetensorsReader, NegativeOffset) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", "x"),
              HasSubstr("tensor 'w': \"data_offsets\" must be [begin, end] with non-negative integers, found [-1,0]"));
}

TEST_F(SafetensorsReader, ReversedOffsets) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}})", "xyz"),
              HasSubstr("tensor 'w': data_offsets [2, 1] are reversed"));
}

TEST_F(SafetensorsReader, OffsetsBeyondDataSection) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", "xyz"),
              HasSubstr("tensor 'w': data_offsets [0, 4] exceed the data section of 3 bytes"));
}

TEST_F(SafetensorsReader, HugeOffsetsDoNotAllocate) {
  EXPECT_THAT(headerError(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}})", "x"),
              HasSubstr("exceed the data section of 1 bytes"));
}

TEST_F(SafetensorsReader, OverlappingTensors) {
  EXPECT_THAT(headerError(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})",
                          std::string(12, 'x')),
              HasSubstr("tensor 'b' at bytes [4, 12) overlaps tensor 'a' ending at 8"));
}

TEST_F(SafetensorsReader, GapBetweenTensors) {
  EXPECT_THAT(headerError(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                          R"("b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})",
                          std::string(12, 'x')),
              HasSubstr("gap of 4 unused bytes in the data section before tensor 'b' (at 4)"));
}

TEST_F(SafetensorsReader, GapAtStart) {
  EXPECT_THAT(headerError(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", "wxyz"),
              HasSubstr("gap of 2 unused bytes in the data section before tensor 'a' (at 0)"));
}

TEST_F(SafetensorsReader, UnusedTrailingBytes) {
  EXPECT_THAT(headerError(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", std::string(8, 'x')),
              HasSubstr("4 unused trailing bytes after the last tensor (data section is 8 bytes, tensors cover 4)"));
}

TEST_F(SafetensorsReader, DataWithoutTensors) {
  EXPECT_THAT(headerError("{}", "junk"), HasSubstr("4 unused trailing bytes"));
}

TEST_F(SafetensorsReader, MetadataNotAnObject) {
  EXPECT_THAT(headerError(R"({"__metadata__":"pt"})"),
              HasSubstr("__metadata__ must be an object of strings, not string"));
}

TEST_F(SafetensorsReader, MetadataValueNotAString) {
  EXPECT_THAT(headerError(R"({"__metadata__":{"format":"pt","step":5}})"),
              HasSubstr("__metadata__ value 'step' must be a string, not number"));
}

// ---- MappedFile -------------------------------------------------------------------------

TEST(MappedFile, MapsTheWholeFile) {
  TempDir dir;
  writeFile(dir / "f.bin", std::string("abc\0def", 7));
  MappedFile file = MappedFile::open(dir / "f.bin");
  EXPECT_EQ(file.path(), dir / "f.bin");
  ASSERT_EQ(file.size(), 7u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data()), file.size()), std::string("abc\0def", 7));
}

TEST(MappedFile, ZeroLengthFileIsFine) {
  TempDir dir;
  writeFile(dir / "empty.bin", "");
  MappedFile file = MappedFile::open(dir / "empty.bin");
  EXPECT_EQ(file.size(), 0u);
  EXPECT_EQ(file.data(), nullptr);
}

TEST(MappedFile, MoveTransfersTheMapping) {
  TempDir dir;
  writeFile(dir / "f.bin", "xyz");
  MappedFile first = MappedFile::open(dir / "f.bin");
  const std::byte* data = first.data();
  MappedFile second(std::move(first));
  EXPECT_EQ(second.data(), data);
  EXPECT_EQ(second.size(), 3u);
  EXPECT_EQ(first.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  first = std::move(second);
  EXPECT_EQ(first.data(), data);
}

TEST(MappedFile, MissingFileNamesIt) {
  TempDir dir;
  try {
    MappedFile::open(dir / "nope.bin");
    ADD_FAILURE() << "opened";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Io);
    EXPECT_THAT(error.what(), HasSubstr("nope.bin: cannot open for reading: No such file or directory"));
  }
}

}  // namespace
}  // namespace nhb::io
