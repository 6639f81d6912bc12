// Interrupted and failing runs of the writing commands leave nothing a reader would accept: a
// simulated full disk (NHB_TEST_FAIL_AFTER_BYTES) and SIGTERM/SIGINT sent mid-write (slowed down
// by NHB_TEST_WRITE_DELAY_MS) end with a clear message, the documented exit code, no output
// directory and no temporary left over. Inputs are never modified by any command.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/cli_runner.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::testing::TempDir;
using nhb::testing::CliRun;

CliRun runWithEnvironment(const std::string& environment, const std::string& arguments) {
  return nhb::testing::runCli(arguments, environment);
}

// Names in `dir` that belong to the output `name`: the output itself or a temporary sibling.
std::vector<std::string> outputLeftovers(const fs::path& dir, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (file == name || file.rfind("." + name + ".", 0) == 0) found.push_back(file);
  }
  return found;
}

// Relative path -> content of every file under `dir` (and the symlink/permission-free layout).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string relative = fs::relative(entry.path(), dir).string();
    files[relative] = entry.is_regular_file() ? nhb::testing::readFile(entry.path()) : "<dir>";
  }
  return files;
}

class CliHardening : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixtureRoot_ = new TempDir();
    const CliRun run = runWithEnvironment("", "fixture --preset dense --out " + fixtureDir().string());
    ASSERT_EQ(run.code, 0) << run.output();
  }
  static void TearDownTestSuite() {
    delete fixtureRoot_;
    fixtureRoot_ = nullptr;
  }
  static fs::path fixtureDir() { return fixtureRoot_->path() / "hf"; }

  TempDir work_;

 private:
  static TempDir* fixtureRoot_;
};
TempDir* CliHardening::fixtureRoot_ = nullptr;

// ---- simulated full disk ------------------------------------------------------------------

TEST_F(CliHardening, FixtureOnAFullDiskLeavesNoOutput) {
  const CliRun run = runWithEnvironment("NHB_TEST_FAIL_AFTER_BYTES=20000",
                            "fixture --preset dense --out " + (work_ / "out").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("No space left on device (simulated"), std::string::npos) << run.output();
  EXPECT_NE(run.output().find(".safetensors"), std::string::npos) << "names the file: " << run.output();
  EXPECT_TRUE(outputLeftovers(work_.path(), "out").empty());
}

TEST_F(CliHardening, ConvertToMegatronOnAFullDiskLeavesNoOutput) {
  const CliRun run = runWithEnvironment("NHB_TEST_FAIL_AFTER_BYTES=20000",
                            "convert hf-to-megatron --hf " + fixtureDir().string() + " --out " +
                                (work_ / "out").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("No space left on device (simulated"), std::string::npos) << run.output();
  EXPECT_TRUE(outputLeftovers(work_.path(), "out").empty());
}

TEST_F(CliHardening, FullDiskWhileReplacingKeepsTheOldOutput) {
  const fs::path out = work_ / "out";
  ASSERT_EQ(runWithEnvironment("", "fixture --preset dense --seed 1 --out " + out.string()).code, 0);
  const auto before = snapshot(out);
  const CliRun run = runWithEnvironment("NHB_TEST_FAIL_AFTER_BYTES=20000",
                            "fixture --preset dense --seed 2 --overwrite --out " + out.string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_EQ(snapshot(out), before) << "the previous output must survive a failed replacement";
  EXPECT_EQ(outputLeftovers(work_.path(), "out"), std::vector<std::string>{"out"});
}

// ---- signals ------------------------------------------------------------------------------

struct SignalledRun {
  int exitCode = -1;
  std::string stderrText;
  bool sawTemporary = false;
};

// Starts the CLI with writes slowed down, waits until its temporary output exists, sends
// `signalNumber` and collects the exit code and stderr.
SignalledRun interruptMidWrite(const fs::path& workDir, const std::vector<std::string>& arguments,
                               int signalNumber) {
  SignalledRun result;
  const fs::path errPath = workDir / "stderr.txt";
  const pid_t child = fork();
  if (child == 0) {
    setenv("NHB_TEST_WRITE_DELAY_MS", "30", 1);
    if (!freopen(errPath.c_str(), "w", stderr)) _exit(127);
    std::vector<char*> argv{const_cast<char*>(NHB_CLI_PATH)};
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    execv(NHB_CLI_PATH, argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !result.sawTemporary) {
    for (const auto& name : outputLeftovers(workDir, "out"))
      if (name != "out") result.sawTemporary = true;
    if (waitpid(child, nullptr, WNOHANG) != 0) break;  // finished (or failed) before we saw it
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it write a little
  kill(child, signalNumber);
  int status = 0;
  waitpid(child, &status, 0);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.stderrText = nhb::testing::readFile(errPath);
  fs::remove(errPath);
  return result;
}

TEST_F(CliHardening, SigtermDuringFixtureRemovesTheTemporaryAndExits143) {
  const auto run = interruptMidWrite(work_.path(),
                                     {"fixture", "--preset", "dense", "--out", (work_ / "out").string()}, SIGTERM);
  ASSERT_TRUE(run.sawTemporary) << run.stderrText;
  EXPECT_EQ(run.exitCode, 143) << run.stderrText;
  EXPECT_NE(run.stderrText.find("interrupted by SIGTERM"), std::string::npos) << run.stderrText;
  EXPECT_TRUE(outputLeftovers(work_.path(), "out").empty());
}

TEST_F(CliHardening, SigintDuringFixtureRemovesTheTemporaryAndExits130) {
  const auto run = interruptMidWrite(work_.path(),
                                     {"fixture", "--preset", "dense", "--out", (work_ / "out").string()}, SIGINT);
  ASSERT_TRUE(run.sawTemporary) << run.stderrText;
  EXPECT_EQ(run.exitCode, 130) << run.stderrText;
  EXPECT_NE(run.stderrText.find("interrupted by SIGINT"), std::string::npos) << run.stderrText;
  EXPECT_TRUE(outputLeftovers(work_.path(), "out").empty());
}

TEST_F(CliHardening, SigtermDuringConvertToMegatronRemovesTheTemporaryAndExits143) {
  const auto run = interruptMidWrite(
      work_.path(),
      {"convert", "hf-to-megatron", "--hf", fixtureDir().string(), "--out", (work_ / "out").string()}, SIGTERM);
  ASSERT_TRUE(run.sawTemporary) << run.stderrText;
  EXPECT_EQ(run.exitCode, 143) << run.stderrText;
  EXPECT_TRUE(outputLeftovers(work_.path(), "out").empty());
}

// ---- inputs stay untouched ----------------------------------------------------------------

TEST_F(CliHardening, NoCommandModifiesItsInput) {
  const auto before = snapshot(fixtureDir());
  const std::string hf = fixtureDir().string();
  const std::vector<std::string> commands = {
      "inspect " + hf,
      "inspect --json " + hf,
      "config " + hf,
      "config " + hf + " --to args --json",
      "config " + hf + " --roundtrip --with-reference",
      "convert hf-to-megatron --hf " + hf + " --out " + (work_ / "megatron").string(),
      "convert megatron-to-hf --megatron " + (work_ / "megatron").string() + " --out " +
          (work_ / "back").string() + " --reference-hf " + hf,
  };
  for (const auto& command : commands) {
    const CliRun run = runWithEnvironment("", command);
    EXPECT_EQ(run.code, 0) << command << "\n" << run.output();
    EXPECT_EQ(snapshot(fixtureDir()), before) << command << " modified its input";
  }
  const auto megatronBefore = snapshot(work_ / "megatron");
  runWithEnvironment("", "convert megatron-to-hf --megatron " + (work_ / "megatron").string() + " --out " +
                 (work_ / "back2").string() + " --reference-hf " + hf);
  EXPECT_EQ(snapshot(work_ / "megatron"), megatronBefore) << "megatron-to-hf modified its input";
}

}  // namespace
