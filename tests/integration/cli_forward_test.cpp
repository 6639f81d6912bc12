// `nhbridge forward` end to end: an fp32 fixture converted to a TP/PP/EP Megatron checkpoint gives
// the same logits file content in both layouts (within fp32 tolerance); MTP logits and captured
// layers are written under their names; usage and input errors exit 2 with a message.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/fixture/fixture_generator.h"
#include "bridge/io/safetensors_file.h"
#include "support/cli_runner.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::testing::CliRun;
using nhb::testing::runCli;
using nhb::testing::TempDir;

std::vector<float> floats(const nhb::io::SafetensorsFile& file, const std::string& name) {
  const nhb::TensorView view = file.view(name);
  EXPECT_EQ(view.dtype, nhb::DType::F32) << name;
  std::vector<float> values(view.nbytes / sizeof(float));
  std::memcpy(values.data(), view.data, view.nbytes);
  return values;
}

// One fp32 latent-MoE-MTP fixture and its tp 2 / pp 2 / ep 2 conversion, shared by the tests.
class CliForward : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    nhb::fixture::FixtureOptions fixture;
    fixture.preset = "latent-moe-mtp";
    fixture.dtype = nhb::DType::F32;
    fixture.outDir = *dir_ / "hf";
    nhb::fixture::generate(fixture);
    nhb::convert::HfToMegatronOptions convert;
    convert.hfDir = fixture.outDir;
    convert.outDir = *dir_ / "mcore";
    convert.layout.tp = 2;
    convert.layout.pp = 2;
    convert.layout.ep = 2;
    convert.threads = 1;
    nhb::convert::convertHfToMegatron(convert);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path path(const std::string& name) { return *dir_ / name; }
  static TempDir* dir_;
};
TempDir* CliForward::dir_ = nullptr;

TEST_F(CliForward, HfAndMegatronLayoutsWriteTheSameLogits) {
  const fs::path tokens = path("tokens.txt");
  nhb::testing::writeFile(tokens, "5 17 300, 2 41 77\n\n11,12,13,499\n");
  const std::string common = " --tokens-file " + tokens.string() + " --capture-layers";
  CliRun hf = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --out " + path("hf.safetensors").string() + common);
  ASSERT_EQ(hf.code, 0) << hf.output();
  CliRun mcore = runCli("forward --checkpoint " + path("mcore").string() + " --layout megatron --dtype float32 --device cpu --out " +
                     path("mcore.safetensors").string() + common);
  ASSERT_EQ(mcore.code, 0) << mcore.output();

  const auto a = nhb::io::SafetensorsFile::open(path("hf.safetensors"));
  const auto b = nhb::io::SafetensorsFile::open(path("mcore.safetensors"));
  ASSERT_EQ(a.entries().size(), b.entries().size());
  EXPECT_EQ(a.entry("logits").shape, (nhb::Shape{2, 6, 512}));  // 2 sequences, left-padded to 6
  EXPECT_TRUE(a.contains("mtp_logits.0"));
  EXPECT_TRUE(a.contains("layers.11"));
  EXPECT_TRUE(a.contains("attention_mask"));
  // Real positions only (the second row's first 2 positions are padding).
  for (const std::string name : {"logits", "mtp_logits.0"}) {
    const std::vector<float> x = floats(a, name), y = floats(b, name);
    ASSERT_EQ(x.size(), y.size()) << name;
    double diff = 0, scale = 0;
    const std::size_t row = 6 * 512;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const bool padded = i >= row && i < row + 2 * 512;
      if (padded) continue;
      diff = std::max(diff, std::fabs(double(x[i]) - y[i]));
      scale = std::max(scale, std::fabs(double(x[i])));
    }
    std::printf("  %s: max abs diff %.3g (max |hf| %.3g)\n", name.c_str(), diff, scale);
    EXPECT_LE(diff, 1e-5 * scale) << name;
  }
}

TEST_F(CliForward, InlineTokensSeparateSequencesWithSemicolons) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --tokens '1,2,3;4 5 6' --out " +
                   path("inline.safetensors").string());
  ASSERT_EQ(run.code, 0) << run.output();
  const auto file = nhb::io::SafetensorsFile::open(path("inline.safetensors"));
  EXPECT_EQ(file.entry("logits").shape, (nhb::Shape{2, 3, 512}));
  EXPECT_FALSE(file.contains("attention_mask"));
  EXPECT_FALSE(file.contains("layers.0"));
  // The output is never overwritten without --overwrite.
  CliRun again = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --tokens 1 --out " +
                     path("inline.safetensors").string());
  EXPECT_NE(again.code, 0) << again.output();
}

TEST_F(CliForward, UnknownLayoutIsUsageError) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout gpt --tokens 1 --out " + path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("--layout"), std::string::npos) << run.output();
}

TEST_F(CliForward, MissingTokensIsUsageError) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --out " + path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("--tokens"), std::string::npos) << run.output();
}

TEST_F(CliForward, MalformedTokenIsBadInput) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --tokens 1,x2,3 --out " + path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("'x2' is not a token id"), std::string::npos) << run.output();
}

TEST_F(CliForward, OutOfVocabTokenIsBadInput) {
  CliRun run = runCli("forward --checkpoint " + path("mcore").string() + " --layout megatron --tokens 1,512 --out " +
                   path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("512"), std::string::npos) << run.output();
}

TEST_F(CliForward, UnknownDtypeIsBadInput) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --dtype fp8 --tokens 1 --out " +
                   path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("--dtype fp8"), std::string::npos) << run.output();
}

TEST_F(CliForward, CudaWithoutCudaIsBadInput) {
  if (at::hasCUDA()) GTEST_SKIP() << "this libtorch has CUDA";
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout hf --device cuda --tokens 1 --out " +
                   path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("without CUDA"), std::string::npos) << run.output();
}

TEST_F(CliForward, HfDirectoryAsMegatronIsBadInputNamingThePath) {
  CliRun run = runCli("forward --checkpoint " + path("hf").string() + " --layout megatron --tokens 1 --out " +
                   path("x.safetensors").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find(path("hf").string()), std::string::npos) << run.output();
}

}  // namespace
