// Files named by a checkpoint (the index's weight_map) and files carried over from it (tokenizer
// and other extra files) cannot reach outside the checkpoint directory, through "..", absolute
// paths or symlinks; symlinks that stay inside are fine.
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

void writeIndex(const fs::path& dir, const std::string& shardName) {
  writeFile(dir / "model.safetensors.index.json",
            R"({"metadata":{},"weight_map":{"w":")" + shardName + R"("}})");
}

// Expects BadInput naming the index file and `fragment`.
void expectRefused(const fs::path& dir, const std::string& fragment) {
  try {
    nhb::io::SafetensorsCheckpoint::open(dir);
    ADD_FAILURE() << "opened a checkpoint whose weight_map escapes: " << fragment;
  } catch (const nhb::Error& error) {
    EXPECT_EQ(error.kind(), nhb::ErrorKind::BadInput) << error.what();
    const std::string message = error.what();
    EXPECT_NE(message.find("model.safetensors.index.json"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

struct Layout {
  TempDir root;
  fs::path checkpoint = root / "checkpoint";
  fs::path outside = root / "outside";
  Layout() {
    fs::create_directories(checkpoint);
    fs::create_directories(outside);
    writeFile(outside / "stolen.safetensors", oneTensorShard());
    writeFile(outside / "secret.json", "{\"secret\": true}");
  }
};

TEST(HardeningPaths, WeightMapWithDotDotIsRefused) {
  Layout layout;
  writeIndex(layout.checkpoint, "../outside/stolen.safetensors");
  expectRefused(layout.checkpoint, "not a plain relative path");
}

TEST(HardeningPaths, WeightMapWithAnAbsolutePathIsRefused) {
  Layout layout;
  writeIndex(layout.checkpoint, (layout.outside / "stolen.safetensors").string());
  expectRefused(layout.checkpoint, "is an absolute path");
}

TEST(HardeningPaths, WeightMapThroughASymlinkLeadingOutIsRefused) {
  Layout layout;
  fs::create_symlink(layout.outside / "stolen.safetensors", layout.checkpoint / "model.safetensors-00001");
  writeIndex(layout.checkpoint, "model.safetensors-00001");
  expectRefused(layout.checkpoint, "symlink leading out of the checkpoint");
}

TEST(HardeningPaths, WeightMapThroughASymlinkedDirectoryLeadingOutIsRefused) {
  Layout layout;
  fs::create_directory_symlink(layout.outside, layout.checkpoint / "shards");
  writeIndex(layout.checkpoint, "shards/stolen.safetensors");
  expectRefused(layout.checkpoint, "symlink leading out of the checkpoint");
}

TEST(HardeningPaths, WeightMapThroughASymlinkStayingInsideIsAccepted) {
  Layout layout;
  fs::create_directories(layout.checkpoint / "blobs");
  writeFile(layout.checkpoint / "blobs" / "real.safetensors", oneTensorShard());
  fs::create_symlink("blobs/real.safetensors", layout.checkpoint / "linked.safetensors");
  writeIndex(layout.checkpoint, "linked.safetensors");
  auto checkpoint = nhb::io::SafetensorsCheckpoint::open(layout.checkpoint);
  EXPECT_EQ(checkpoint.names(), std::vector<std::string>{"w"});
}

TEST(HardeningPaths, ExtraFileSymlinkLeadingOutIsRefused) {
  // A tokenizer file that is a symlink to a file elsewhere would be copied into the output.
  Layout layout;
  writeFile(layout.checkpoint / "tokenizer_config.json", "{}");
  fs::create_symlink(layout.outside / "secret.json", layout.checkpoint / "tokenizer.json");
  try {
    nhb::io::listExtraFiles(layout.checkpoint);
    ADD_FAILURE() << "listed an extra file that leads out of the checkpoint";
  } catch (const nhb::Error& error) {
    EXPECT_EQ(error.kind(), nhb::ErrorKind::BadInput) << error.what();
    const std::string message = error.what();
    EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
    EXPECT_NE(message.find("symlink leading out"), std::string::npos) << message;
  }
}

TEST(HardeningPaths, ExtraFileSymlinkStayingInsideIsListed) {
  Layout layout;
  fs::create_directories(layout.checkpoint / "blobs");
  writeFile(layout.checkpoint / "blobs" / "tok", "{}");
  fs::create_symlink("blobs/tok", layout.checkpoint / "tokenizer.json");
  const auto files = nhb::io::listExtraFiles(layout.checkpoint);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "tokenizer.json");
}

}  // namespace
