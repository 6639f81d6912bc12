// inspectHfCheckpoint on generated fixtures (clean) and on hand-built checkpoints with one
// defect of each kind.
#include "bridge/model/hf_inspection.h"

#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/fixture/fixture_generator.h"
#include "bridge/io/safetensors_writer.h"
#include "bridge/model/hf_parameters.h"
#include "support/test_support.h"

namespace nhb::model {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

fs::path makeFixture(const testing::TempDir& tmp, const std::string& preset) {
  fixture::FixtureOptions options;
  options.preset = preset;
  options.outDir = tmp / preset;
  fixture::generate(options);
  return options.outDir;
}

TEST(Inspection, CleanFixtureHasNoProblemsAndHandCountedSummary) {
  testing::TempDir tmp;
  const Inspection in = inspectHfCheckpoint(makeFixture(tmp, "latent-moe-mtp"));
  EXPECT_TRUE(in.problems.empty()) << inspectionToText(in);
  EXPECT_EQ(in.pattern, "MEM*EMEM*EME");
  EXPECT_EQ(in.mtpPattern, "*E");
  EXPECT_EQ(in.mtpDepths, 1);
  EXPECT_EQ(in.modelDType, DType::BF16);
  EXPECT_TRUE(in.hasIndex);
  EXPECT_GT(in.shardFiles.size(), 1u);

  ASSERT_EQ(in.layerTypes.size(), 5u);  // M, *, E, MTP, global
  const LayerTypeSummary& mamba = in.layerTypes[0];
  EXPECT_EQ(mamba.symbol, 'M');
  EXPECT_EQ(mamba.layers, 5);
  EXPECT_EQ(mamba.tensors, 5 * 9);
  // Per Mamba layer (H 64, 16 heads x 8, 8 groups x state 16, K 4): norm 64, in_proj 528*64,
  // conv 384*4 + 384, dt_bias/A_log/D 3*16, gated norm 128, out_proj 64*128.
  EXPECT_EQ(mamba.parameters, 5 * (64 + 528 * 64 + 384 * 4 + 384 + 3 * 16 + 128 + 64 * 128));
  EXPECT_EQ(in.layerTypes[1].symbol, '*');
  EXPECT_EQ(in.layerTypes[1].layers, 2);
  // norm 64 + q 512x64 + k,v 64x64 + o 64x512 (32 heads, 4 KV heads, head_dim 16).
  EXPECT_EQ(in.layerTypes[1].parameters, 2 * (64 + 512 * 64 * 2 + 64 * 64 * 2));
  EXPECT_EQ(in.layerTypes[2].symbol, 'E');
  EXPECT_EQ(in.layerTypes[2].layers, 5);
  EXPECT_EQ(in.layerTypes[3].kind, "mtp");
  EXPECT_EQ(in.layerTypes[3].layers, 2);
  const LayerTypeSummary& global = in.layerTypes[4];
  EXPECT_EQ(global.tensors, 3);
  EXPECT_EQ(global.parameters, 2 * 512 * 64 + 64);

  int64_t tensors = 0, parameters = 0;
  for (const auto& row : in.layerTypes) {
    tensors += row.tensors;
    parameters += row.parameters;
  }
  EXPECT_EQ(tensors, in.totalTensors);
  EXPECT_EQ(parameters, in.totalParameters);
  EXPECT_EQ(in.totalTensors, static_cast<int64_t>(in.tensors.size()));
  // bf16 everywhere except the 6 fp32 correction biases of 8 experts (5 layers + 1 MTP).
  EXPECT_EQ(in.totalBytes, static_cast<std::uint64_t>(2 * (in.totalParameters - 6 * 8) + 4 * 6 * 8));

  const Json json = inspectionToJson(in);
  EXPECT_EQ(json["totals"]["tensors"], in.totalTensors);
  EXPECT_EQ(json["problems"].size(), 0u);
  EXPECT_EQ(json["layer_types"][0]["symbol"], "M");
  EXPECT_EQ(json["tensors"][0]["name"], in.tensors[0].name);
  const std::string text = inspectionToText(in);
  EXPECT_NE(text.find("problems: none"), std::string::npos);
  EXPECT_NE(text.find("backbone.layers.1.mixer.gate.e_score_correction_bias"), std::string::npos);
}

// A checkpoint written by hand: the config of a preset plus exactly `specs` (zero bytes).
fs::path writeCheckpoint(const fs::path& dir, const Json& config, const std::vector<io::TensorSpec>& specs,
                         bool withTokenizer) {
  fs::create_directories(dir);
  testing::writeFile(dir / "config.json", config.dump(2));
  io::SafetensorsWriter writer(dir / "model.safetensors", specs, Json{{"format", "pt"}});
  for (const auto& spec : specs) {
    Tensor zeros(spec.dtype, spec.shape);
    writer.write(spec.name, zeros.view());
  }
  writer.finish();
  if (withTokenizer)
    for (const char* file : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
      testing::writeFile(dir / file, "{}");
  return dir;
}

std::vector<io::TensorSpec> inventorySpecs(const Json& config) {
  std::vector<io::TensorSpec> specs;
  const auto parsed = config::parseHfConfig(config, "test");
  for (const auto& p : hfParameters(parsed)) specs.push_back({p.name, p.dtype(modelDType(parsed)), p.shape});
  return specs;
}

io::TensorSpec& specNamed(std::vector<io::TensorSpec>& specs, const std::string& name) {
  for (auto& spec : specs)
    if (spec.name == name) return spec;
  throw std::runtime_error("no spec " + name);
}

std::vector<Problem> problemsOf(const Inspection& in, ProblemKind kind) {
  std::vector<Problem> out;
  for (const auto& p : in.problems)
    if (p.kind == kind) out.push_back(p);
  return out;
}

TEST(Inspection, ExactInventoryWithoutIndexIsClean) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("moe", DType::BF16);
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, inventorySpecs(config), true));
  EXPECT_TRUE(in.problems.empty()) << inspectionToText(in);
  EXPECT_FALSE(in.hasIndex);
}

TEST(Inspection, ReportsMissingTensor) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("dense", DType::BF16);
  auto specs = inventorySpecs(config);
  specs.erase(specs.begin() + 3);
  const std::string dropped = inventorySpecs(config)[3].name;
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, specs, true));
  ASSERT_EQ(in.problems.size(), 1u) << inspectionToText(in);
  EXPECT_EQ(in.problems[0].kind, ProblemKind::MissingTensor);
  EXPECT_EQ(in.problems[0].subject, dropped);
  EXPECT_NE(in.problems[0].message.find("missing"), std::string::npos);
}

TEST(Inspection, ReportsUnexpectedTensor) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("dense", DType::BF16);
  auto specs = inventorySpecs(config);
  specs.push_back({"backbone.layers.0.mixer.in_proj.bias", DType::BF16, {528}});  // use_bias is false
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, specs, true));
  ASSERT_EQ(in.problems.size(), 1u) << inspectionToText(in);
  EXPECT_EQ(in.problems[0].kind, ProblemKind::UnexpectedTensor);
  EXPECT_EQ(in.problems[0].subject, "backbone.layers.0.mixer.in_proj.bias");
  EXPECT_NE(in.problems[0].message.find("model.safetensors"), std::string::npos);
}

TEST(Inspection, ReportsShapeMismatch) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("dense", DType::BF16);
  auto specs = inventorySpecs(config);
  specNamed(specs, "backbone.layers.1.mixer.up_proj.weight").shape = {64, 128};  // transposed
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, specs, true));
  ASSERT_EQ(in.problems.size(), 1u) << inspectionToText(in);
  EXPECT_EQ(in.problems[0].kind, ProblemKind::ShapeMismatch);
  EXPECT_NE(in.problems[0].message.find("[64, 128]"), std::string::npos) << in.problems[0].message;
  EXPECT_NE(in.problems[0].message.find("[128, 64]"), std::string::npos) << in.problems[0].message;
}

TEST(Inspection, ReportsDTypeMismatch) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("dense", DType::BF16);
  auto specs = inventorySpecs(config);
  specNamed(specs, "backbone.norm_f.weight").dtype = DType::F32;
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, specs, true));
  ASSERT_EQ(in.problems.size(), 1u) << inspectionToText(in);
  EXPECT_EQ(in.problems[0].kind, ProblemKind::DTypeMismatch);
  EXPECT_EQ(in.problems[0].subject, "backbone.norm_f.weight");
}

TEST(Inspection, ReportsCorrectionBiasNotFp32) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("moe", DType::BF16);
  auto specs = inventorySpecs(config);
  specNamed(specs, "backbone.layers.1.mixer.gate.e_score_correction_bias").dtype = DType::BF16;
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, specs, true));
  const auto problems = problemsOf(in, ProblemKind::CorrectionBiasNotFp32);
  ASSERT_EQ(problems.size(), 1u) << inspectionToText(in);
  EXPECT_EQ(in.problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("fp32"), std::string::npos);
}

TEST(Inspection, ReportsMissingTokenizerFiles) {
  testing::TempDir tmp;
  const Json config = fixture::presetConfig("dense", DType::BF16);
  const Inspection in = inspectHfCheckpoint(writeCheckpoint(tmp / "c", config, inventorySpecs(config), false));
  const auto problems = problemsOf(in, ProblemKind::MissingTokenizerFile);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].subject, "tokenizer.json");
  EXPECT_EQ(problems[1].subject, "tokenizer_config.json");
  EXPECT_EQ(problems[2].subject, "special_tokens_map.json");
  EXPECT_NE(inspectionToText(in).find("[missing_tokenizer_file]"), std::string::npos);
  EXPECT_EQ(inspectionToJson(in)["problems"][0]["kind"], "missing_tokenizer_file");
}

TEST(Inspection, MissingDirectoryIsBadInputNamingIt) {
  testing::TempDir tmp;
  try {
    inspectHfCheckpoint(tmp / "absent");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("absent"), std::string::npos) << error.what();
  }
}

TEST(Inspection, DirectoryWithoutConfigIsBadInput) {
  testing::TempDir tmp;
  try {
    inspectHfCheckpoint(tmp.path());
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("config.json"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nhb::model
