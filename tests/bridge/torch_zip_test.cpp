// Zip container: CRC-32, our writer -> our reader, Python's zipfile reading ours, and every kind
// of damaged archive rejected with a message naming the file.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "bridge/core/error.h"
#include "bridge/io/torch/crc32.h"
#include "bridge/io/torch/zip_reader.h"
#include "bridge/io/torch/zip_writer.h"
#include "support/error_messages.h"
#include "support/test_support.h"
#include "torch_python_support.h"

namespace nhb::io {
namespace {

using nhb::testing::errorOf;
using nhb::testing::TempDir;
using nhb::testing::readFile;
using nhb::testing::writeFile;

uint32_t le32(const std::string& bytes, std::size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

TEST(ZipCrc32, MatchesTheStandardCheckValues) {
  // The CRC-32/ISO-HDLC check value of "123456789" is 0xCBF43926 (zlib, zip, PNG).
  EXPECT_EQ(zipCrc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(zipCrc32("", 0), 0u);
  EXPECT_EQ(zipCrc32("a", 1), 0xE8B7BE43u);
  // Chunked updates equal one pass, also across the 8-byte slicing boundary.
  const std::string text = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(zipCrc32(text.data(), text.size()), 0x414FA339u);
  uint32_t crc = zipCrc32Update(0, text.data(), 5);
  crc = zipCrc32Update(crc, text.data() + 5, text.size() - 5);
  EXPECT_EQ(crc, 0x414FA339u);
}

TEST(ZipWriter, RoundTripsEntriesWithAlignedDataAndCrc) {
  TempDir dir;
  const auto path = dir / "a.zip";
  std::string big(100000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  {
    ZipWriter writer(path);
    writer.addEntry("arch/data.pkl", "pickle-bytes");
    writer.beginEntry("arch/data/0", big.size());
    writer.write(big.data(), 1000);
    writer.write(big.data() + 1000, big.size() - 1000);
    writer.endEntry();
    writer.addEntry("arch/empty", "");
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before finish()";
    writer.finish();
  }
  ZipReader reader = ZipReader::open(path);
  ASSERT_EQ(reader.entries().size(), 3u);
  EXPECT_EQ(reader.entries()[0].name, "arch/data.pkl");
  EXPECT_EQ(reader.data(*reader.find("arch/data.pkl")), "pickle-bytes");
  const ZipEntry* tensor = reader.find("arch/data/0");
  ASSERT_NE(tensor, nullptr);
  EXPECT_EQ(reader.data(*tensor), big);
  EXPECT_EQ(reader.data(*reader.find("arch/empty")), "");
  for (const ZipEntry& e : reader.entries()) {
    EXPECT_EQ(e.dataOffset % 64, 0u) << e.name;  // torch's mmap-friendly alignment
    EXPECT_TRUE(reader.crcMatches(e)) << e.name;
    EXPECT_EQ(e.crc32, zipCrc32(reader.data(e).data(), reader.data(e).size()));
  }
  EXPECT_EQ(reader.find("missing"), nullptr);
  // No temporary left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(ZipWriter, ForcedZip64RecordsAreReadBack) {
  TempDir dir;
  const auto path = dir / "z64.zip";
  ZipWriteOptions options;
  options.forceZip64 = true;
  {
    ZipWriter writer(path, options);
    writer.addEntry("x/a", "hello");
    writer.addEntry("x/b", std::string(70, 'b'));
    writer.finish();
  }
  const std::string bytes = readFile(path);
  EXPECT_NE(bytes.find(std::string("PK\x06\x06", 4)), std::string::npos) << "zip64 end record";
  EXPECT_NE(bytes.find(std::string("PK\x06\x07", 4)), std::string::npos) << "zip64 locator";
  ZipReader reader = ZipReader::open(path);
  ASSERT_EQ(reader.entries().size(), 2u);
  EXPECT_EQ(reader.data(*reader.find("x/a")), "hello");
  EXPECT_EQ(reader.data(*reader.find("x/b")), std::string(70, 'b'));
  EXPECT_EQ(reader.find("x/b")->dataOffset % 64, 0u);
}

TEST(ZipWriter, WithoutFinishLeavesNothingBehind) {
  TempDir dir;
  {
    ZipWriter writer(dir / "never.zip");
    writer.addEntry("a/b", "c");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ZipWriter, RefusesAnExistingFileWithoutOverwrite) {
  TempDir dir;
  writeFile(dir / "x.zip", "old");
  ZipWriteOptions options;
  options.overwrite = false;
  ErrorKind kind{};
  EXPECT_NE(errorOf([&] { ZipWriter writer(dir / "x.zip", options); }, &kind).find("already exists"), std::string::npos);
  EXPECT_EQ(kind, ErrorKind::BadInput);
  EXPECT_EQ(readFile(dir / "x.zip"), "old");
}

TEST(ZipWriter, SizeMismatchIsAnInternalError) {
  TempDir dir;
  ZipWriter writer(dir / "x.zip");
  writer.beginEntry("a/b", 4);
  writer.write("ab", 2);
  ErrorKind kind{};
  EXPECT_NE(errorOf([&] { writer.endEntry(); }, &kind).find("announced 4 bytes but 2"), std::string::npos);
  EXPECT_EQ(kind, ErrorKind::Internal);
}

TEST(ZipReaderInterop, PythonZipfileReadsOurArchivesAndChecksCrc) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  for (bool zip64 : {false, true}) {
    ZipWriteOptions options;
    options.forceZip64 = zip64;
    ZipWriter writer(dir / (zip64 ? "b.zip" : "a.zip"), options);
    writer.addEntry("t/first", "one");
    writer.addEntry("t/second", std::string(300, 'x'));
    writer.finish();
  }
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, zipfile, os
for name in ("a.zip", "b.zip"):
    z = zipfile.ZipFile(os.path.join(sys.argv[1], name))
    assert z.testzip() is None, "bad CRC"
    print(name, [(i.filename, i.file_size, i.compress_type) for i in z.infolist()], z.read("t/first").decode())
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  EXPECT_NE(result.output.find("a.zip [('t/first', 3, 0), ('t/second', 300, 0)] one"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("b.zip [('t/first', 3, 0), ('t/second', 300, 0)] one"), std::string::npos) << result.output;
}

TEST(ZipReaderInterop, ReadsPythonZipfileArchivesAndRefusesDeflatedEntries) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, zipfile, os
with zipfile.ZipFile(os.path.join(sys.argv[1], "py.zip"), "w") as z:
    z.writestr(zipfile.ZipInfo("p/stored"), b"plain bytes")
    z.writestr("p/deflated", b"a" * 1000, compress_type=zipfile.ZIP_DEFLATED)
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  ZipReader reader = ZipReader::open(dir / "py.zip");
  EXPECT_EQ(reader.data(*reader.find("p/stored")), "plain bytes");
  const ZipEntry* deflated = reader.find("p/deflated");
  ASSERT_NE(deflated, nullptr);
  EXPECT_EQ(deflated->method, 8);
  ErrorKind kind{};
  const std::string message = errorOf([&] { reader.data(*deflated); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Unsupported);
  EXPECT_NE(message.find("py.zip"), std::string::npos) << message;
  EXPECT_NE(message.find("'p/deflated' is compressed (method 8)"), std::string::npos) << message;
}

// ---- damaged archives

std::string smallArchive(const TempDir& dir) {
  ZipWriter writer(dir / "ok.zip");
  writer.addEntry("a/data.pkl", "abc");
  writer.addEntry("a/data/0", "0123456789");
  writer.finish();
  return readFile(dir / "ok.zip");
}

TEST(ZipReaderErrors, TooShortFile) {
  TempDir dir;
  writeFile(dir / "short.zip", "PK");
  const std::string message = errorOf([&] { ZipReader::open(dir / "short.zip"); });
  EXPECT_NE(message.find("short.zip"), std::string::npos);
  EXPECT_NE(message.find("too short"), std::string::npos) << message;
}

TEST(ZipReaderErrors, TruncatedArchiveHasNoEndRecord) {
  TempDir dir;
  std::string bytes = smallArchive(dir);
  writeFile(dir / "cut.zip", bytes.substr(0, bytes.size() - 30));
  ErrorKind kind{};
  const std::string message = errorOf([&] { ZipReader::open(dir / "cut.zip"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::BadInput);
  EXPECT_NE(message.find("cut.zip: no zip end-of-central-directory record"), std::string::npos) << message;
}

TEST(ZipReaderErrors, CentralDirectoryOffsetOutsideTheFile) {
  TempDir dir;
  std::string bytes = smallArchive(dir);
  const std::size_t end = bytes.size() - 22;
  ASSERT_EQ(le32(bytes, end), 0x06054b50u);
  bytes[end + 16] = '\xF0';  // directory offset now far beyond the end
  bytes[end + 17] = '\xFF';
  bytes[end + 18] = '\x00';
  writeFile(dir / "bad.zip", bytes);
  const std::string message = errorOf([&] { ZipReader::open(dir / "bad.zip"); });
  EXPECT_NE(message.find("bad.zip: corrupt zip central directory"), std::string::npos) << message;
}

TEST(ZipReaderErrors, CentralDirectoryWithBadSignature) {
  TempDir dir;
  std::string bytes = smallArchive(dir);
  const std::size_t directory = le32(bytes, bytes.size() - 22 + 16);
  ASSERT_EQ(le32(bytes, directory), 0x02014b50u);
  bytes[directory] = 'X';
  writeFile(dir / "sig.zip", bytes);
  const std::string message = errorOf([&] { ZipReader::open(dir / "sig.zip"); });
  EXPECT_NE(message.find("sig.zip: corrupt zip central directory: bad header signature for entry 0"), std::string::npos)
      << message;
}

TEST(ZipReaderErrors, EntryDataBeyondTheEndOfTheFile) {
  TempDir dir;
  std::string bytes = smallArchive(dir);
  const std::size_t directory = le32(bytes, bytes.size() - 22 + 16);
  // The second central header: after the first one (46 + name + no extra).
  const std::size_t second = directory + 46 + std::strlen("a/data.pkl");
  ASSERT_EQ(le32(bytes, second), 0x02014b50u);
  bytes[second + 20] = '\xFF';  // compressed size 0x00FF000a
  bytes[second + 22] = '\xFF';
  bytes[second + 24] = '\xFF';  // uncompressed too (stored sizes must agree)
  bytes[second + 26] = '\xFF';
  writeFile(dir / "long.zip", bytes);
  const std::string message = errorOf([&] { ZipReader::open(dir / "long.zip"); });
  EXPECT_NE(message.find("long.zip: zip entry 'a/data/0'"), std::string::npos) << message;
  EXPECT_NE(message.find("run past the end of the file"), std::string::npos) << message;
}

TEST(ZipReaderErrors, NameWithParentDirectoryIsRefused) {
  TempDir dir;
  {
    ZipWriter writer(dir / "evil.zip");
    writer.addEntry("a/../../etc/passwd", "x");
    writer.finish();
  }
  const std::string message = errorOf([&] { ZipReader::open(dir / "evil.zip"); });
  EXPECT_NE(message.find("evil.zip: zip entry name 'a/../../etc/passwd' is absolute or contains '..'"), std::string::npos)
      << message;
}

TEST(ZipReaderErrors, AbsoluteNameIsRefused) {
  TempDir dir;
  {
    ZipWriter writer(dir / "abs.zip");
    writer.addEntry("/tmp/x", "x");
    writer.finish();
  }
  EXPECT_NE(errorOf([&] { ZipReader::open(dir / "abs.zip"); }).find("'/tmp/x' is absolute"), std::string::npos);
}

TEST(ZipReaderErrors, MoreEntriesThanTheLimit) {
  TempDir dir;
  {
    ZipWriter writer(dir / "many.zip");
    for (int i = 0; i < 5; ++i) writer.addEntry("a/" + std::to_string(i), "x");
    writer.finish();
  }
  ZipReadLimits limits;
  limits.maxEntries = 4;
  const std::string message = errorOf([&] { ZipReader::open(dir / "many.zip", limits); });
  EXPECT_NE(message.find("many.zip: zip archive has 5 entries, more than the limit of 4"), std::string::npos) << message;
}

TEST(ZipReaderErrors, MissingFileIsAnIoError) {
  TempDir dir;
  ErrorKind kind{};
  const std::string message = errorOf([&] { ZipReader::open(dir / "nope.zip"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Io);
  EXPECT_NE(message.find("nope.zip"), std::string::npos);
}

}  // namespace
}  // namespace nhb::io
