// A Hugging Face hub cache snapshot (models--ORG--NAME/snapshots/REV/) holds only symlinks into
// models--ORG--NAME/blobs/. Those are accepted; a link from a snapshot anywhere else (another
// repository's blobs, outside the cache) is still refused, and so is a look-alike layout that is
// not a hub repository folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/safetensors_header.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

std::string oneTensorShard() {
  nhb::io::TensorSpec spec{"w", nhb::DType::F32, {2}};
  return nhb::io::serializeSafetensorsHeader({spec}, nhb::io::Json::object()) + std::string(8, '\0');
}

// Writes `bytes` as a blob of `repo` and links `snapshot / name` to it the way the hub does
// (a relative link "../../blobs/HASH").
void addHubFile(const fs::path& repo, const fs::path& snapshot, const std::string& name,
                const std::string& bytes) {
  const std::string hash = "blob-" + std::to_string(std::hash<std::string>{}(name));
  writeFile(repo / "blobs" / hash, bytes);
  fs::create_symlink(fs::path("../../blobs") / hash, snapshot / name);
}

struct HubRepo {
  fs::path repo, snapshot;
  HubRepo(const fs::path& cache, const std::string& folder) : repo(cache / folder), snapshot(repo / "snapshots" / "0123abc") {
    fs::create_directories(repo / "blobs");
    fs::create_directories(snapshot);
    addHubFile(repo, snapshot, "model-00001-of-00001.safetensors", oneTensorShard());
    addHubFile(repo, snapshot, "model.safetensors.index.json",
               R"({"metadata":{},"weight_map":{"w":"model-00001-of-00001.safetensors"}})");
    addHubFile(repo, snapshot, "tokenizer.json", "{}");
  }
};

std::string refusal(const fs::path& dir) {
  try {
    nhb::io::SafetensorsCheckpoint::open(dir);
  } catch (const nhb::Error& error) {
    EXPECT_EQ(error.kind(), nhb::ErrorKind::BadInput) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "opened " << dir;
  return "";
}

TEST(HubCachePaths, SnapshotLinksIntoItsOwnBlobsAreAccepted) {
  TempDir cache;
  HubRepo hub(cache.path(), "models--nvidia--Tiny-Nemotron-H");
  auto checkpoint = nhb::io::SafetensorsCheckpoint::open(hub.snapshot);
  EXPECT_EQ(checkpoint.names(), std::vector<std::string>{"w"});
  const auto extra = nhb::io::listExtraFiles(hub.snapshot);
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_EQ(extra[0].name, "tokenizer.json");
}

TEST(HubCachePaths, SnapshotLinkIntoAnotherRepositoryIsRefused) {
  TempDir cache;
  HubRepo hub(cache.path(), "models--nvidia--Tiny-Nemotron-H");
  HubRepo other(cache.path(), "models--someone--Other");
  const fs::path shard = hub.snapshot / "model-00001-of-00001.safetensors";
  fs::remove(shard);
  fs::create_symlink(fs::path("../../../models--someone--Other/blobs") /
                         fs::read_symlink(other.snapshot / "model-00001-of-00001.safetensors").filename(),
                     shard);
  const std::string message = refusal(hub.snapshot);
  EXPECT_NE(message.find("symlink leading out of the checkpoint"), std::string::npos) << message;
  EXPECT_NE(message.find("hub cache"), std::string::npos) << message;
}

TEST(HubCachePaths, SnapshotLinkOutOfTheCacheIsRefused) {
  TempDir cache;
  HubRepo hub(cache.path(), "models--nvidia--Tiny-Nemotron-H");
  writeFile(cache / "elsewhere.safetensors", oneTensorShard());
  const fs::path shard = hub.snapshot / "model-00001-of-00001.safetensors";
  fs::remove(shard);
  fs::create_symlink(cache / "elsewhere.safetensors", shard);
  EXPECT_NE(refusal(hub.snapshot).find("symlink leading out"), std::string::npos);
}

TEST(HubCachePaths, LookAlikeOutsideAHubRepositoryFolderIsRefused) {
  // The same snapshots/REV -> ../../blobs shape, but the folder is not models--ORG--NAME.
  TempDir cache;
  HubRepo lookAlike(cache.path(), "downloads");
  const std::string message = refusal(lookAlike.snapshot);
  EXPECT_NE(message.find("symlink leading out of the checkpoint"), std::string::npos) << message;
  EXPECT_EQ(message.find("hub cache"), std::string::npos) << message;
}

}  // namespace
