// `nhbridge verify` end to end through the real CLI: the round trip passes on every fixture preset
// at single- and multi-rank layouts; pair modes pass on clean conversions; each planted fault in a
// converted Megatron checkpoint or an exported HF checkpoint makes it exit 1 with the check that
// names the fault failing in report.json (and, for weight faults, the forward check too); bad
// usage exits 2.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cli_runner.h"
#include "support/fault_planting.h"
#include "support/round_trip_suite.h"
#include "support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nhb::Tensor;
using nhb::testing::CliRun;
using nhb::testing::exchangeTensors;
using nhb::testing::keepFirstRows;
using nhb::testing::readJsonFile;
using nhb::testing::replaceJsonField;
using nhb::testing::rewriteTensor;
using nhb::testing::roundThroughBf16;
using nhb::testing::runCli;
using nhb::testing::swapRows;
using nhb::testing::swapRowsInRank;
using nhb::testing::writeFile;
using Json = nlohmann::ordered_json;
using Converted = nhb::testing::RoundTrip;

// ---- fixtures shared by the suite -------------------------------------------------------------

class CliVerify : public nhb::testing::RoundTripSuite {
 protected:
  static fs::path fixture(const std::string& preset) { return fixtureOnce(preset); }

  // `preset` converted at tp 2 (ep 2 with experts) and exported back, once per suite.
  static const Converted& converted(const std::string& preset) {
    nhb::convert::Layout layout;
    layout.tp = 2;
    layout.ep = preset == "dense" ? 1 : 2;
    return roundTripOnce(preset, layout, /*threads=*/1);
  }

  CliRun verify(const std::string& arguments) { return runCli("verify --quiet " + arguments); }
  fs::path reportDir() const { return local_ / "report"; }
  Json report() const { return readJsonFile(reportDir() / "report.json"); }

  static const Json* findCheck(const Json& report, const std::string& id) {
    for (const Json& check : report["checks"])
      if (check["id"] == id) return &check;
    return nullptr;
  }
  static std::set<std::string> failedIds(const Json& report) {
    std::set<std::string> ids;
    for (const Json& check : report["checks"])
      if (check["verdict"] == "fail") ids.insert(check["id"].get<std::string>());
    return ids;
  }

  // The run exited 1 and check `id` failed with a message containing `messagePart`.
  void expectCheckFails(const CliRun& run, const std::string& id, const std::string& messagePart = "") {
    EXPECT_EQ(run.code, 1) << run.output();
    EXPECT_NE(run.out.find("FAIL"), std::string::npos) << run.out;
    const Json json = report();
    const Json* check = findCheck(json, id);
    ASSERT_NE(check, nullptr) << "no check " << id << "; failed: " << ::testing::PrintToString(failedIds(json));
    EXPECT_EQ((*check)["verdict"], "fail") << id << ": " << (*check)["message"];
    EXPECT_NE((*check)["message"].get<std::string>().find(messagePart), std::string::npos)
        << id << ": " << (*check)["message"];
  }

  std::string pairMegatron(const fs::path& hf, const fs::path& megatron) const {
    return "--hf " + hf.string() + " --megatron " + megatron.string() + " --report-dir " + reportDir().string();
  }
  std::string pairHf(const fs::path& hf, const fs::path& exported) const {
    return "--hf " + hf.string() + " --hf-exported " + exported.string() + " --report-dir " + reportDir().string();
  }

  void expectRoundTripPasses(const std::string& preset, const std::vector<std::string>& layouts);
};

// ---- clean runs ---------------------------------------------------------------------------------

// Round trips `preset` at each layout and expects every check to pass.
void CliVerify::expectRoundTripPasses(const std::string& preset, const std::vector<std::string>& layouts) {
  for (const std::string& layout : layouts) {
    SCOPED_TRACE(preset + " " + layout);
    const CliRun run = verify("--hf " + fixture(preset).string() + " " + layout + " --report-dir " + reportDir().string());
    ASSERT_EQ(run.code, 0) << run.output();
    // One summary line on stdout: verdict, counts, report path.
    EXPECT_EQ(run.out.rfind("nhbridge verify: PASS - ", 0), 0u) << run.out;
    EXPECT_NE(run.out.find("report: " + (reportDir() / "report.json").string()), std::string::npos) << run.out;
    EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
    for (const char* file : {"report.json", "report.md", "junit.xml", "report.html"})
      EXPECT_TRUE(fs::exists(reportDir() / file)) << file;
    const Json json = report();
    EXPECT_EQ(json["mode"], "roundtrip");
    EXPECT_TRUE(failedIds(json).empty()) << ::testing::PrintToString(failedIds(json));
    for (const char* id : {"weights.bitwise", "config.roundtrip", "tokenizer.files", "forward.logits.hf_vs_megatron",
                           "forward.logits.hf_vs_exported", "forward.layers.hf_vs_megatron"}) {
      const Json* check = findCheck(json, id);
      ASSERT_NE(check, nullptr) << id;
      EXPECT_EQ((*check)["verdict"], "pass") << id << ": " << (*check)["message"];
    }
    // The exported checkpoint is bit-identical, so its forward is too.
    EXPECT_EQ((*findCheck(json, "forward.logits.hf_vs_exported"))["metrics"]["max_abs_diff"], 0.0);
    // MTP logits are compared when the model has MTP layers.
    EXPECT_EQ(findCheck(json, "forward.mtp0_logits.hf_vs_megatron") != nullptr, preset == "latent-moe-mtp");
    // Default tokens: lengths 15, 17 and 33 around chunk_size 16, left-padded into one batch.
    EXPECT_EQ((*findCheck(json, "forward.logits.hf_vs_megatron"))["metrics"]["positions"], 15 + 17 + 33);
    fs::remove_all(reportDir());
  }
}

TEST_F(CliVerify, RoundTripPassesOnDense) { expectRoundTripPasses("dense", {"--tp 1", "--tp 2 --pp 2"}); }
TEST_F(CliVerify, RoundTripPassesOnMoe) { expectRoundTripPasses("moe", {"--tp 1", "--tp 2 --pp 2 --ep 2"}); }
TEST_F(CliVerify, RoundTripPassesOnMoeGroupedWithPaddedVocabAndExpertTp) {
  expectRoundTripPasses("moe-grouped", {"--tp 1", "--tp 2 --pp 2 --ep 2",
                                        "--tp 2 --etp 2 --pad-vocab --make-vocab-size-divisible-by 96"});
}
TEST_F(CliVerify, RoundTripPassesOnLatentMoeMtp) {
  expectRoundTripPasses("latent-moe-mtp", {"--tp 1", "--tp 2 --pp 2 --ep 2", "--tp 2 --naming local"});
}

TEST_F(CliVerify, PairModesPassOnCleanConversions) {
  const Converted& c = converted("moe");
  CliRun run = verify(pairMegatron(c.hf, c.megatron));
  ASSERT_EQ(run.code, 0) << run.output();
  EXPECT_EQ(report()["mode"], "pair-megatron");
  EXPECT_NE(findCheck(report(), "forward.logits.hf_vs_megatron"), nullptr);
  EXPECT_EQ(findCheck(report(), "forward.logits.hf_vs_exported"), nullptr);
  run = verify(pairHf(c.hf, c.exported));
  ASSERT_EQ(run.code, 0) << run.output();
  EXPECT_EQ(report()["mode"], "pair-hf");
  EXPECT_NE(findCheck(report(), "forward.logits.hf_vs_exported"), nullptr);
}

TEST_F(CliVerify, GivenTokensAreTheOnesCompared) {
  const Converted& c = converted("dense");
  const CliRun run = verify(pairHf(c.hf, c.exported) + " --tokens '1 2 3;4 5'");
  ASSERT_EQ(run.code, 0) << run.output();
  EXPECT_EQ((*findCheck(report(), "forward.logits.hf_vs_exported"))["metrics"]["positions"], 5);
}

TEST_F(CliVerify, BaselineWithoutRegressionsPassesAndKeepKeepsCheckpoints) {
  const fs::path hf = fixture("dense");
  ASSERT_EQ(verify("--hf " + hf.string() + " --tp 2 --keep --report-dir " + (local_ / "first").string()).code, 0);
  EXPECT_TRUE(fs::exists(local_ / "first" / "checkpoints" / "megatron" / "latest_checkpointed_iteration.txt"));
  EXPECT_TRUE(fs::exists(local_ / "first" / "checkpoints" / "hf-exported" / "config.json"));
  const CliRun run = verify("--hf " + hf.string() + " --tp 2 --report-dir " + reportDir().string() + " --baseline " +
                         (local_ / "first" / "report.json").string());
  ASSERT_EQ(run.code, 0) << run.output();
  const Json json = report();
  const Json* noRegressions = findCheck(json, "baseline.no_regressions");
  ASSERT_NE(noRegressions, nullptr);
  EXPECT_EQ((*noRegressions)["verdict"], "pass");
  EXPECT_FALSE(fs::exists(reportDir() / "checkpoints"));  // no --keep: nothing left behind
}

TEST_F(CliVerify, BaselineFlagsARegression) {
  const Converted& c = converted("dense");
  const fs::path baselineDir = local_ / "baseline";
  ASSERT_EQ(verify("--hf " + c.hf.string() + " --hf-exported " + c.exported.string() + " --report-dir " +
                   baselineDir.string()).code, 0);
  const fs::path exported = copyOf(c.exported, "exported");
  fs::remove(exported / "special_tokens_map.json");
  const CliRun run = verify(pairHf(c.hf, exported) + " --baseline " + (baselineDir / "report.json").string());
  // tokenizer.files passed in the baseline and fails now: a regression of that check.
  expectCheckFails(run, "baseline.tokenizer.files");
  EXPECT_EQ(report()["baseline"], (baselineDir / "report.json").string());
}

// ---- planted faults, one per test -----------------------------------------------------------------

TEST_F(CliVerify, SwappedQueryHeadsInMegatronFailWeightsAndForward) {
  const Converted& c = converted("dense");
  const fs::path megatron = copyOf(c.megatron, "megatron");
  // TP rank 0 of layer 3's fused linear_qkv: the first two query heads (head_dim 16) exchanged.
  ASSERT_TRUE(swapRowsInRank(megatron, {0, 0, 0}, {"layers.3.", "linear_qkv.weight"}, 0, 16, 16));
  const CliRun run = verify(pairMegatron(c.hf, megatron));
  expectCheckFails(run, "weights.bitwise", "backbone.layers.3.mixer.q_proj.weight");
  expectCheckFails(run, "forward.logits.hf_vs_megatron");
  // The per-layer comparison points at the attention layer itself.
  const Json json = report();
  const Json* layers = findCheck(json, "forward.layers.hf_vs_megatron");
  ASSERT_NE(layers, nullptr);
  EXPECT_EQ((*layers)["details"]["first_diverging_layer"], "layers.3") << (*layers)["message"];
}

TEST_F(CliVerify, SwappedZAndXInOneInProjFailWeightsAndForward) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.0.mixer.in_proj.weight";
  // in_proj rows z | x | B | C | dt; z and x are mamba_num_heads * mamba_head_dim = 128 rows each.
  rewriteTensor(exported, name, [](Tensor& t) { swapRows(t, 0, 128, 128); });
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "weights.tensor." + name, "elements differ");
  expectCheckFails(run, "forward.logits.hf_vs_exported");
  EXPECT_EQ((*findCheck(report(), "forward.layers.hf_vs_exported"))["details"]["first_diverging_layer"], "layers.0");
}

TEST_F(CliVerify, SwappedBAndCInOneConv1dFails) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.2.mixer.conv1d.weight";
  // conv channels x | B | C: 128 each (n_groups 8 * ssm_state_size 16).
  rewriteTensor(exported, name, [](Tensor& t) { swapRows(t, 128, 256, 128); });
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "weights.tensor." + name, "elements differ");
  expectCheckFails(run, "forward.logits.hf_vs_exported");
}

TEST_F(CliVerify, TwoExpertsExchangedFails) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string first = "backbone.layers.1.mixer.experts.0.up_proj.weight";
  const std::string second = "backbone.layers.1.mixer.experts.1.up_proj.weight";
  exchangeTensors(exported, first, second);
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "weights.tensor." + first, "elements differ");
  expectCheckFails(run, "weights.tensor." + second, "elements differ");
}

TEST_F(CliVerify, RouterBiasRoundedThroughBf16Fails) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.1.mixer.gate.e_score_correction_bias";
  rewriteTensor(exported, name, roundThroughBf16);
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "weights.tensor." + name, "max ULP");
}

TEST_F(CliVerify, TruncatedVocabularyFails) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  for (const std::string name : {"backbone.embeddings.weight", "lm_head.weight"})
    rewriteTensor(exported, name, [](Tensor& t) { keepFirstRows(t, 500); });
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "tokenizer.vocab_fits_embedding", "512 tokens but backbone.embeddings.weight");
  expectCheckFails(run, "weights.shapes", "2 tensors changed shape");
}

TEST_F(CliVerify, ChangedNGroupsFails) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_EQ(replaceJsonField(exported / "config.json", "n_groups", 4), 8);
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "config.exported", "n_groups 8 -> 4");
}

TEST_F(CliVerify, ChangedRoutedScalingFactorFails) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_FALSE(replaceJsonField(exported / "config.json", "routed_scaling_factor", 7.5).is_null());
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "config.exported", "routed_scaling_factor");
  expectCheckFails(run, "forward.logits.hf_vs_exported");  // the exported model routes differently
}

TEST_F(CliVerify, ChangedSpecialTokenIdFails) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_EQ(replaceJsonField(exported / "generation_config.json", "eos_token_id", 11), 2);
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "tokenizer.special_ids", "generation_config.json eos_token_id changed 2 -> 11");
}

TEST_F(CliVerify, MissingTokenizerFileFails) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  fs::remove(exported / "tokenizer.json");
  const CliRun run = verify(pairHf(c.hf, exported));
  expectCheckFails(run, "tokenizer.files", "tokenizer.json missing");
}

// ---- bad usage and bad input: exit 2 --------------------------------------------------------------

TEST_F(CliVerify, MissingReportDirIsUsageError) {
  const CliRun run = verify("--hf " + fixture("dense").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("--report-dir"), std::string::npos) << run.output();
}

TEST_F(CliVerify, BothPairSidesAreUsageError) {
  const Converted& c = converted("dense");
  const CliRun run = verify(pairHf(c.hf, c.exported) + " --megatron " + c.megatron.string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("excludes"), std::string::npos) << run.output();
}

TEST_F(CliVerify, MissingHfDirectoryIsBadInput) {
  const CliRun run = verify("--hf " + (local_ / "nowhere").string() + " --report-dir " + reportDir().string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("nowhere"), std::string::npos) << run.output();
}

TEST_F(CliVerify, TokenOutsideVocabularyIsBadInput) {
  const Converted& c = converted("dense");
  const CliRun run = verify(pairHf(c.hf, c.exported) + " --tokens '1 2 512'");
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("token id 512 is outside the vocabulary [0, 512)"), std::string::npos) << run.output();
  EXPECT_FALSE(fs::exists(reportDir() / "report.json"));
}

TEST_F(CliVerify, LayoutTheModelCannotTakeIsBadInput) {
  const CliRun run = verify("--hf " + fixture("dense").string() + " --ep 2 --report-dir " + reportDir().string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("ep 2"), std::string::npos) << run.output();
}

TEST_F(CliVerify, BadThresholdsFileIsBadInput) {
  const Converted& c = converted("dense");
  writeFile(local_ / "thresholds.json", R"({"forward": {"bf16": {"rtoll": 1}}})");
  const CliRun run = verify(pairHf(c.hf, c.exported) + " --thresholds " + (local_ / "thresholds.json").string());
  EXPECT_EQ(run.code, 2) << run.output();
  EXPECT_NE(run.output().find("thresholds.json"), std::string::npos) << run.output();
}

}  // namespace
