// AtomicOutputDir / AtomicOutputFile: outputs appear complete or not at all, and existing
// outputs are replaced only with overwrite, only at commit.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/io/atomic_output.h"
#include "support/test_support.h"

namespace nhb::io {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using nhb::testing::readFile;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

std::vector<std::string> listDir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

template <class Fn>
Error errorOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error;
  }
  return Error(ErrorKind::Internal, "<no error>");
}

TEST(TemporarySiblingPath, HiddenSiblingWithPid) {
  const fs::path temp = temporarySiblingPath("/some/where/out");
  EXPECT_EQ(temp.parent_path(), fs::path("/some/where"));
  EXPECT_THAT(temp.filename().string(), StartsWith(".out.tmp-" + std::to_string(::getpid()) + "-"));
  EXPECT_NE(temporarySiblingPath("/some/where/out"), temporarySiblingPath("/some/where/out"));
}

TEST(AtomicOutputDir, CommitMovesTheTemporaryIntoPlace) {
  TempDir parent;
  const fs::path target = parent / "out";
  AtomicOutputDir output(target, /*overwrite=*/false);
  EXPECT_EQ(output.path().parent_path(), parent.path());
  EXPECT_THAT(output.path().filename().string(), StartsWith(".out.tmp-"));
  EXPECT_TRUE(fs::is_directory(output.path()));
  EXPECT_FALSE(fs::exists(target));
  writeFile(output.path() / "a.txt", "hello");
  output.commit();
  EXPECT_TRUE(output.committed());
  EXPECT_EQ(readFile(target / "a.txt"), "hello");
  EXPECT_THAT(listDir(parent.path()), ElementsAre("out"));
}

TEST(AtomicOutputDir, NoCommitLeavesNothing) {
  TempDir parent;
  {
    AtomicOutputDir output(parent / "out", false);
    fs::create_directory(output.path() / "nested");
    writeFile(output.path() / "nested" / "big.bin", std::string(1000, 'x'));
  }
  EXPECT_TRUE(listDir(parent.path()).empty());
}

TEST(AtomicOutputDir, ExceptionBeforeCommitLeavesNothing) {
  TempDir parent;
  try {
    AtomicOutputDir output(parent / "out", false);
    writeFile(output.path() / "partial", "x");
    throw std::runtime_error("conversion failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(listDir(parent.path()).empty());
}

TEST(AtomicOutputDir, RefusesExistingDirectoryWithoutOverwrite) {
  TempDir parent;
  fs::create_directory(parent / "out");
  writeFile(parent / "out" / "keep", "old");
  Error error = errorOf([&] { AtomicOutputDir output(parent / "out", false); });
  EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  EXPECT_THAT(error.what(), HasSubstr((parent / "out").string() + " already exists; pass --overwrite to replace it"));
  EXPECT_THAT(listDir(parent.path()), ElementsAre("out"));  // no temporary left behind
  EXPECT_EQ(readFile(parent / "out" / "keep"), "old");
}

TEST(AtomicOutputDir, RefusesExistingFileWithoutOverwrite) {
  TempDir parent;
  writeFile(parent / "out", "a file");
  EXPECT_THAT(errorOf([&] { AtomicOutputDir output(parent / "out", false); }).what(),
              HasSubstr("already exists; pass --overwrite"));
}

TEST(AtomicOutputDir, OverwriteReplacesOnlyAtCommit) {
  TempDir parent;
  fs::create_directory(parent / "out");
  writeFile(parent / "out" / "old.txt", "old");
  AtomicOutputDir output(parent / "out", /*overwrite=*/true);
  writeFile(output.path() / "new.txt", "new");
  EXPECT_EQ(readFile(parent / "out" / "old.txt"), "old");  // untouched until commit
  output.commit();
  EXPECT_THAT(listDir(parent / "out"), ElementsAre("new.txt"));
  EXPECT_THAT(listDir(parent.path()), ElementsAre("out"));  // the old copy is gone
}

TEST(AtomicOutputDir, OverwriteWithoutCommitKeepsTheOldOutput) {
  TempDir parent;
  fs::create_directory(parent / "out");
  writeFile(parent / "out" / "old.txt", "old");
  { AtomicOutputDir output(parent / "out", true); }
  EXPECT_THAT(listDir(parent / "out"), ElementsAre("old.txt"));
  EXPECT_THAT(listDir(parent.path()), ElementsAre("out"));
}

TEST(AtomicOutputDir, TrailingSlashIsFine) {
  TempDir parent;
  AtomicOutputDir output((parent / "out").string() + "/", false);
  output.commit();
  EXPECT_TRUE(fs::is_directory(parent / "out"));
}

TEST(AtomicOutputDir, MissingParentIsBadInput) {
  TempDir parent;
  Error error = errorOf([&] { AtomicOutputDir output(parent / "no" / "out", false); });
  EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  EXPECT_THAT(error.what(), HasSubstr("parent directory"));
  EXPECT_THAT(error.what(), HasSubstr("does not exist"));
}

TEST(AtomicOutputDir, AppearedWhileWritingIsRefusedWithoutOverwrite) {
  TempDir parent;
  AtomicOutputDir output(parent / "out", false);
  fs::create_directory(parent / "out");
  EXPECT_THAT(errorOf([&] { output.commit(); }).what(), HasSubstr("appeared while writing"));
}

TEST(AtomicOutputDir, MoveTransfersOwnership) {
  TempDir parent;
  AtomicOutputDir first(parent / "out", false);
  const fs::path temp = first.path();
  AtomicOutputDir second(std::move(first));
  EXPECT_EQ(second.path(), temp);
  EXPECT_TRUE(fs::is_directory(temp));
  second.commit();
  EXPECT_TRUE(fs::is_directory(parent / "out"));
}

TEST(AtomicOutputFile, CommitRenamesIntoPlace) {
  TempDir parent;
  AtomicOutputFile output(parent / "report.json", false);
  EXPECT_THAT(output.path().filename().string(), StartsWith(".report.json.tmp-"));
  writeFile(output.path(), "{}");
  EXPECT_FALSE(fs::exists(parent / "report.json"));
  output.commit();
  EXPECT_EQ(readFile(parent / "report.json"), "{}");
  EXPECT_THAT(listDir(parent.path()), ElementsAre("report.json"));
}

TEST(AtomicOutputFile, NoCommitLeavesNothing) {
  TempDir parent;
  {
    AtomicOutputFile output(parent / "report.json", false);
    writeFile(output.path(), "partial");
  }
  EXPECT_TRUE(listDir(parent.path()).empty());
}

TEST(AtomicOutputFile, RefusesExistingFileWithoutOverwrite) {
  TempDir parent;
  writeFile(parent / "report.json", "old");
  Error error = errorOf([&] { AtomicOutputFile output(parent / "report.json", false); });
  EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  EXPECT_THAT(error.what(), HasSubstr("report.json already exists; pass --overwrite to replace it"));
}

TEST(AtomicOutputFile, OverwriteReplacesAtCommit) {
  TempDir parent;
  writeFile(parent / "report.json", "old");
  AtomicOutputFile output(parent / "report.json", true);
  writeFile(output.path(), "new");
  EXPECT_EQ(readFile(parent / "report.json"), "old");
  output.commit();
  EXPECT_EQ(readFile(parent / "report.json"), "new");
}

TEST(AtomicOutputFile, DirectoryTargetIsRejected) {
  TempDir parent;
  fs::create_directory(parent / "out");
  EXPECT_THAT(errorOf([&] { AtomicOutputFile output(parent / "out", true); }).what(), HasSubstr("is a directory"));
}

TEST(AtomicOutputFile, MissingDirectoryIsRejected) {
  TempDir parent;
  EXPECT_THAT(errorOf([&] { AtomicOutputFile output(parent / "no" / "x.json", false); }).what(),
              HasSubstr("does not exist"));
}

}  // namespace
}  // namespace nhb::io
