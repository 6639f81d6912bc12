// HfCheckpoint on a hand-made directory: config, weights and the inventory of extra files.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/io/safetensors_writer.h"
#include "support/test_support.h"

namespace nhb::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nhb::testing::readFile;
using nhb::testing::sourceDir;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

void writeTinyWeights(const fs::path& path) {
  SafetensorsWriter writer(path, {{"backbone.norm_f.weight", DType::BF16, {4}}});
  Tensor weight(DType::BF16, {4});
  writer.write("backbone.norm_f.weight", weight.view());
  writer.finish();
}

// A directory laid out like a published Nemotron-H checkpoint, with the 8B config.
void makeCheckpoint(const fs::path& dir) {
  fs::copy_file(sourceDir() / "fixtures/configs/nemotron-h-8b-base-8k.json", dir / "config.json");
  writeTinyWeights(dir / "model.safetensors");
  writeFile(dir / "tokenizer.json", "{}");
  writeFile(dir / "tokenizer_config.json", "{}");
  writeFile(dir / "special_tokens_map.json", "{}");
  writeFile(dir / "chat_template.jinja", "{{ messages }}");
  writeFile(dir / "generation_config.json", "{}");
  writeFile(dir / "nano_v3_reasoning_parser.py", "# parser");
  writeFile(dir / "modeling_nemotron_h.py", "# code");
  writeFile(dir / "README.md", "# card");
  writeFile(dir / ".gitattributes", "*.safetensors filter=lfs");
  writeFile(dir / "pytorch_model.bin.index.json", "{}");
  fs::create_directory(dir / "assets");
  writeFile(dir / "assets" / "figure.png", "png");
}

TEST(HfCheckpoint, OpensConfigWeightsAndInventory) {
  TempDir dir;
  makeCheckpoint(dir.path());
  HfCheckpoint checkpoint = HfCheckpoint::open(dir.path());
  EXPECT_EQ(checkpoint.dir(), dir.path());
  // nemotron-h-8b-base-8k: 52 layers, hidden 4096 (published config.json).
  EXPECT_EQ(checkpoint.config().numHiddenLayers, 52);
  EXPECT_EQ(checkpoint.config().hiddenSize, 4096);
  EXPECT_EQ(checkpoint.tensors().size(), 1u);
  EXPECT_EQ(checkpoint.tensors().view("backbone.norm_f.weight").shape, (Shape{4}));

  std::vector<std::pair<std::string, std::string>> inventory;
  for (const auto& file : checkpoint.extraFiles())
    inventory.emplace_back(file.name, std::string(extraFileKindName(file.kind)));
  // Sorted by name; config.json, weights, the index, hidden files and directories excluded.
  EXPECT_EQ(inventory, (std::vector<std::pair<std::string, std::string>>{
                           {"README.md", "other"},
                           {"chat_template.jinja", "chat_template"},
                           {"generation_config.json", "generation_config"},
                           {"modeling_nemotron_h.py", "other"},
                           {"nano_v3_reasoning_parser.py", "reasoning_parser"},
                           {"special_tokens_map.json", "special_tokens_map"},
                           {"tokenizer.json", "tokenizer"},
                           {"tokenizer_config.json", "tokenizer_config"},
                       }));
  const ExtraFile* chatTemplate = checkpoint.findExtraFile(ExtraFileKind::ChatTemplate);
  ASSERT_NE(chatTemplate, nullptr);
  EXPECT_EQ(chatTemplate->size, std::string("{{ messages }}").size());
}

TEST(HfCheckpoint, FileClassification) {
  EXPECT_EQ(classifyExtraFile("tokenizer.json"), ExtraFileKind::Tokenizer);
  EXPECT_EQ(classifyExtraFile("reasoning_parser.py"), ExtraFileKind::ReasoningParser);
  EXPECT_EQ(classifyExtraFile("super_v3_reasoning_parser.py"), ExtraFileKind::ReasoningParser);
  EXPECT_EQ(classifyExtraFile("tokenizer.model"), ExtraFileKind::Other);
  EXPECT_TRUE(isWeightFileName("model-00001-of-00002.safetensors"));
  EXPECT_TRUE(isWeightFileName("model.safetensors.index.json"));
  EXPECT_TRUE(isWeightFileName("pytorch_model-00001-of-00002.bin"));
  EXPECT_FALSE(isWeightFileName("tokenizer.json"));
  EXPECT_FALSE(isWeightFileName("training_args.bin"));
}

TEST(HfCheckpoint, InventoryOfAnEmptyCheckpointIsEmpty) {
  TempDir dir;
  fs::copy_file(sourceDir() / "fixtures/configs/nemotron-h-8b-base-8k.json", dir / "config.json");
  writeTinyWeights(dir / "model.safetensors");
  EXPECT_TRUE(HfCheckpoint::open(dir.path()).extraFiles().empty());
  EXPECT_EQ(HfCheckpoint::open(dir.path()).findExtraFile(ExtraFileKind::Tokenizer), nullptr);
}

TEST(HfCheckpoint, MissingConfig) {
  TempDir dir;
  writeTinyWeights(dir / "model.safetensors");
  try {
    HfCheckpoint::open(dir.path());
    ADD_FAILURE() << "opened";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_THAT(error.what(), HasSubstr("config.json: missing"));
  }
}

TEST(HfCheckpoint, MissingWeights) {
  TempDir dir;
  fs::copy_file(sourceDir() / "fixtures/configs/nemotron-h-8b-base-8k.json", dir / "config.json");
  try {
    HfCheckpoint::open(dir.path());
    ADD_FAILURE() << "opened";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("neither model.safetensors.index.json nor model.safetensors found"));
  }
}

TEST(HfCheckpoint, NotADirectory) {
  TempDir dir;
  writeFile(dir / "file", "x");
  try {
    HfCheckpoint::open(dir / "file");
    ADD_FAILURE() << "opened";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("file: not a directory"));
  }
}

TEST(HfCheckpoint, InputsAreNotModified) {
  TempDir dir;
  makeCheckpoint(dir.path());
  const std::string before = readFile(dir / "model.safetensors");
  { HfCheckpoint checkpoint = HfCheckpoint::open(dir.path()); }
  EXPECT_EQ(readFile(dir / "model.safetensors"), before);
}

}  // namespace
}  // namespace nhb::io
