// Directory-level conversion on generated fixtures: HF dir -> legacy Megatron dir -> HF dir gives
// back every tensor byte-identical, the same shard layout and config.json when the source is the
// reference, and the tokenizer files unchanged; broken Megatron directories give clear errors.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_generator.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "support/test_support.h"

namespace nhb::convert {
namespace {
namespace fs = std::filesystem;
using nhb::testing::TempDir;

fs::path makeFixture(const TempDir& dir, const std::string& preset) {
  fixture::FixtureOptions options;
  options.preset = preset;
  options.outDir = dir / ("hf-" + preset);
  options.shardSizeBytes = 256 << 10;
  fixture::generate(options);
  return options.outDir;
}

void expectSameTensors(const fs::path& expectedDir, const fs::path& actualDir, bool sameFiles) {
  io::SafetensorsCheckpoint expected = io::SafetensorsCheckpoint::open(expectedDir);
  io::SafetensorsCheckpoint actual = io::SafetensorsCheckpoint::open(actualDir);
  ASSERT_EQ(expected.names(), actual.names());
  for (const std::string& name : expected.names()) {
    TensorView a = expected.view(name), b = actual.view(name);
    ASSERT_EQ(a.dtype, b.dtype) << name;
    ASSERT_EQ(a.shape, b.shape) << name;
    ASSERT_EQ(a.nbytes, b.nbytes) << name;
    ASSERT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << name;
    if (sameFiles) EXPECT_EQ(expected.fileOf(name), actual.fileOf(name)) << name;
  }
}

struct Case {
  std::string preset;
  int64_t tp, pp, ep;
};

TEST(ConvertCheckpoint, RoundTripWithReferenceIsByteIdentical) {
  TempDir dir;
  for (const Case& c : {Case{"dense", 2, 2, 1}, Case{"moe", 2, 1, 2}, Case{"latent-moe-mtp", 4, 2, 2}}) {
    SCOPED_TRACE(c.preset);
    fs::path hf = makeFixture(dir, c.preset);
    HfToMegatronOptions toMegatron;
    toMegatron.hfDir = hf;
    toMegatron.outDir = dir / ("megatron-" + c.preset);
    toMegatron.layout.tp = c.tp;
    toMegatron.layout.pp = c.pp;
    toMegatron.layout.ep = c.ep;
    ConversionSummary summary = convertHfToMegatron(toMegatron);
    EXPECT_EQ(summary.ranks, static_cast<std::size_t>(c.tp * c.pp * c.ep));
    EXPECT_TRUE(fs::exists(toMegatron.outDir / "latest_checkpointed_iteration.txt"));
    EXPECT_TRUE(fs::exists(toMegatron.outDir / kConversionRecordName));
    EXPECT_TRUE(fs::exists(toMegatron.outDir / kProviderConfigName));
    EXPECT_TRUE(fs::exists(toMegatron.outDir / kCopiedHfFilesDir / "tokenizer.json"));

    MegatronToHfOptions toHf;
    toHf.megatronDir = toMegatron.outDir;
    toHf.outDir = dir / ("back-" + c.preset);
    toHf.referenceHf = hf;
    convertMegatronToHf(toHf);
    expectSameTensors(hf, toHf.outDir, /*sameFiles=*/true);
    EXPECT_EQ(nlohmann::json::parse(nhb::testing::readFile(hf / "config.json")),
              nlohmann::json::parse(nhb::testing::readFile(toHf.outDir / "config.json")));
    EXPECT_EQ(nhb::testing::readFile(hf / "tokenizer.json"), nhb::testing::readFile(toHf.outDir / "tokenizer.json"));
  }
}

TEST(ConvertCheckpoint, RoundTripWithoutReferenceUsesStoredFiles) {
  TempDir dir;
  fs::path hf = makeFixture(dir, "moe");
  HfToMegatronOptions toMegatron;
  toMegatron.hfDir = hf;
  toMegatron.outDir = dir / "megatron";
  toMegatron.layout.tp = 2;
  toMegatron.layout.naming = mapping::Naming::Local;
  toMegatron.layout.aLogDFp32 = true;
  toMegatron.iteration = 100;
  convertHfToMegatron(toMegatron);
  EXPECT_TRUE(fs::exists(toMegatron.outDir / "iter_0000100/mp_rank_01/model_optim_rng.pt"));
  MegatronToHfOptions toHf;
  toHf.megatronDir = toMegatron.outDir;
  toHf.outDir = dir / "back";
  convertMegatronToHf(toHf);
  expectSameTensors(hf, toHf.outDir, /*sameFiles=*/false);
  EXPECT_EQ(nhb::testing::readFile(hf / "tokenizer_config.json"),
            nhb::testing::readFile(toHf.outDir / "tokenizer_config.json"));
}

std::string errorOf(const MegatronToHfOptions& options) {
  try {
    convertMegatronToHf(options);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    return error.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(ConvertCheckpoint, MissingRankFileIsReported) {
  TempDir dir;
  fs::path hf = makeFixture(dir, "dense");
  HfToMegatronOptions toMegatron;
  toMegatron.hfDir = hf;
  toMegatron.outDir = dir / "megatron";
  toMegatron.layout.tp = 2;
  convertHfToMegatron(toMegatron);
  fs::remove_all(toMegatron.outDir / "release/mp_rank_01");
  MegatronToHfOptions toHf;
  toHf.megatronDir = toMegatron.outDir;
  toHf.outDir = dir / "back";
  std::string message = errorOf(toHf);
  EXPECT_NE(message.find("mp_rank_01"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(toHf.outDir));
}

TEST(ConvertCheckpoint, EmptyDirectoryIsRejected) {
  TempDir dir;
  fs::create_directories(dir / "megatron");
  MegatronToHfOptions toHf;
  toHf.megatronDir = dir / "megatron";
  toHf.outDir = dir / "back";
  EXPECT_NE(errorOf(toHf).find((dir / "megatron").string()), std::string::npos);
}

TEST(ConvertCheckpoint, ForeignCheckpointIsDescribedByItsArgsAndKeys) {
  // Without nhbridge_conversion.json the layout, naming and sizes come from the rank files.
  TempDir dir;
  fs::path hf = makeFixture(dir, "latent-moe-mtp");
  for (bool local : {false, true}) {
    SCOPED_TRACE(local ? "local" : "te");
    HfToMegatronOptions toMegatron;
    toMegatron.hfDir = hf;
    toMegatron.outDir = dir / (local ? "megatron-local" : "megatron-te");
    toMegatron.layout.tp = 2;
    toMegatron.layout.pp = 2;
    toMegatron.layout.ep = 2;
    toMegatron.layout.etp = 2;
    toMegatron.layout.aLogDFp32 = true;
    toMegatron.layout.padVocab = true;
    if (local) {
      toMegatron.layout.naming = mapping::Naming::Local;
      toMegatron.layout.conv1d = mapping::Conv1dNaming::Legacy;
    }
    convertHfToMegatron(toMegatron);
    fs::remove(toMegatron.outDir / kConversionRecordName);
    MegatronToHfOptions toHf;
    toHf.megatronDir = toMegatron.outDir;
    toHf.outDir = dir / (local ? "back-local" : "back-te");
    toHf.referenceHf = hf;
    convertMegatronToHf(toHf);
    expectSameTensors(hf, toHf.outDir, /*sameFiles=*/true);
  }
}

TEST(ConvertCheckpoint, ExistingOutputNeedsOverwrite) {
  TempDir dir;
  fs::path hf = makeFixture(dir, "dense");
  fs::create_directories(dir / "megatron");
  HfToMegatronOptions toMegatron;
  toMegatron.hfDir = hf;
  toMegatron.outDir = dir / "megatron";
  EXPECT_THROW(convertHfToMegatron(toMegatron), Error);
  toMegatron.overwrite = true;
  convertHfToMegatron(toMegatron);
  EXPECT_TRUE(fs::exists(dir / "megatron" / kConversionRecordName));
}

}  // namespace
}  // namespace nhb::convert
