// The libtorch-free verify checks on real fixture checkpoints: a clean HF -> Megatron -> HF round
// trip passes every check, and each planted fault (rewritten into the exported HF checkpoint or the
// Megatron rank files) fails the check that names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/verify/static_checks.h"
#include "support/fault_planting.h"
#include "support/round_trip_suite.h"

namespace nhb::verify {
namespace {
namespace fs = std::filesystem;
using nhb::testing::exchangeTensors;
using nhb::testing::keepFirstRows;
using nhb::testing::replaceJsonField;
using nhb::testing::rewriteRank;
using nhb::testing::rewriteTensor;
using nhb::testing::roundThroughBf16;
using nhb::testing::swapRows;
using nhb::testing::swapRowsInRank;
using Converted = nhb::testing::RoundTrip;

// One fixture per preset, converted once and exported back, shared by every
// test of the suite; each test copies the exported directory before planting its fault.
class VerifyFaults : public nhb::testing::RoundTripSuite {
 protected:
  static const Converted& converted(const std::string& preset) {
    // A different layout per preset: TP, TP x EP, TP x PP x EP, and padded vocab rows.
    convert::Layout layout;
    layout.tp = 2;
    layout.ep = preset == "dense" ? 1 : 2;
    if (preset == "latent-moe-mtp") layout.pp = 2;
    if (preset == "moe-grouped") {
      layout.padVocab = true;
      layout.vocabDivisibleBy = 96;  // ceil(512 / 192) * 192 = 576 rows
    }
    return roundTripOnce(preset, layout);
  }

  static std::vector<Check> run(const fs::path& hf, std::optional<fs::path> exported, std::optional<fs::path> megatron) {
    StaticCheckOptions options;
    options.sourceHf = hf;
    options.exportedHf = exported;
    options.megatronDir = megatron;
    std::vector<Check> checks = runStaticChecks(options);
    if (std::getenv("NHB_VERIFY_DUMP") != nullptr)  // debugging aid: print every verdict
      for (const Check& check : checks)
        std::printf("  %-5s %-45s %s\n", verdictName(check.verdict), check.id.c_str(), check.message.c_str());
    return checks;
  }

  static const Check& find(const std::vector<Check>& checks, const std::string& id) {
    for (const Check& check : checks)
      if (check.id == id) return check;
    ADD_FAILURE() << "no check " << id;
    static Check none;
    return none;
  }

  static std::vector<std::string> failedIds(const std::vector<Check>& checks) {
    std::vector<std::string> ids;
    for (const Check& check : checks)
      if (check.verdict == Verdict::Fail) ids.push_back(check.id);
    return ids;
  }

  static void expectFails(const std::vector<Check>& checks, const std::string& id, const std::string& messagePart) {
    const Check& check = find(checks, id);
    EXPECT_EQ(check.verdict, Verdict::Fail) << id << ": " << check.message;
    EXPECT_NE(check.message.find(messagePart), std::string::npos) << id << " message: " << check.message;
  }
};

// ---- the clean round trip -------------------------------------------------------------------

TEST_F(VerifyFaults, CleanRoundTripPassesEveryCheck) {
  for (const std::string preset : {"dense", "moe", "moe-grouped", "latent-moe-mtp"}) {
    SCOPED_TRACE(preset);
    const Converted& c = converted(preset);
    const std::vector<Check> checks = run(c.hf, c.exported, c.megatron);
    EXPECT_TRUE(failedIds(checks).empty()) << ::testing::PrintToString(failedIds(checks));
    for (const char* id : {"weights.inventory", "weights.dtypes", "weights.shapes", "weights.bitwise", "config.roundtrip",
                           "config.exported", "config.megatron", "tokenizer.files", "tokenizer.fast", "tokenizer.parse",
                           "tokenizer.special_ids", "tokenizer.vocab_fits_embedding", "tokenizer.zero_embedding_rows",
                           "tokenizer.megatron_vocab"}) {
      const Check& check = find(checks, id);
      EXPECT_EQ(check.verdict, Verdict::Pass) << id << ": " << check.message;
    }
    const Check& bitwise = find(checks, "weights.bitwise");
    EXPECT_GT(*bitwise.metrics.get("tensors_compared_count"), 10);
    EXPECT_EQ(*bitwise.metrics.get("tensors_compared_count"), *bitwise.metrics.get("tensors_identical_count"));
    // The fixture tokenizer: 512 tokens, 16 special, BPE with a ByteLevel pre-tokenizer.
    const Check& parse = find(checks, "tokenizer.parse");
    EXPECT_EQ(*parse.metrics.get("vocab_size"), 512);
    EXPECT_EQ(*parse.metrics.get("added_tokens_count"), 16);
    EXPECT_EQ(*parse.metrics.get("merges_count"), 512 - 16 - 256);
    EXPECT_EQ(parse.details["pre_tokenizer"], "ByteLevel");
    EXPECT_EQ(parse.details["post_processor"], "TemplateProcessing");
    const Check& megatronVocab = find(checks, "tokenizer.megatron_vocab");
    EXPECT_EQ(*megatronVocab.metrics.get("padded_vocab_size"), preset == "moe-grouped" ? 576 : 512);
  }
}

TEST_F(VerifyFaults, CleanPairModesPass) {
  const Converted& c = converted("moe");
  const std::vector<Check> megatron = run(c.hf, std::nullopt, c.megatron);
  EXPECT_TRUE(failedIds(megatron).empty()) << ::testing::PrintToString(failedIds(megatron));
  EXPECT_EQ(find(megatron, "weights.bitwise").verdict, Verdict::Pass);
  EXPECT_EQ(find(megatron, "tokenizer.files").verdict, Verdict::Pass);  // against hf_files/
  const std::vector<Check> hf = run(c.hf, c.exported, std::nullopt);
  EXPECT_TRUE(failedIds(hf).empty()) << ::testing::PrintToString(failedIds(hf));
  EXPECT_EQ(find(hf, "tokenizer.megatron_vocab").verdict, Verdict::Skip);
}

// ---- planted faults, one per test ------------------------------------------------------------

TEST_F(VerifyFaults, SwappedQueryHeadsInExportedHf) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.3.mixer.q_proj.weight";  // dense: layer 3 is attention
  rewriteTensor(exported, name, [](Tensor& t) { swapRows(t, 0, 16, 16); });  // heads 0 and 1 (head_dim 16)
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "weights.bitwise", name);
  expectFails(checks, "weights.tensor." + name, "elements differ");
  EXPECT_EQ(failedIds(checks), (std::vector<std::string>{"weights.bitwise", "weights.tensor." + name}));
}

TEST_F(VerifyFaults, SwappedQueryHeadsInMegatronPairMode) {
  const Converted& c = converted("dense");
  const fs::path megatron = copyOf(c.megatron, "megatron");
  // TP rank 0 of layer 3's fused linear_qkv: rows of the first two query heads of the first query
  // group exchanged (head_dim 16).
  ASSERT_TRUE(swapRowsInRank(megatron, {0, 0, 0}, {"layers.3.", "linear_qkv.weight"}, 0, 16, 16));
  const auto checks = run(c.hf, std::nullopt, megatron);
  expectFails(checks, "weights.bitwise", "backbone.layers.3.mixer.q_proj.weight");
}

TEST_F(VerifyFaults, MegatronKeyMissingInPairModeFailsStructure) {
  const Converted& c = converted("dense");
  const fs::path megatron = copyOf(c.megatron, "megatron");
  rewriteRank(megatron, {1, 0, 0}, [](io::StateDictEntries& entries) {
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [](const io::StateDictEntry& e) { return e.key.find("layers.0.mixer.in_proj.weight") != std::string::npos; }),
                  entries.end());
  });
  const auto checks = run(c.hf, std::nullopt, megatron);
  expectFails(checks, "weights.structure", "in_proj");
  EXPECT_EQ(find(checks, "weights.bitwise").verdict, Verdict::Skip);
}

TEST_F(VerifyFaults, SwappedZAndXInOneInProj) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.0.mixer.in_proj.weight";
  // in_proj rows z | x | B | C | dt; z and x are mamba_num_heads * mamba_head_dim = 128 rows each.
  rewriteTensor(exported, name, [](Tensor& t) { swapRows(t, 0, 128, 128); });
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "weights.tensor." + name, "elements differ");
  expectFails(checks, "weights.bitwise", name);
}

TEST_F(VerifyFaults, SwappedBAndCInOneConv1d) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.2.mixer.conv1d.weight";
  // conv channels x | B | C: x = 128, B and C = n_groups * state = 8 * 16 = 128 each.
  rewriteTensor(exported, name, [](Tensor& t) { swapRows(t, 128, 256, 128); });
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "weights.tensor." + name, "elements differ");
}

TEST_F(VerifyFaults, TwoExpertsExchanged) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string first = "backbone.layers.1.mixer.experts.0.up_proj.weight";
  const std::string second = "backbone.layers.1.mixer.experts.1.up_proj.weight";
  exchangeTensors(exported, first, second);
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "weights.tensor." + first, "elements differ");
  expectFails(checks, "weights.tensor." + second, "elements differ");
  expectFails(checks, "weights.bitwise", "2 tensors differ");
}

TEST_F(VerifyFaults, RouterBiasRoundedThroughBf16) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  const std::string name = "backbone.layers.1.mixer.gate.e_score_correction_bias";
  rewriteTensor(exported, name, roundThroughBf16);
  const auto checks = run(c.hf, exported, c.megatron);
  const Check& tensor = find(checks, "weights.tensor." + name);
  expectFails(checks, "weights.tensor." + name, "max ULP");
  // Rounding to 8 mantissa bits moves an f32 by at most 2^15 ULP, and values ~N(0, 0.05) differ.
  EXPECT_GT(*tensor.metrics.get("max_ulp"), 0);
  EXPECT_LE(*tensor.metrics.get("max_ulp"), 32768);
  EXPECT_LE(*tensor.metrics.get("max_rel_diff"), std::ldexp(1.0, -8));
  EXPECT_EQ(find(checks, "weights.dtypes").verdict, Verdict::Pass);
}

TEST_F(VerifyFaults, TruncatedVocabulary) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  for (const std::string name : {"backbone.embeddings.weight", "lm_head.weight"})
    rewriteTensor(exported, name, [](Tensor& t) { keepFirstRows(t, 500); });
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "tokenizer.vocab_fits_embedding", "512 tokens but backbone.embeddings.weight");
  expectFails(checks, "weights.shapes", "2 tensors changed shape");
}

TEST_F(VerifyFaults, ChangedConfigField) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_EQ(replaceJsonField(exported / "config.json", "n_groups", 4), 8);
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "config.exported", "n_groups 8 -> 4");
  EXPECT_EQ(failedIds(checks), std::vector<std::string>{"config.exported"});
}

TEST_F(VerifyFaults, ChangedRoutedScalingFactor) {
  const Converted& c = converted("moe");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_FALSE(replaceJsonField(exported / "config.json", "routed_scaling_factor", 7.5).is_null());
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "config.exported", "routed_scaling_factor");
}

TEST_F(VerifyFaults, ChangedSpecialTokenId) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  ASSERT_EQ(replaceJsonField(exported / "generation_config.json", "eos_token_id", 11), 2);
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "tokenizer.special_ids", "generation_config.json eos_token_id changed 2 -> 11");
  expectFails(checks, "tokenizer.files", "generation_config.json differs");
}

TEST_F(VerifyFaults, MissingTokenizerFile) {
  const Converted& c = converted("dense");
  const fs::path exported = copyOf(c.exported, "exported");
  fs::remove(exported / "tokenizer.json");
  const auto checks = run(c.hf, exported, c.megatron);
  expectFails(checks, "tokenizer.files", "tokenizer.json missing");
  expectFails(checks, "tokenizer.fast", "tokenizer.json: missing");
  EXPECT_EQ(find(checks, "tokenizer.parse").verdict, Verdict::Skip);
}

TEST_F(VerifyFaults, ZeroSpecialTokenRowWarns) {
  // Nemotron 3 Base's untrained <|im_end|>: a declared eos whose embedding row is all zero.
  const Converted& c = converted("dense");
  const fs::path source = copyOf(c.hf, "hf");
  const fs::path exported = copyOf(c.exported, "exported");
  for (const fs::path& dir : {source, exported}) {
    rewriteTensor(dir, "backbone.embeddings.weight", [](Tensor& t) {
      const std::size_t rowBytes = t.nbytes() / 512;
      std::memset(t.data() + 2 * rowBytes, 0, rowBytes);  // eos </s> = id 2
    });
  }
  const auto checks = run(source, exported, std::nullopt);
  const Check& zero = find(checks, "tokenizer.zero_embedding_rows");
  EXPECT_EQ(zero.verdict, Verdict::Warn) << zero.message;
  EXPECT_NE(zero.message.find("eos id 2 \"</s>\""), std::string::npos) << zero.message;
  EXPECT_TRUE(failedIds(checks).empty()) << ::testing::PrintToString(failedIds(checks));
}

}  // namespace
}  // namespace nhb::verify
