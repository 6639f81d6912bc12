// Python's json writes non-finite floats bare (Nemotron-H's time_step_limit can be
// [0.0, Infinity]). A config.json holding one is accepted by `fixture --preset from-config`, and
// survives HF -> Megatron -> HF: the exported config.json holds the same bare Infinity, never
// nhbridge's internal marker string.
#include <gtest/gtest.h>

#include <string>

#include "support/cli_runner.h"
#include "support/test_support.h"

namespace {
using nhb::testing::readFile;
using nhb::testing::runCli;
using nhb::testing::shellQuote;
using nhb::testing::sourceDir;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

TEST(CliNonFiniteConfig, InfinityInTimeStepLimitSurvivesTheRoundTrip) {
  TempDir dir;
  std::string config = readFile(sourceDir() / "fixtures" / "configs" / "nemotron-h-47b-base-8k.json");
  const std::size_t end = config.rfind('}');
  ASSERT_NE(end, std::string::npos);
  config = config.substr(0, end) + ",\n  \"time_step_limit\": [0.0, Infinity]\n}\n";
  writeFile(dir / "config.json", config);

  const auto fixture = runCli("fixture --preset from-config --config " + shellQuote((dir / "config.json").string()) +
                              " --out " + shellQuote((dir / "hf").string()));
  ASSERT_EQ(fixture.code, 0) << fixture.output();
  EXPECT_NE(readFile(dir / "hf" / "config.json").find("Infinity"), std::string::npos);

  const auto toMegatron = runCli("convert hf-to-megatron --hf " + shellQuote((dir / "hf").string()) + " --out " +
                                 shellQuote((dir / "mcore").string()) + " --tp 2");
  ASSERT_EQ(toMegatron.code, 0) << toMegatron.output();
  const auto toHf = runCli("convert megatron-to-hf --megatron " + shellQuote((dir / "mcore").string()) + " --out " +
                           shellQuote((dir / "exported").string()));
  ASSERT_EQ(toHf.code, 0) << toHf.output();

  for (const char* file : {"mcore/nhbridge_conversion.json", "exported/config.json"}) {
    const std::string text = readFile(dir / file);
    EXPECT_NE(text.find("Infinity"), std::string::npos) << file;
    EXPECT_EQ(text.find("__nhb_"), std::string::npos) << file << " holds a marker string";
  }
}

}  // namespace
