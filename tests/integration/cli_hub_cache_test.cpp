// The CLI converts and verifies a checkpoint straight from a Hugging Face hub cache snapshot,
// whose files are all symlinks into the repository's blobs/ folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/cli_runner.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::testing::runCli;
using nhb::testing::shellQuote;
using nhb::testing::TempDir;

// Moves every file of `checkpoint` into repo/blobs/ and links it from repo/snapshots/REV/ the way
// the hub does; returns the snapshot folder.
fs::path toHubCache(const fs::path& checkpoint, const fs::path& repo) {
  const fs::path snapshot = repo / "snapshots" / "5f1e0c9";
  fs::create_directories(repo / "blobs");
  fs::create_directories(snapshot);
  int blob = 0;
  for (const auto& entry : fs::directory_iterator(checkpoint)) {
    const std::string hash = "b" + std::to_string(blob++);
    fs::rename(entry.path(), repo / "blobs" / hash);
    fs::create_symlink(fs::path("../../blobs") / hash, snapshot / entry.path().filename());
  }
  return snapshot;
}

TEST(CliHubCache, ConvertsAndVerifiesASnapshot) {
  TempDir dir;
  ASSERT_EQ(runCli("fixture --preset dense --out " + shellQuote((dir / "hf").string())).code, 0);
  const fs::path snapshot = toHubCache(dir / "hf", dir / "hub" / "models--nvidia--Tiny");
  ASSERT_TRUE(fs::is_symlink(snapshot / "config.json"));

  const auto convert = runCli("convert hf-to-megatron --hf " + shellQuote(snapshot.string()) + " --out " +
                              shellQuote((dir / "mcore").string()) + " --tp 2");
  ASSERT_EQ(convert.code, 0) << convert.output();

  const auto verify = runCli("verify --hf " + shellQuote(snapshot.string()) + " --tp 2 --report-dir " +
                             shellQuote((dir / "report").string()) + " --quiet");
  EXPECT_EQ(verify.code, 0) << verify.output();
  // The snapshot is untouched: still links, same targets.
  EXPECT_TRUE(fs::is_symlink(snapshot / "config.json"));
}

}  // namespace
