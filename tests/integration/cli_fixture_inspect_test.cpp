// Drives the nhbridge binary: `fixture` writes checkpoints that `inspect` finds clean, and bad
// input exits with code 2 and a message on stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bridge/config/hf_config.h"
#include "bridge/model/hf_parameters.h"
#include "support/cli_runner.h"
#include "support/test_support.h"

namespace nhb {
namespace {

namespace fs = std::filesystem;
using RunResult = testing::CliRun;
using testing::runCli;
const auto quoted = testing::shellQuote;

TEST(CliFixtureInspect, FixtureThenInspectIsClean) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "moe";
  const RunResult made = runCli("fixture --preset moe --seed 3 --out " + quoted(dir.string()));
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("wrote"), std::string::npos) << made.out;
  EXPECT_TRUE(fs::exists(dir / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(dir / "tokenizer.json"));

  const RunResult text = runCli("inspect " + quoted(dir.string()));
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("problems: none"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("backbone.layers.1.mixer.gate.e_score_correction_bias"), std::string::npos);

  const RunResult json = runCli("inspect --json " + quoted(dir.string()));
  ASSERT_EQ(json.code, 0) << json.err;
  const auto report = nlohmann::json::parse(json.out);
  const auto inventory = model::hfParameters(config::loadHfConfig(dir / "config.json"));
  const auto totals = model::totals(inventory);
  EXPECT_EQ(report["totals"]["tensors"], totals.tensors);
  EXPECT_EQ(report["totals"]["parameters"], totals.elements);
  EXPECT_EQ(report["problems"].size(), 0u);
  EXPECT_EQ(report["tensors"].size(), inventory.size());
}

TEST(CliFixtureInspect, FromConfigF32WithSmallShards) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "super";
  const fs::path config = testing::sourceDir() / "fixtures/configs/nvidia-nemotron-3-super-120b-a12b-bf16.json";
  const RunResult made = runCli("fixture --preset from-config --config " + quoted(config.string()) +
                                    " --dtype f32 --shard-size 1000000 --out " + quoted(dir.string()));
  ASSERT_EQ(made.code, 0) << made.err;
  const RunResult json = runCli("inspect --json " + quoted(dir.string()));
  ASSERT_EQ(json.code, 0) << json.err << json.out;
  const auto report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["dtype"], "f32");
  EXPECT_EQ(report["mtp_pattern"], "*E");
  EXPECT_GT(report["shard_files"].size(), 1u);
}

TEST(CliFixtureInspect, ExistingOutputNeedsOverwrite) {
  testing::TempDir tmp;
  const std::string out = quoted((tmp / "d").string());
  ASSERT_EQ(runCli("fixture --preset dense --out " + out).code, 0);
  const RunResult again = runCli("fixture --preset dense --out " + out);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(runCli("fixture --preset dense --seed 9 --overwrite --out " + out).code, 0);
}

TEST(CliFixtureInspect, BadPresetExitsTwoWithMessage) {
  testing::TempDir tmp;
  const RunResult result = runCli("fixture --preset enormous --out " + quoted((tmp / "x").string()));
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("enormous"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("dense"), std::string::npos) << result.err;  // lists the valid presets
  EXPECT_FALSE(fs::exists(tmp / "x"));
}

TEST(CliFixtureInspect, BadDTypeExitsTwo) {
  testing::TempDir tmp;
  const RunResult result = runCli("fixture --preset dense --dtype f16 --out " + quoted((tmp / "x").string()));
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("f16"), std::string::npos) << result.err;
}

TEST(CliFixtureInspect, MissingOutExitsTwo) {
  const RunResult result = runCli("fixture --preset dense");
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("--out"), std::string::npos) << result.err;
}

TEST(CliFixtureInspect, InspectMissingDirExitsTwoNamingIt) {
  testing::TempDir tmp;
  const RunResult result = runCli("inspect " + quoted((tmp / "no-such-dir").string()));
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("no-such-dir"), std::string::npos) << result.err;
}

TEST(CliFixtureInspect, InspectReportsProblemsWithExitOne) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "d";
  ASSERT_EQ(runCli("fixture --preset dense --out " + quoted(dir.string())).code, 0);
  fs::remove(dir / "tokenizer.json");
  const RunResult result = runCli("inspect " + quoted(dir.string()));
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.out.find("[missing_tokenizer_file]"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("1 problem"), std::string::npos) << result.err;
}

TEST(CliFixtureInspect, HelpExitsZero) {
  const RunResult fixture = runCli("fixture --help");
  EXPECT_EQ(fixture.code, 0);
  EXPECT_NE(fixture.out.find("--preset"), std::string::npos) << fixture.out;
  EXPECT_NE(fixture.out.find("latent-moe-mtp"), std::string::npos) << fixture.out;
  const RunResult inspect = runCli("inspect --help");
  EXPECT_EQ(inspect.code, 0);
  EXPECT_NE(inspect.out.find("--json"), std::string::npos) << inspect.out;
}

}  // namespace
}  // namespace nhb
