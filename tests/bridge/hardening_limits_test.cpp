// Hostile inputs cannot make the readers allocate more than the file justifies: each crafted
// input below claims huge sizes or counts in a few bytes and must be refused with BadInput naming
// the file and the limit, before anything is sized from the claim.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/io/safetensors_file.h"
#include "bridge/io/safetensors_header.h"
#include "bridge/io/torch/pickle_reader.h"
#include "bridge/io/torch/zip_reader.h"
#include "support/test_support.h"

namespace {

using nhb::Error;
using nhb::ErrorKind;

// Runs fn, expecting a BadInput whose message contains every fragment.
template <class Fn>
void expectBadInput(Fn&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected BadInput containing '" << fragments.front() << "'";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput) << error.what();
    for (const auto& fragment : fragments)
      EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
          << "'" << fragment << "' not in: " << error.what();
  }
}

std::string le(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  return out;
}

// ---- safetensors ------------------------------------------------------------------------

TEST(HardeningLimits, SafetensorsHeaderLengthOverTheCapIsRefusedBeforeReading) {
  nhb::testing::TempDir dir;
  const auto path = dir / "huge-header.safetensors";
  nhb::testing::writeFile(path, le(nhb::io::kMaxSafetensorsHeaderBytes + 1, 8) + "{}");
  expectBadInput([&] { nhb::io::SafetensorsFile::open(path); },
                 {path.string(), "header length 100000001", "100 MB limit"});
}

TEST(HardeningLimits, SafetensorsHeaderLengthPastTheFileEndIsRefused) {
  nhb::testing::TempDir dir;
  const auto path = dir / "short.safetensors";
  nhb::testing::writeFile(path, le(4096, 8) + "{}");  // claims 4 KiB, has 2 bytes
  expectBadInput([&] { nhb::io::SafetensorsFile::open(path); },
                 {path.string(), "header length 4096", "beyond the end of the file (10 bytes)"});
}

TEST(HardeningLimits, SafetensorsShapeWhoseByteSizeOverflowsIsRefused) {
  // 2^32 * 2^32 elements: numel overflows uint64 long before anything could be allocated.
  const std::string header =
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})";
  expectBadInput([&] { nhb::io::parseSafetensorsHeader(header, 8, "x.safetensors"); },
                 {"x.safetensors", "'w'", "more elements than fit in 64 bits"});
}

TEST(HardeningLimits, SafetensorsShapeLargerThanItsOffsetsIsRefused) {
  // [1024, 1024] F32 needs 4 MiB; the offsets give it 8 bytes: a reader must not trust the shape.
  const std::string header = R"({"w":{"dtype":"F32","shape":[1024,1024],"data_offsets":[0,8]}})";
  expectBadInput([&] { nhb::io::parseSafetensorsHeader(header, 8, "x.safetensors"); },
                 {"x.safetensors", "'w'", "4194304"});
}

TEST(HardeningLimits, SafetensorsOffsetsPastTheDataSectionAreRefused) {
  const std::string header = R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})";
  expectBadInput([&] { nhb::io::parseSafetensorsHeader(header, 8, "x.safetensors"); },
                 {"x.safetensors", "'w'"});
}

// ---- pickle -----------------------------------------------------------------------------

constexpr char kProto2[] = "\x80\x02";

nhb::io::PickleReadOptions tightLimits() {
  nhb::io::PickleReadOptions options;
  options.source = "hostile.pkl";
  options.limits.maxMemoEntries = 4;
  options.limits.maxStackDepth = 8;
  options.limits.maxMarkDepth = 3;
  options.limits.maxNodes = 16;
  options.limits.maxStringBytes = 64;
  return options;
}

TEST(HardeningLimits, PickleMemoIndexOverTheCapIsRefused) {
  // EMPTY_LIST, LONG_BINPUT 2^31: a memo sized from the index would need gigabytes.
  const std::string bytes = std::string(kProto2, 2) + "]r" + le(0x80000000u, 4) + ".";
  expectBadInput([&] { nhb::io::readPickle(bytes, tightLimits()); },
                 {"hostile.pkl", "memo index 2147483648", "limit of 4"});
}

TEST(HardeningLimits, PickleStackDeeperThanTheCapIsRefused) {
  std::string bytes(kProto2, 2);
  for (int i = 0; i < 9; ++i) bytes += "N";  // nine Nones on the stack, limit 8
  bytes += ".";
  auto options = tightLimits();
  options.limits.maxNodes = 1000;
  expectBadInput([&] { nhb::io::readPickle(bytes, options); }, {"hostile.pkl", "stack deeper than 8"});
}

TEST(HardeningLimits, PickleMarksNestedDeeperThanTheCapAreRefused) {
  const std::string bytes = std::string(kProto2, 2) + "((((" + "t.";
  expectBadInput([&] { nhb::io::readPickle(bytes, tightLimits()); },
                 {"hostile.pkl", "MARKs nested deeper than 3"});
}

TEST(HardeningLimits, PickleWithMoreValuesThanTheNodeCapIsRefused) {
  std::string bytes = std::string(kProto2, 2) + "]";  // a list, then appends of 20 ints
  for (int i = 0; i < 20; ++i) bytes += std::string("K") + char(i) + "a";
  bytes += ".";
  expectBadInput([&] { nhb::io::readPickle(bytes, tightLimits()); }, {"hostile.pkl", "more than 16 values"});
}

TEST(HardeningLimits, PickleStringClaimingMoreThanTheCapIsRefusedBeforeAllocating) {
  // BINUNICODE8 claiming 2^40 bytes in a 12-byte input.
  const std::string bytes = std::string(kProto2, 2) + "\x8d" + le(uint64_t{1} << 40, 8) + "ab.";
  expectBadInput([&] { nhb::io::readPickle(bytes, tightLimits()); },
                 {"hostile.pkl", "1099511627776 bytes exceeds the limit of 64"});
}

TEST(HardeningLimits, PickleStringClaimingMoreThanTheInputIsTruncated) {
  // BINUNICODE claiming 60 bytes (under the cap) with 2 present.
  const std::string bytes = std::string(kProto2, 2) + "X" + le(60, 4) + "ab";
  expectBadInput([&] { nhb::io::readPickle(bytes, tightLimits()); }, {"hostile.pkl"});
}

// ---- zip --------------------------------------------------------------------------------

struct ZipSpec {
  std::vector<std::pair<std::string, std::string>> entries;
  uint64_t claimedCompressedSize = 0;  // != 0: written as every entry's size in the directory
};

// A stored zip archive laid out as torch.save does (local headers, data, central directory, end
// record). `zip64EntryCount` != 0 adds zip64 records claiming that many entries.
std::string makeZip(const ZipSpec& spec, uint64_t zip64EntryCount = 0) {
  std::string out, directory;
  for (const auto& [name, data] : spec.entries) {
    const uint64_t offset = out.size();
    const uint64_t size = spec.claimedCompressedSize ? spec.claimedCompressedSize : data.size();
    out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) +
           le(data.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + name + data;
    directory += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
                 le(0, 4) + le(size, 4) + le(size, 4) + le(name.size(), 2) + le(0, 2) + le(0, 2) +
                 le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + name;
  }
  const uint64_t directoryOffset = out.size();
  out += directory;
  if (zip64EntryCount) {
    const uint64_t zip64Offset = out.size();
    out += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) +
           le(zip64EntryCount, 8) + le(zip64EntryCount, 8) + le(directory.size(), 8) +
           le(directoryOffset, 8);
    out += le(0x07064b50, 4) + le(0, 4) + le(zip64Offset, 8) + le(1, 4);
  }
  const uint64_t count = spec.entries.size();
  out += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(count, 2) + le(count, 2) +
         le(directory.size(), 4) + le(directoryOffset, 4) + le(0, 2);
  return out;
}

TEST(HardeningLimits, ZipWellFormedArchiveOpens) {  // the builder itself is right
  nhb::testing::TempDir dir;
  const auto path = dir / "ok.pt";
  nhb::testing::writeFile(path, makeZip({{{"a/data.pkl", "xyz"}, {"a/data/0", "0123"}}}));
  auto zip = nhb::io::ZipReader::open(path);
  ASSERT_EQ(zip.entries().size(), 2u);
  EXPECT_EQ(zip.data(*zip.find("a/data/0")), "0123");
}

TEST(HardeningLimits, ZipWithMoreEntriesThanTheLimitIsRefused) {
  nhb::testing::TempDir dir;
  const auto path = dir / "many.pt";
  nhb::testing::writeFile(path, makeZip({{{"a/1", "x"}, {"a/2", "y"}, {"a/3", "z"}}}));
  nhb::io::ZipReadLimits limits;
  limits.maxEntries = 2;
  expectBadInput([&] { nhb::io::ZipReader::open(path, limits); },
                 {path.string(), "3 entries", "limit of 2"});
}

TEST(HardeningLimits, ZipEntryCountTheDirectoryCannotHoldIsRefusedBeforeAllocating) {
  // zip64 records claim 1,000,000 entries (under the default limit) in a one-entry directory:
  // reserving a million entries (~100 MB) for a 200-byte file is what this guards against.
  nhb::testing::TempDir dir;
  const auto path = dir / "liar.pt";
  nhb::testing::writeFile(path, makeZip({{{"a/1", "x"}}}, 1000000));
  expectBadInput([&] { nhb::io::ZipReader::open(path); },
                 {path.string(), "1000000 entries cannot fit"});
}

TEST(HardeningLimits, ZipEntryClaimingMoreBytesThanTheFileIsRefused) {
  nhb::testing::TempDir dir;
  const auto path = dir / "big-entry.pt";
  ZipSpec spec{{{"a/data/0", "0123"}}};
  spec.claimedCompressedSize = 0xFFFFFFF0u;  // ~4 GiB claimed, 4 bytes present
  nhb::testing::writeFile(path, makeZip(spec));
  expectBadInput([&] { nhb::io::ZipReader::open(path); },
                 {path.string(), "a/data/0", "run past the end of the file"});
}

TEST(HardeningLimits, ZipEntryNameLongerThanTheLimitIsRefused) {
  nhb::testing::TempDir dir;
  const auto path = dir / "long-name.pt";
  nhb::testing::writeFile(path, makeZip({{{"archive/data.pkl", "x"}}}));
  nhb::io::ZipReadLimits limits;
  limits.maxNameLength = 8;
  expectBadInput([&] { nhb::io::ZipReader::open(path, limits); },
                 {path.string(), "name of 16 bytes", "limit of 8"});
}

TEST(HardeningLimits, ZipEntryNamesThatEscapeAreRefused) {
  nhb::testing::TempDir dir;
  for (const std::string name : {"../evil", "/etc/evil", "a/../../evil"}) {
    const auto path = dir / "escape.pt";
    nhb::testing::writeFile(path, makeZip({{{name, "x"}}}));
    expectBadInput([&] { nhb::io::ZipReader::open(path); }, {path.string(), name, "refusing it"});
  }
}

}  // namespace
