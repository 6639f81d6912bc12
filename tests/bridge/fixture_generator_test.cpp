// Generated fixture checkpoints load back through the HF checkpoint reader with exactly the
// inventory's tensors, stay small, are deterministic per seed, and carry a consistent tokenizer.
#include "bridge/fixture/fixture_generator.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/fixture/float_encoding.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/model/hf_parameters.h"
#include "support/config_files.h"
#include "support/error_messages.h"
#include "support/test_support.h"

namespace nhb::fixture {
namespace {

namespace fs = std::filesystem;
using nhb::testing::badInputMessage;
constexpr std::uint64_t kMaxFixtureBytes = 50ull * 1000 * 1000;

std::map<std::string, std::string> readAllFiles(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = testing::readFile(entry.path());
  return files;
}

std::uint64_t directoryBytes(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) total += entry.file_size();
  return total;
}

// Loads the directory back and checks it against the inventory of its own config.json.
void expectCompleteCheckpoint(const fs::path& dir, DType expectedModelDType) {
  const io::HfCheckpoint checkpoint = io::HfCheckpoint::open(dir);
  const auto parameters = model::hfParameters(checkpoint.config());
  ASSERT_EQ(model::modelDType(checkpoint.config()), expectedModelDType);
  const auto& tensors = checkpoint.tensors();
  EXPECT_EQ(tensors.size(), parameters.size()) << "extra or missing tensors";
  for (const auto& p : parameters) {
    ASSERT_TRUE(tensors.contains(p.name)) << "missing " << p.name;
    const auto& entry = tensors.entry(p.name);
    EXPECT_EQ(entry.shape, p.shape) << p.name;
    EXPECT_EQ(entry.dtype, p.dtype(expectedModelDType)) << p.name;
    if (p.name.find("e_score_correction_bias") != std::string::npos) EXPECT_EQ(entry.dtype, DType::F32) << p.name;
  }
  EXPECT_TRUE(tensors.hasIndex());
  EXPECT_LT(directoryBytes(dir), kMaxFixtureBytes);

  // Tokenizer files parse and agree with config.json.
  const auto& config = checkpoint.config();
  const Json tokenizer = Json::parse(testing::readFile(dir / "tokenizer.json"));
  const Json special = Json::parse(testing::readFile(dir / "special_tokens_map.json"));
  const Json tokenizerConfig = Json::parse(testing::readFile(dir / "tokenizer_config.json"));
  const Json generation = Json::parse(testing::readFile(dir / "generation_config.json"));
  EXPECT_EQ(tokenizer["model"]["type"], "BPE");
  EXPECT_EQ(tokenizer["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(tokenizer["decoder"]["type"], "ByteLevel");
  const Json& vocab = tokenizer["model"]["vocab"];
  EXPECT_LE(static_cast<int64_t>(vocab.size()), config.vocabSize);
  for (const auto& [token, id] : vocab.items()) EXPECT_LT(id.get<int64_t>(), config.vocabSize) << token;
  EXPECT_EQ(vocab.at(special["bos_token"]["content"].get<std::string>()), *config.bosTokenId);
  EXPECT_EQ(vocab.at(special["eos_token"]["content"].get<std::string>()), *config.eosTokenId);
  EXPECT_EQ(vocab.at(special["pad_token"]["content"].get<std::string>()), *config.padTokenId);
  EXPECT_EQ(vocab.at(tokenizerConfig["bos_token"].get<std::string>()), *config.bosTokenId);
  EXPECT_EQ(vocab.at("<unk>"), 0);
  EXPECT_EQ(generation["eos_token_id"], *config.eosTokenId);
  EXPECT_NE(checkpoint.findExtraFile(io::ExtraFileKind::Tokenizer), nullptr);
}

class PresetFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(PresetFixtures, LoadBackCompleteSmallAndFast) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = GetParam();
  options.outDir = tmp / "ckpt";
  options.seed = 7;
  const auto start = std::chrono::steady_clock::now();
  const FixtureResult result = generate(options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0) << "target is < 2 s; allow for loaded CI machines";
  EXPECT_GT(result.shards, 1u) << "default shard size should split presets into several shards";
  EXPECT_GT(result.tensors, 0);
  expectCompleteCheckpoint(options.outDir, DType::BF16);
  // No temporary leftovers next to the output.
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(entry.path().filename(), "ckpt") << entry.path();
}

INSTANTIATE_TEST_SUITE_P(All, PresetFixtures, ::testing::ValuesIn(presetNames()), [](const auto& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

std::vector<fs::path> publishedConfigs() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(testing::publishedConfigsDir()))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

class FromConfigFixtures : public ::testing::TestWithParam<fs::path> {};

TEST_P(FromConfigFixtures, LoadBackComplete) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = kFromConfigPreset;
  options.configPath = GetParam();
  options.outDir = tmp / "ckpt";
  generate(options);
  expectCompleteCheckpoint(options.outDir, DType::BF16);
  // The fixture keeps the real layer layout.
  const auto real = config::loadHfConfig(GetParam());
  const auto fixture = config::loadHfConfig(options.outDir / "config.json");
  EXPECT_EQ(fixture.pattern, real.pattern);
  EXPECT_EQ(fixture.mtpPattern, real.mtpPattern);
}

INSTANTIATE_TEST_SUITE_P(FixturesConfigs, FromConfigFixtures, ::testing::ValuesIn(publishedConfigs()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(Generate, SameSeedSameBytesOtherSeedOtherWeights) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "latent-moe-mtp";
  options.seed = 11;
  options.outDir = tmp / "a";
  generate(options);
  options.outDir = tmp / "b";
  generate(options);
  options.seed = 12;
  options.outDir = tmp / "c";
  generate(options);
  const auto a = readAllFiles(tmp / "a");
  const auto b = readAllFiles(tmp / "b");
  const auto c = readAllFiles(tmp / "c");
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), c.size());
  for (const auto& [name, bytes] : a) {
    if (name.find(".safetensors") != std::string::npos && name.find("index") == std::string::npos)
      EXPECT_NE(bytes, c.at(name)) << name;
    else
      EXPECT_EQ(bytes, c.at(name)) << name;  // config, tokenizer and index do not depend on the seed
  }
}

float readF32(const TensorView& view, int64_t i) {
  float value;
  std::memcpy(&value, view.data + i * 4, 4);
  return value;
}

TEST(Generate, F32ValuesFollowTheInitRecipe) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "moe";
  options.dtype = DType::F32;
  options.outDir = tmp / "f32";
  generate(options);
  expectCompleteCheckpoint(options.outDir, DType::F32);
  const auto checkpoint = io::HfCheckpoint::open(options.outDir);
  const auto& t = checkpoint.tensors();

  const TensorView aLog = t.view("backbone.layers.0.mixer.A_log");  // log U[1, 16]
  for (int64_t i = 0; i < aLog.numel(); ++i) {
    EXPECT_GE(readF32(aLog, i), 0.0f);
    EXPECT_LE(readF32(aLog, i), std::log(16.0f) + 1e-6f);
  }
  const TensorView dtBias = t.view("backbone.layers.0.mixer.dt_bias");  // softplus(dt_bias) in [1e-3, 1e-1]
  for (int64_t i = 0; i < dtBias.numel(); ++i) {
    const double dt = std::log1p(std::exp(static_cast<double>(readF32(dtBias, i))));
    EXPECT_GE(dt, 1e-3 * 0.999);
    EXPECT_LE(dt, 1e-1 * 1.001);
  }
  const TensorView norm = t.view("backbone.norm_f.weight");
  double mean = 0;
  for (int64_t i = 0; i < norm.numel(); ++i) mean += readF32(norm, i);
  EXPECT_NEAR(mean / static_cast<double>(norm.numel()), 1.0, 0.1);

  // Linear weight [out, in] ~ N(0, 1/sqrt(in)): sample variance close to 1/in.
  const TensorView inProj = t.view("backbone.layers.0.mixer.in_proj.weight");
  double sumSquares = 0;
  for (int64_t i = 0; i < inProj.numel(); ++i) sumSquares += std::pow(readF32(inProj, i), 2);
  EXPECT_NEAR(sumSquares / static_cast<double>(inProj.numel()), 1.0 / 64.0, 0.1 / 64.0);

  const TensorView embedding = t.view("backbone.embeddings.weight");  // N(0, 1)
  sumSquares = 0;
  for (int64_t i = 0; i < embedding.numel(); ++i) sumSquares += std::pow(readF32(embedding, i), 2);
  EXPECT_NEAR(sumSquares / static_cast<double>(embedding.numel()), 1.0, 0.05);
}

TEST(Generate, Bf16IsTheRoundedFloatOfTheSameStream) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "dense";
  options.outDir = tmp / "bf16";
  generate(options);
  options.dtype = DType::F32;
  options.outDir = tmp / "f32";
  generate(options);
  const auto bf16 = io::HfCheckpoint::open(tmp / "bf16");
  const auto f32 = io::HfCheckpoint::open(tmp / "f32");
  const TensorView a = bf16.tensors().view("backbone.layers.1.mixer.up_proj.weight");
  const TensorView b = f32.tensors().view("backbone.layers.1.mixer.up_proj.weight");
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < 64; ++i) {
    std::uint16_t half;
    std::memcpy(&half, a.data + i * 2, 2);
    EXPECT_EQ(half, floatToBf16(readF32(b, i)));
  }
}

TEST(Bf16Encoding, RoundsToNearestEven) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(floatToBf16(-2.0f), 0xC000);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  // 1 + 3*2^-8 is halfway between 1+2^-7 (odd) and 1+2^-6 (even): rounds up.
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::nanf("")))));
}

TEST(Generate, ShardSizeControlsShardCount) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "dense";
  options.outDir = tmp / "one";
  options.shardSizeBytes = 1ull << 30;
  EXPECT_EQ(generate(options).shards, 1u);
  EXPECT_TRUE(fs::exists(tmp / "one" / "model.safetensors.index.json"));
  options.outDir = tmp / "many";
  options.shardSizeBytes = 64 * 1024;
  const auto many = generate(options);
  EXPECT_GT(many.shards, 5u);
  const Json index = Json::parse(testing::readFile(tmp / "many" / "model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"].get<std::uint64_t>(), many.tensorBytes);
  expectCompleteCheckpoint(tmp / "many", DType::BF16);
}

TEST(Generate, ExistingOutputNeedsOverwrite) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.outDir = tmp / "ckpt";
  fs::create_directories(options.outDir);
  testing::writeFile(options.outDir / "keep.txt", "mine");
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("overwrite"), std::string::npos) << message;
  EXPECT_EQ(testing::readFile(options.outDir / "keep.txt"), "mine");
  options.overwrite = true;
  generate(options);
  EXPECT_FALSE(fs::exists(options.outDir / "keep.txt"));
  expectCompleteCheckpoint(options.outDir, DType::BF16);
}

TEST(Generate, UnknownPresetIsBadInputAndWritesNothing) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "giant";
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("giant"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(Generate, FromConfigWithoutConfigIsBadInput) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = kFromConfigPreset;
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("--config"), std::string::npos) << message;
}

TEST(Generate, FromConfigWithMissingFileNamesIt) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = kFromConfigPreset;
  options.configPath = tmp / "nope.json";
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("nope.json"), std::string::npos) << message;
}

TEST(Generate, FromConfigWithInvalidJsonNamesIt) {
  testing::TempDir tmp;
  testing::writeFile(tmp / "broken.json", "{\"hidden_size\": ");
  FixtureOptions options;
  options.preset = kFromConfigPreset;
  options.configPath = tmp / "broken.json";
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("broken.json"), std::string::npos) << message;
}

TEST(Generate, ConfigWithAPresetIsBadInput) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.preset = "dense";
  options.configPath = tmp / "x.json";
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("from-config"), std::string::npos) << message;
}

TEST(Generate, UnsupportedDTypeIsBadInput) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.dtype = DType::F16;
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("f16"), std::string::npos) << message;
}

TEST(Generate, ZeroShardSizeIsBadInput) {
  testing::TempDir tmp;
  FixtureOptions options;
  options.shardSizeBytes = 0;
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("--shard-size"), std::string::npos) << message;
}

TEST(Generate, SpecialIdBeyondTheFixtureTokenizerIsBadInput) {
  testing::TempDir tmp;
  Json real = Json::parse(testing::readFile(testing::sourceDir() / "fixtures/configs/nemotron-h-8b-base-8k.json"));
  real["pad_token_id"] = 100;
  testing::writeFile(tmp / "pad.json", real.dump());
  FixtureOptions options;
  options.preset = kFromConfigPreset;
  options.configPath = tmp / "pad.json";
  options.outDir = tmp / "ckpt";
  const std::string message = badInputMessage([&] { generate(options); });
  EXPECT_NE(message.find("pad_token_id 100"), std::string::npos) << message;
  EXPECT_NE(message.find("pad.json"), std::string::npos) << message;
}

}  // namespace
}  // namespace nhb::fixture
