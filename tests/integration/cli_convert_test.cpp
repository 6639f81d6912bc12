// `nhbridge convert` end to end: fixture -> hf-to-megatron -> megatron-to-hf gives back the
// tensors byte for byte; usage and input errors exit 2 with a message naming the problem.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "bridge/io/safetensors_checkpoint.h"
#include "support/cli_runner.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::testing::CliRun;
using nhb::testing::runCli;
using nhb::testing::TempDir;

void expectSameTensors(const fs::path& a, const fs::path& b) {
  auto left = nhb::io::SafetensorsCheckpoint::open(a);
  auto right = nhb::io::SafetensorsCheckpoint::open(b);
  ASSERT_EQ(left.names(), right.names());
  for (const std::string& name : left.names()) {
    auto x = left.view(name), y = right.view(name);
    ASSERT_EQ(x.dtype, y.dtype) << name;
    ASSERT_EQ(x.shape, y.shape) << name;
    ASSERT_EQ(std::memcmp(x.data, y.data, x.nbytes), 0) << name;
    EXPECT_EQ(left.fileOf(name), right.fileOf(name)) << name;
  }
}

TEST(CliConvert, RoundTripThroughMegatronIsByteIdentical) {
  TempDir dir;
  const std::string hf = (dir / "hf").string(), megatron = (dir / "megatron").string(), back = (dir / "back").string();
  CliRun fixture = runCli("fixture --preset latent-moe-mtp --out " + hf);
  ASSERT_EQ(fixture.code, 0) << fixture.output();
  CliRun toMegatron = runCli("convert hf-to-megatron --hf " + hf + " --out " + megatron + " --tp 2 --pp 2 --ep 2");
  ASSERT_EQ(toMegatron.code, 0) << toMegatron.output();
  EXPECT_NE(toMegatron.output().find("8 rank file(s)"), std::string::npos) << toMegatron.output();
  EXPECT_TRUE(fs::exists(dir / "megatron/release/mp_rank_01_001_001/model_optim_rng.pt"));
  CliRun toHf = runCli("convert megatron-to-hf --megatron " + megatron + " --out " + back + " --reference-hf " + hf);
  ASSERT_EQ(toHf.code, 0) << toHf.output();
  expectSameTensors(hf, back);
  EXPECT_EQ(nhb::testing::readFile(dir / "hf/tokenizer.json"), nhb::testing::readFile(dir / "back/tokenizer.json"));
}

TEST(CliConvert, IterationDirectoryAndLocalNaming) {
  TempDir dir;
  const std::string hf = (dir / "hf").string(), megatron = (dir / "megatron").string(), back = (dir / "back").string();
  ASSERT_EQ(runCli("fixture --preset dense --out " + hf).code, 0);
  CliRun toMegatron = runCli("convert hf-to-megatron --hf " + hf + " --out " + megatron +
                          " --tp 4 --naming local --conv1d-naming legacy --iteration 20");
  ASSERT_EQ(toMegatron.code, 0) << toMegatron.output();
  EXPECT_EQ(nhb::testing::readFile(dir / "megatron/latest_checkpointed_iteration.txt").substr(0, 2), "20");
  CliRun toHf = runCli("convert megatron-to-hf --megatron " + megatron + " --out " + back + " --reference-hf " + hf);
  ASSERT_EQ(toHf.code, 0) << toHf.output();
  expectSameTensors(hf, back);
}

TEST(CliConvert, IndivisibleLayoutExitsTwo) {
  TempDir dir;
  const std::string hf = (dir / "hf").string();
  ASSERT_EQ(runCli("fixture --preset dense --out " + hf).code, 0);
  CliRun run = runCli("convert hf-to-megatron --hf " + hf + " --out " + (dir / "m").string() + " --pp 3");
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.output().find("must be divisible by pp"), std::string::npos) << run.output();
  EXPECT_FALSE(fs::exists(dir / "m"));
}

TEST(CliConvert, ExistingOutputWithoutOverwriteExitsTwo) {
  TempDir dir;
  const std::string hf = (dir / "hf").string();
  ASSERT_EQ(runCli("fixture --preset dense --out " + hf).code, 0);
  fs::create_directories(dir / "m");
  CliRun run = runCli("convert hf-to-megatron --hf " + hf + " --out " + (dir / "m").string());
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.output().find("--overwrite"), std::string::npos) << run.output();
}

TEST(CliConvert, UnknownNamingIsUsageError) {
  CliRun run = runCli("convert hf-to-megatron --hf . --out x --naming fancy");
  EXPECT_EQ(run.code, 2);
}

}  // namespace
