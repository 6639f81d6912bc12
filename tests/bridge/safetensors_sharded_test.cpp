// Sharded checkpoints: the sharding plan (computed by hand here), the index HF writes, round trips
// through SafetensorsCheckpoint, and every way an index can disagree with its shards or escape
// the checkpoint directory.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/io/atomic_output.h"
#include "bridge/io/path_safety.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/safetensors_writer.h"
#include "bridge/io/sharded_safetensors.h"
#include "support/error_messages.h"
#include "support/test_support.h"

namespace nhb::io {
namespace {

namespace fs = std::filesystem;
using nhb::testing::errorOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nhb::testing::readFile;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

Tensor patterned(DType dtype, Shape shape, unsigned seed) {
  Tensor tensor(dtype, std::move(shape));
  for (std::size_t i = 0; i < tensor.nbytes(); ++i)
    tensor.data()[i] = static_cast<std::byte>((i * 29 + seed * 101 + 3) & 0xff);
  return tensor;
}

std::string bytesOf(const TensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

std::vector<std::string> fileNamesOf(const std::vector<ShardPlan>& shards) {
  std::vector<std::string> names;
  for (const auto& shard : shards) names.push_back(shard.fileName);
  return names;
}

std::vector<std::string> tensorNamesOf(const ShardPlan& shard) {
  std::vector<std::string> names;
  for (const auto& spec : shard.tensors) names.push_back(spec.name);
  return names;
}

std::vector<std::string> listDir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Five U8 tensors of 100, 100, 100, 300 and 50 bytes.
std::vector<TensorSpec> fiveSpecs() {
  return {{"a", DType::U8, {100}}, {"b", DType::U8, {10, 10}}, {"c", DType::U8, {100}},
          {"d", DType::F32, {75}}, {"e", DType::BF16, {25}}};
}

// ---- planning ---------------------------------------------------------------------------

TEST(ShardFileName, FollowsHuggingFaceSpelling) {
  EXPECT_EQ(shardFileName(0, 3), "model-00001-of-00003.safetensors");
  EXPECT_EQ(shardFileName(11, 12), "model-00012-of-00012.safetensors");
  EXPECT_EQ(shardFileName(0, 123456), "model-00001-of-123456.safetensors");
}

TEST(ShardedPlan, GreedyInOrderNeverSplitting) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 250);
  writer.plan(fiveSpecs());
  // a+b = 200 fit; +c = 300 > 250 -> new shard; c+d = 400 -> new; d = 300 alone (above the
  // limit); d+e = 350 -> new.
  const auto& shards = writer.shards();
  ASSERT_EQ(shards.size(), 4u);
  EXPECT_THAT(tensorNamesOf(shards[0]), ElementsAre("a", "b"));
  EXPECT_THAT(tensorNamesOf(shards[1]), ElementsAre("c"));
  EXPECT_THAT(tensorNamesOf(shards[2]), ElementsAre("d"));
  EXPECT_THAT(tensorNamesOf(shards[3]), ElementsAre("e"));
  EXPECT_EQ(shards[0].tensorBytes, 200u);
  EXPECT_EQ(shards[2].tensorBytes, 300u);
  EXPECT_THAT(fileNamesOf(shards),
              ElementsAre("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                          "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"));
  EXPECT_TRUE(writer.writesIndex());
  EXPECT_EQ(writer.totalBytes(), 650u);
}

TEST(ShardedPlan, ExactFitStartsANewShard) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 100);
  writer.plan({{"a", DType::U8, {100}}, {"b", DType::U8, {60}}, {"c", DType::U8, {40}}});
  ASSERT_EQ(writer.shards().size(), 2u);  // 100 | 60 + 40 = 100
  EXPECT_THAT(tensorNamesOf(writer.shards()[1]), ElementsAre("b", "c"));
}

TEST(ShardedPlan, OneShardIsPlainModelSafetensors) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 10'000);
  writer.plan(fiveSpecs());
  EXPECT_THAT(fileNamesOf(writer.shards()), ElementsAre("model.safetensors"));
  EXPECT_FALSE(writer.writesIndex());
}

TEST(ShardedPlan, ForcedIndexForOneShard) {
  TempDir dir;
  ShardedWriterOptions options;
  options.maxShardBytes = 10'000;
  options.alwaysWriteIndex = true;
  ShardedSafetensorsWriter writer(dir.path(), options);
  writer.plan(fiveSpecs());
  EXPECT_THAT(fileNamesOf(writer.shards()), ElementsAre("model-00001-of-00001.safetensors"));
  EXPECT_TRUE(writer.writesIndex());
}

TEST(ShardedPlan, DuplicateNameIsRejected) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 100);
  EXPECT_THAT(errorOf([&] { writer.plan({{"a", DType::U8, {1}}, {"a", DType::U8, {1}}}); }),
              HasSubstr("tensor 'a' is planned twice"));
}

TEST(ShardedPlan, ExplicitAssignmentGroupsByFileInFirstAppearanceOrder) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 1);  // the limit does not apply to an assignment
  writer.planAssigned({{{"a", DType::U8, {4}}, "x.safetensors"},
                       {{"b", DType::U8, {4}}, "y.safetensors"},
                       {{"c", DType::U8, {4}}, "x.safetensors"}});
  EXPECT_THAT(fileNamesOf(writer.shards()), ElementsAre("x.safetensors", "y.safetensors"));
  std::vector<std::string> order;
  for (const auto& spec : writer.writeOrder()) order.push_back(spec.name);
  EXPECT_THAT(order, ElementsAre("a", "c", "b"));
  EXPECT_TRUE(writer.writesIndex());
}

TEST(ShardedPlan, ExplicitSingleModelSafetensorsHasNoIndex) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 1);
  writer.planAssigned({{{"a", DType::U8, {4}}, "model.safetensors"}});
  EXPECT_FALSE(writer.writesIndex());
}

TEST(ShardedPlan, ExplicitAssignmentRejectsEscapingFileName) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 1);
  EXPECT_THAT(errorOf([&] { writer.planAssigned({{{"a", DType::U8, {4}}, "../x.safetensors"}}); }),
              HasSubstr("tensor 'a' assigned to '../x.safetensors', which is not a plain *.safetensors file name"));
}

TEST(ShardedPlan, ExplicitAssignmentRejectsNonSafetensorsName) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 1);
  EXPECT_THAT(errorOf([&] { writer.planAssigned({{{"a", DType::U8, {4}}, "weights.bin"}}); }),
              HasSubstr("not a plain *.safetensors file name"));
}

// ---- writing and reading back -----------------------------------------------------------

struct Model {
  std::vector<std::pair<std::string, Tensor>> tensors;
  const Tensor& get(const std::string& name) const {
    for (const auto& [n, t] : tensors)
      if (n == name) return t;
    throw std::runtime_error("no " + name);
  }
};

Model fiveTensors() {
  Model model;
  unsigned seed = 0;
  for (const auto& spec : fiveSpecs()) model.tensors.emplace_back(spec.name, patterned(spec.dtype, spec.shape, ++seed));
  return model;
}

void writeModel(ShardedSafetensorsWriter& writer, const Model& model) {
  for (const auto& spec : writer.writeOrder()) writer.write(spec.name, model.get(spec.name).view());
  writer.finish();
}

void expectSameTensors(const SafetensorsCheckpoint& checkpoint, const Model& model) {
  ASSERT_EQ(checkpoint.size(), model.tensors.size());
  for (const auto& [name, tensor] : model.tensors) {
    TensorView view = checkpoint.view(name);
    EXPECT_EQ(view.dtype, tensor.dtype()) << name;
    EXPECT_EQ(view.shape, tensor.shape()) << name;
    EXPECT_EQ(bytesOf(view), bytesOf(tensor.view())) << name;
  }
}

class ShardedRoundTrip : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ShardedRoundTrip, ByteExactAtEveryShardSize) {
  TempDir dir;
  const Model model = fiveTensors();
  ShardedSafetensorsWriter writer(dir.path(), GetParam());
  writer.plan(fiveSpecs());
  writeModel(writer, model);

  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(dir.path());
  EXPECT_EQ(checkpoint.hasIndex(), writer.shards().size() > 1);
  EXPECT_THAT(checkpoint.names(), ElementsAre("a", "b", "c", "d", "e"));
  expectSameTensors(checkpoint, model);
  for (const auto& shard : writer.shards())
    for (const auto& spec : shard.tensors) EXPECT_EQ(checkpoint.fileOf(spec.name), shard.fileName);
  EXPECT_EQ(checkpoint.totalTensorBytes(), 650u);
  for (const auto& file : checkpoint.fileNames())
    EXPECT_EQ(checkpoint.file(file).metadata(), (Json{{"format", "pt"}}));
}

INSTANTIATE_TEST_SUITE_P(ShardSizes, ShardedRoundTrip,
                         ::testing::Values(1, 100, 250, 300, 400, 649, 650, 1u << 30));

TEST(ShardedWriter, IndexContentMatchesHuggingFace) {
  TempDir dir;
  const Model model = fiveTensors();
  ShardedSafetensorsWriter writer(dir.path(), 250);
  writer.plan(fiveSpecs());
  writeModel(writer, model);

  EXPECT_THAT(listDir(dir.path()),
              ElementsAre("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                          "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                          "model.safetensors.index.json"));
  const std::string text = readFile(dir / "model.safetensors.index.json");
  const auto index = nlohmann::json::parse(text);
  EXPECT_EQ(index["metadata"]["total_size"], 650);  // 100 + 100 + 100 + 300 + 50
  EXPECT_EQ(index["weight_map"].size(), 5u);
  EXPECT_EQ(index["weight_map"]["a"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["b"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["c"], "model-00002-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["d"], "model-00003-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["e"], "model-00004-of-00004.safetensors");
}

TEST(ShardedWriter, IndexTextIsSortedIndentedLikeTransformers) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 4);
  writer.plan({{"z.weight", DType::F32, {1}}, {"a.weight", DType::F32, {1}}});
  Tensor z = patterned(DType::F32, {1}, 1), a = patterned(DType::F32, {1}, 2);
  writer.write("z.weight", z.view());
  writer.write("a.weight", a.view());
  writer.finish();
  // json.dumps(index, indent=2, sort_keys=True) + "\n"
  EXPECT_EQ(readFile(dir / "model.safetensors.index.json"),
            "{\n"
            "  \"metadata\": {\n"
            "    \"total_size\": 8\n"
            "  },\n"
            "  \"weight_map\": {\n"
            "    \"a.weight\": \"model-00002-of-00002.safetensors\",\n"
            "    \"z.weight\": \"model-00001-of-00002.safetensors\"\n"
            "  }\n"
            "}\n");
}

TEST(ShardedWriter, ExplicitAssignmentRoundTrip) {
  TempDir dir;
  const Model model = fiveTensors();
  ShardedSafetensorsWriter writer(dir.path(), 1);
  std::vector<std::pair<TensorSpec, std::string>> assignment;
  for (const auto& spec : fiveSpecs())
    assignment.push_back({spec, spec.name == "c" ? "second.safetensors" : "first.safetensors"});
  writer.planAssigned(assignment);
  writeModel(writer, model);
  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(dir.path());
  expectSameTensors(checkpoint, model);
  EXPECT_EQ(checkpoint.fileOf("c"), "second.safetensors");
  EXPECT_EQ(checkpoint.fileOf("e"), "first.safetensors");
}

TEST(ShardedWriter, EmptyModelWritesOneEmptyFile) {
  TempDir dir;
  ShardedSafetensorsWriter writer(dir.path(), 100);
  writer.plan({});
  writer.finish();
  EXPECT_THAT(listDir(dir.path()), ElementsAre("model.safetensors"));
  EXPECT_EQ(SafetensorsCheckpoint::open(dir.path()).size(), 0u);
}

TEST(ShardedWriter, OutOfOrderWriteIsRejected) {
  TempDir dir;
  const Model model = fiveTensors();
  ShardedSafetensorsWriter writer(dir.path(), 250);
  writer.plan(fiveSpecs());
  EXPECT_THAT(errorOf([&] { writer.write("b", model.get("b").view()); }),
              HasSubstr("expected tensor 'a' next, got 'b'"));
}

TEST(ShardedWriter, FinishBeforeAllTensorsIsRejected) {
  TempDir dir;
  const Model model = fiveTensors();
  ShardedSafetensorsWriter writer(dir.path(), 250);
  writer.plan(fiveSpecs());
  writer.write("a", model.get("a").view());
  EXPECT_THAT(errorOf([&] { writer.finish(); }),
              HasSubstr("finish() before every tensor was written (model-00001-of-00004.safetensors is incomplete)"));
}

TEST(ShardedWriter, AbandonedInsideAtomicOutputDirLeavesNothing) {
  TempDir parent;
  const Model model = fiveTensors();
  {
    AtomicOutputDir output(parent / "out", /*overwrite=*/false);
    ShardedSafetensorsWriter writer(output.path(), 250);
    writer.plan(fiveSpecs());
    writer.write("a", model.get("a").view());
    writer.write("b", model.get("b").view());  // shard 1 complete
    writer.write("c", model.get("c").view());  // shard 2 complete
    // no finish, no commit
  }
  EXPECT_TRUE(listDir(parent.path()).empty());
}

// ---- path safety ------------------------------------------------------------------------

TEST(PathSafety, PlainRelativePaths) {
  EXPECT_TRUE(isPlainRelativePath("model-00001-of-00002.safetensors"));
  EXPECT_TRUE(isPlainRelativePath("sub/dir/x.safetensors"));
  EXPECT_FALSE(isPlainRelativePath(""));
  EXPECT_FALSE(isPlainRelativePath("/etc/passwd"));
  EXPECT_FALSE(isPlainRelativePath("../x"));
  EXPECT_FALSE(isPlainRelativePath("a/../../x"));
  EXPECT_FALSE(isPlainRelativePath("./x"));
  EXPECT_FALSE(isPlainRelativePath("dir/"));
  EXPECT_FALSE(isPlainRelativePath(std::string("a\0b", 3)));
}

// ---- reading: layout and validation -------------------------------------------------------

// Writes one shard file holding the named U8 [2] tensors.
void writeShard(const fs::path& path, const std::vector<std::string>& names) {
  std::vector<TensorSpec> specs;
  for (const auto& name : names) specs.push_back({name, DType::U8, {2}});
  SafetensorsWriter writer(path, specs);
  Tensor bytes = patterned(DType::U8, {2}, 7);
  for (const auto& name : names) writer.write(name, bytes.view());
  writer.finish();
}

void writeIndex(const fs::path& dir, const nlohmann::json& weightMap) {
  writeFile(dir / "model.safetensors.index.json",
            nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weightMap}}.dump());
}

std::string openError(const fs::path& dir) {
  return errorOf([&] { SafetensorsCheckpoint::open(dir); });
}

TEST(SafetensorsCheckpoint, SingleFileWithoutIndex) {
  TempDir dir;
  writeShard(dir / "model.safetensors", {"y", "x"});
  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(dir.path());
  EXPECT_FALSE(checkpoint.hasIndex());
  EXPECT_THAT(checkpoint.names(), ElementsAre("x", "y"));
  EXPECT_EQ(checkpoint.fileOf("x"), "model.safetensors");
  EXPECT_TRUE(checkpoint.indexMetadata().empty());
}

TEST(SafetensorsCheckpoint, IndexIsPreferredAndItsMetadataKept) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a"});
  writeShard(dir / "s2.safetensors", {"b"});
  writeFile(dir / "model.safetensors.index.json",
            R"({"metadata":{"total_size":4,"format":"x"},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(dir.path());
  EXPECT_TRUE(checkpoint.hasIndex());
  EXPECT_EQ(checkpoint.indexMetadata()["total_size"], 4);
  EXPECT_EQ(checkpoint.indexMetadata()["format"], "x");
  EXPECT_THAT(checkpoint.fileNames(), ElementsAre("s1.safetensors", "s2.safetensors"));
}

TEST(SafetensorsCheckpoint, ShardInSubdirectoryIsAllowed) {
  TempDir dir;
  fs::create_directory(dir / "weights");
  writeShard(dir / "weights" / "s1.safetensors", {"a"});
  writeIndex(dir.path(), {{"a", "weights/s1.safetensors"}});
  EXPECT_EQ(SafetensorsCheckpoint::open(dir.path()).fileOf("a"), "weights/s1.safetensors");
}

TEST(SafetensorsCheckpoint, SymlinkInsideDirectoryIsAllowed) {
  TempDir dir;
  writeShard(dir / "real.safetensors", {"a"});
  fs::create_symlink("real.safetensors", dir / "link.safetensors");
  writeIndex(dir.path(), {{"a", "link.safetensors"}});
  EXPECT_EQ(SafetensorsCheckpoint::open(dir.path()).size(), 1u);
}

TEST(SafetensorsCheckpoint, ViewOfAbsentTensorNamesDirectoryAndTensor) {
  TempDir dir;
  writeShard(dir / "model.safetensors", {"a"});
  SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(dir.path());
  const std::string message = errorOf([&] { checkpoint.view("nope"); });
  EXPECT_THAT(message, HasSubstr(dir.path().string()));
  EXPECT_THAT(message, HasSubstr("checkpoint has no tensor 'nope'"));
}

TEST(SafetensorsCheckpoint, NoWeightsAtAll) {
  TempDir dir;
  EXPECT_THAT(openError(dir.path()),
              HasSubstr("neither model.safetensors.index.json nor model.safetensors found"));
}

TEST(SafetensorsCheckpoint, PytorchBinOnlyIsUnsupported) {
  TempDir dir;
  writeFile(dir / "pytorch_model.bin", "x");
  try {
    SafetensorsCheckpoint::open(dir.path());
    ADD_FAILURE() << "opened";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    EXPECT_THAT(error.what(), HasSubstr("only PyTorch .bin weights found"));
  }
}

TEST(SafetensorsCheckpoint, NotADirectory) {
  TempDir dir;
  EXPECT_THAT(openError(dir / "absent"), HasSubstr("absent: not a directory"));
}

TEST(SafetensorsCheckpoint, MissingShard) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a"});
  writeIndex(dir.path(), {{"a", "s1.safetensors"}, {"b", "s2.safetensors"}});
  const std::string message = openError(dir.path());
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json: tensor 'b'"));
  EXPECT_THAT(message, HasSubstr("'s2.safetensors' does not exist in"));
}

TEST(SafetensorsCheckpoint, IndexEntryWithDotDotEscapes) {
  TempDir parent;
  fs::create_directory(parent / "ckpt");
  writeShard(parent / "x.safetensors", {"a"});  // exists, but outside the checkpoint
  writeIndex(parent / "ckpt", {{"a", "../x.safetensors"}});
  EXPECT_THAT(openError(parent / "ckpt"),
              HasSubstr("'../x.safetensors' is not a plain relative path"));
}

TEST(SafetensorsCheckpoint, IndexEntryWithAbsolutePath) {
  TempDir dir, outside;
  writeShard(outside / "x.safetensors", {"a"});
  writeIndex(dir.path(), {{"a", (outside / "x.safetensors").string()}});
  EXPECT_THAT(openError(dir.path()), HasSubstr("is an absolute path; files must lie inside"));
}

TEST(SafetensorsCheckpoint, IndexEntryThroughSymlinkLeadingOutside) {
  TempDir dir, outside;
  writeShard(outside / "x.safetensors", {"a"});
  fs::create_symlink(outside / "x.safetensors", dir / "x.safetensors");
  writeIndex(dir.path(), {{"a", "x.safetensors"}});
  EXPECT_THAT(openError(dir.path()), HasSubstr("outside"));
  EXPECT_THAT(openError(dir.path()), HasSubstr("symlink leading out of the checkpoint"));
}

TEST(SafetensorsCheckpoint, IndexEntryThroughSymlinkedDirectoryLeadingOutside) {
  TempDir dir, outside;
  writeShard(outside / "x.safetensors", {"a"});
  fs::create_directory_symlink(outside.path(), dir / "sub");
  writeIndex(dir.path(), {{"a", "sub/x.safetensors"}});
  EXPECT_THAT(openError(dir.path()), HasSubstr("symlink leading out of the checkpoint"));
}

TEST(SafetensorsCheckpoint, IndexedTensorAbsentFromShard) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a"});
  writeIndex(dir.path(), {{"a", "s1.safetensors"}, {"ghost", "s1.safetensors"}});
  EXPECT_THAT(openError(dir.path()),
              HasSubstr("tensor 'ghost' is listed under 's1.safetensors' but that shard does not contain it"));
}

TEST(SafetensorsCheckpoint, ShardTensorMissingFromIndex) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a", "stray"});
  writeIndex(dir.path(), {{"a", "s1.safetensors"}});
  const std::string message = openError(dir.path());
  EXPECT_THAT(message, HasSubstr("s1.safetensors: tensor 'stray' is not listed in"));
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json"));
}

TEST(SafetensorsCheckpoint, ShardTensorIndexedUnderAnotherShard) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a", "b"});
  writeShard(dir / "s2.safetensors", {"b"});
  writeIndex(dir.path(), {{"a", "s1.safetensors"}, {"b", "s2.safetensors"}});
  EXPECT_THAT(openError(dir.path()), HasSubstr("tensor 'b' is listed in"));
  EXPECT_THAT(openError(dir.path()), HasSubstr("under 's2.safetensors' instead"));
}

TEST(SafetensorsCheckpoint, IndexNotJson) {
  TempDir dir;
  writeFile(dir / "model.safetensors.index.json", "{oops");
  EXPECT_THAT(openError(dir.path()), HasSubstr("model.safetensors.index.json: not valid JSON"));
}

TEST(SafetensorsCheckpoint, IndexWithoutWeightMap) {
  TempDir dir;
  writeFile(dir / "model.safetensors.index.json", R"({"metadata":{}})");
  EXPECT_THAT(openError(dir.path()), HasSubstr("model.safetensors.index.json: missing \"weight_map\""));
}

TEST(SafetensorsCheckpoint, IndexWeightMapValueNotAString) {
  TempDir dir;
  writeFile(dir / "model.safetensors.index.json", R"({"weight_map":{"a":3}})");
  EXPECT_THAT(openError(dir.path()), HasSubstr("weight_map entry 'a' must be a file name string, not 3"));
}

TEST(SafetensorsCheckpoint, BadShardErrorNamesTheShard) {
  TempDir dir;
  writeFile(dir / "s1.safetensors", "tiny");
  writeIndex(dir.path(), {{"a", "s1.safetensors"}});
  EXPECT_THAT(openError(dir.path()), HasSubstr("s1.safetensors: file is 4 bytes"));
}

}  // namespace
}  // namespace nhb::io
