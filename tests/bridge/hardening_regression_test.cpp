// Replays every input under fuzz/regressions/<target>/ (inputs that once crashed or misbehaved)
// and fuzz/seeds/<target>/ through the fuzz target functions: each must be rejected with an
// nhb::Error or accepted, never crash, throw anything else or fail a target's own checks. Under
// SANITIZE=1 the same replay catches memory errors and undefined behaviour.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;

std::vector<std::string>& findings() {
  static std::vector<std::string> list;
  return list;
}

void recordFinding(const std::string& what) { findings().push_back(what); }

// Runs `target` on every file in fuzz/<folder>/<target>; returns how many files it replayed.
int replayFolder(const nhb::fuzz::FuzzTarget& target, const std::string& folder) {
  const fs::path dir = nhb::testing::sourceDir() / "fuzz" / folder / target.name;
  if (!fs::is_directory(dir)) return 0;
  int replayed = 0;
  for (const auto& file : fs::directory_iterator(dir)) {
    if (!file.is_regular_file()) continue;
    const std::string bytes = nhb::testing::readFile(file.path());
    findings().clear();
    target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    for (const auto& finding : findings()) ADD_FAILURE() << file.path() << ": " << finding;
    ++replayed;
  }
  return replayed;
}

class HardeningRegression : public ::testing::TestWithParam<nhb::fuzz::FuzzTarget> {
 protected:
  void SetUp() override { nhb::fuzz::findingHandler() = recordFinding; }
  void TearDown() override { nhb::fuzz::findingHandler() = nullptr; }
};

TEST_P(HardeningRegression, ReplaysRegressionsAndSeedsWithoutFindings) {
  const int regressions = replayFolder(GetParam(), "regressions");
  const int seeds = replayFolder(GetParam(), "seeds");
  RecordProperty("replayed", regressions + seeds);
}

INSTANTIATE_TEST_SUITE_P(AllTargets, HardeningRegression,
                         ::testing::ValuesIn(nhb::fuzz::fuzzTargets()),
                         [](const auto& info) { return info.param.name; });

TEST(HardeningRegressionSetup, EveryTargetListedByFuzzShIsReplayed) {
  const std::string script = nhb::testing::readFile(nhb::testing::sourceDir() / "scripts" / "fuzz.sh");
  const auto begin = script.find("targets=(");
  const auto end = script.find(')', begin);
  ASSERT_NE(begin, std::string::npos);
  const std::string listed = " " + script.substr(begin + 9, end - begin - 9) + " ";
  for (const auto& target : nhb::fuzz::fuzzTargets()) {
    const auto at = listed.find(target.name);
    ASSERT_NE(at, std::string::npos) << target.name << " missing from scripts/fuzz.sh";
    EXPECT_TRUE(std::isspace(static_cast<unsigned char>(listed[at - 1])) &&
                std::isspace(static_cast<unsigned char>(listed[at + target.name.size()])))
        << target.name;
  }
  EXPECT_EQ(nhb::fuzz::fuzzTargets().size(), 7u);
}

TEST(HardeningRegressionSetup, TargetsReportNonNhbExceptionsAsFindings) {
  nhb::fuzz::findingHandler() = recordFinding;
  findings().clear();
  nhb::fuzz::expectCleanRejection([] { throw std::out_of_range("vector::at"); });
  nhb::fuzz::expectCleanRejection([] { nhb::fail(nhb::ErrorKind::Internal, "bug"); });
  nhb::fuzz::expectCleanRejection([] { nhb::badInput("fine: a clean rejection"); });
  nhb::fuzz::findingHandler() = nullptr;
  ASSERT_EQ(findings().size(), 2u);
  EXPECT_NE(findings()[0].find("vector::at"), std::string::npos);
  EXPECT_NE(findings()[1].find("internal error: bug"), std::string::npos);
}

}  // namespace
