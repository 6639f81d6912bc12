// Drives `nhbridge config` on the published config.json files: provider config as text and JSON,
// Megatron args, HF export, round-trip diff, and bad input exiting with code 2.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.h"
#include "support/test_support.h"

namespace nhb {
namespace {

namespace fs = std::filesystem;
using RunResult = testing::CliRun;
using testing::runCli;
const auto quoted = testing::shellQuote;

std::string fixture(const std::string& name) {
  return quoted((testing::sourceDir() / "fixtures" / "configs" / (name + ".json")).string());
}

TEST(CliConfig, PrintsProviderConfigAsText) {
  RunResult r = runCli("config " + fixture("nemotron-h-8b-base-8k"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("kv_channels"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("num_query_groups"), std::string::npos);
}

TEST(CliConfig, AcceptsACheckpointDirectoryAndPrintsJson) {
  testing::TempDir tmp;
  fs::create_directories(tmp / "ckpt");
  fs::copy_file(testing::sourceDir() / "fixtures" / "configs" / "nvidia-nemotron-3-super-120b-a12b-bf16.json",
                tmp / "ckpt" / "config.json");
  RunResult r = runCli("config --json --pp 2 " + quoted((tmp / "ckpt").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["moe_latent_size"], 1024);
  EXPECT_EQ(j["num_layers"], 88);
  const std::string pattern = j["hybrid_layer_pattern"];
  EXPECT_NE(pattern.find('|'), std::string::npos);
  EXPECT_EQ(pattern.substr(pattern.size() - 3), "/*E");
}

TEST(CliConfig, MegatronArgsAndHfExport) {
  RunResult args = runCli("config --to args --json " + fixture("nvidia-nemotron-3-nano-30b-a3b-bf16"));
  ASSERT_EQ(args.code, 0) << args.err;
  EXPECT_EQ(nlohmann::json::parse(args.out)["num_experts"], 128);

  RunResult hf = runCli("config --to hf --with-reference " + fixture("nvidia-nemotron-3-nano-30b-a3b-bf16"));
  ASSERT_EQ(hf.code, 0) << hf.err;
  auto original = nlohmann::json::parse(testing::readFile(testing::sourceDir() / "fixtures" / "configs" /
                                                          "nvidia-nemotron-3-nano-30b-a3b-bf16.json"));
  EXPECT_EQ(nlohmann::json::parse(hf.out), original);
}

TEST(CliConfig, RoundTripDiffClassifiesDifferences) {
  RunResult r = runCli("config --roundtrip " + fixture("nemotron-h-8b-base-8k"));
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("not mapped on purpose: conv_kernel"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("undocumented 0"), std::string::npos) << r.out;

  RunResult j = runCli("config --roundtrip --with-reference --json " + fixture("nemotron-h-8b-base-8k"));
  ASSERT_EQ(j.code, 0) << j.err;
  for (const auto& d : nlohmann::json::parse(j.out)) {
    EXPECT_TRUE(d["kind"] == "renamed" || d["kind"] == "from-reference") << d.dump();
  }
}

TEST(CliConfig, BadInputExitsWithTwo) {
  testing::TempDir tmp;
  testing::writeFile(tmp / "config.json", "{\"hybrid_override_pattern\": \"M?M\"}");
  RunResult r = runCli("config " + quoted((tmp / "config.json").string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'?' at position 1"), std::string::npos) << r.err;

  RunResult missing = runCli("config " + quoted((tmp / "nope").string()));
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;

  RunResult usage = runCli("config --to nowhere " + quoted((tmp / "config.json").string()));
  EXPECT_EQ(usage.code, 2);
}

TEST(CliConfig, HelpDescribesTheOptions) {
  RunResult r = runCli("config --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--roundtrip"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

}  // namespace
}  // namespace nhb
