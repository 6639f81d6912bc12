// HfModel end to end on tiny random models: shapes, padding, dtype, capture, MTP wiring and
// the errors for bad weights or inputs.
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "harness/model/hf_model.h"
#include "harness/model/norms.h"
#include "support/error_messages.h"
#include "tiny_model.h"

namespace nhb::harness {
namespace {

using nhb::testing::badInputMessage;
using nhb::testing::castWeights;
using nhb::testing::tinyConfig;
using nhb::testing::TinyWeights;

void expectNonDegenerate(const at::Tensor& logits) {
  ASSERT_EQ(logits.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::isfinite(logits).all().item<bool>());
  // Spread over the vocabulary, and different from one position to the next.
  EXPECT_GT(logits.std(-1).min().item<double>(), 0.1);
  const at::Tensor steps = (logits.narrow(1, 1, logits.size(1) - 1) - logits.narrow(1, 0, logits.size(1) - 1)).abs();
  EXPECT_GT(steps.amax(-1).min().item<double>(), 1e-3);
}

// Fraction of positions [B, T] whose logits differ by more than relTol (relative to the largest
// reference logit). A bf16 run may flip a near-tie in the router's discrete top-k at a position,
// which changes that position by O(1) in any implementation; everywhere else it must be close.
double fractionOfPositionsOff(const at::Tensor& actual, const at::Tensor& expected, double relTol) {
  const at::Tensor perPosition = (actual - expected).abs().amax(-1) / expected.abs().max();
  return perPosition.gt(relTol).to(at::kFloat).mean().item<double>();
}

TEST(HfModel, DenseAndMoeForwardGivesNonDegenerateLogits) {
  const config::HfConfig c = tinyConfig("M-M*E");
  TinyWeights gen(1);
  const HfModel model(c, gen.model(c));
  const ForwardOutput out = model.forward(gen.tokens(2, 10, c.vocabSize));
  ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10, c.vocabSize}));
  expectNonDegenerate(out.logits);
  EXPECT_TRUE(out.mtpLogits.empty());
  EXPECT_TRUE(out.layers.empty());
}

TEST(HfModel, LatentMoeWithMtpGivesLogitsPerDepth) {
  const config::HfConfig c = tinyConfig("ME*E", "*E", /*latentMoe=*/true);
  TinyWeights gen(2);
  const HfModel model(c, gen.model(c));
  const at::Tensor tokens = gen.tokens(1, 9, c.vocabSize);
  const ForwardOutput out = model.forward(tokens);
  expectNonDegenerate(out.logits);
  ASSERT_EQ(out.mtpLogits.size(), 1u);
  expectNonDegenerate(out.mtpLogits[0]);

  // Two depths with one stored: the stored depth is reused; depth 0 is unchanged.
  ForwardOptions two;
  two.mtpDepths = 2;
  const ForwardOutput repeated = model.forward(tokens, at::Tensor(), two);
  ASSERT_EQ(repeated.mtpLogits.size(), 2u);
  EXPECT_TRUE(at::equal(repeated.mtpLogits[0], out.mtpLogits[0]));
  expectNonDegenerate(repeated.mtpLogits[1]);
  EXPECT_GT((repeated.mtpLogits[1] - repeated.mtpLogits[0]).abs().max().item<double>(), 1e-3);

  ForwardOptions none;
  none.mtpDepths = 0;
  EXPECT_TRUE(model.forward(tokens, at::Tensor(), none).mtpLogits.empty());
}

TEST(HfModel, LeftPaddedBatchEqualsUnpaddedRuns) {
  const config::HfConfig c = tinyConfig("M*ME-M", "*E", /*latentMoe=*/true);
  TinyWeights gen(3);
  const HfModel model(c, gen.model(c));
  const at::Tensor a = gen.tokens(1, 9, c.vocabSize);
  const at::Tensor b = gen.tokens(1, 6, c.vocabSize);
  const at::Tensor batch = at::cat({a, at::cat({at::full({1, 3}, 7, at::kLong), b}, 1)}, 0);
  const at::Tensor mask = at::ones({2, 9}, at::kLong);
  mask[1].narrow(0, 0, 3).fill_(0);

  const ForwardOutput padded = model.forward(batch, mask);
  const ForwardOutput aloneA = model.forward(a);
  const ForwardOutput aloneB = model.forward(b);
  EXPECT_TRUE(at::isfinite(padded.logits).all().item<bool>());
  EXPECT_TRUE(at::allclose(padded.logits[0], aloneA.logits[0], 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(padded.logits[1].narrow(0, 3, 6), aloneB.logits[0], 1e-4, 1e-4));
  ASSERT_EQ(padded.mtpLogits.size(), 1u);
  EXPECT_TRUE(at::allclose(padded.mtpLogits[0][0], aloneA.mtpLogits[0][0], 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(padded.mtpLogits[0][1].narrow(0, 3, 6), aloneB.mtpLogits[0][0], 1e-4, 1e-4));

  // An all-ones mask is the same as no mask.
  EXPECT_TRUE(at::equal(model.forward(a, at::ones({1, 9}, at::kLong)).logits, aloneA.logits));
}

TEST(HfModel, Bf16RunStaysWithinBf16ToleranceOfFp32) {
  const config::HfConfig c = tinyConfig("M*ME-E", "*E", /*latentMoe=*/true);
  TinyWeights gen(4);
  const TensorMap weights = gen.model(c);
  const HfModel fp32(c, weights);
  const HfModel bf16(c, castWeights(weights, at::kBFloat16));
  EXPECT_EQ(bf16.dtype(), at::kBFloat16);
  const at::Tensor tokens = gen.tokens(2, 12, c.vocabSize);
  const ForwardOutput expected = fp32.forward(tokens);
  const ForwardOutput actual = bf16.forward(tokens);
  ASSERT_EQ(actual.logits.scalar_type(), at::kFloat);
  // bf16 has 8 significant bits (~0.4% per rounding); a few layers stay within a few percent.
  EXPECT_LE(fractionOfPositionsOff(actual.logits, expected.logits, 0.06), 0.1);
  EXPECT_GT(at::cosine_similarity(actual.logits, expected.logits, -1).median().item<double>(), 0.998);
  EXPECT_LE(fractionOfPositionsOff(actual.mtpLogits[0], expected.mtpLogits[0], 0.06), 0.1);
  // ... but it is not bit-identical to fp32 either (it really ran in bf16).
  EXPECT_FALSE(at::equal(actual.logits, expected.logits));

  // Asking for fp32 runs bf16-stored weights in fp32.
  HfModelOptions asFp32;
  asFp32.dtype = at::kFloat;
  const HfModel upcast(c, castWeights(weights, at::kBFloat16), asFp32);
  EXPECT_EQ(upcast.dtype(), at::kFloat);
  EXPECT_LE(fractionOfPositionsOff(upcast.forward(tokens).logits, expected.logits, 0.06), 0.1);
}

TEST(HfModel, CaptureReturnsEveryBlockInOrder) {
  const config::HfConfig c = tinyConfig("M*-E", "*E");
  TinyWeights gen(5);
  const TensorMap weights = gen.model(c);
  const HfModel model(c, weights);
  ForwardOptions options;
  options.captureLayers = true;
  const ForwardOutput out = model.forward(gen.tokens(2, 5, c.vocabSize), at::Tensor(), options);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : out.layers) {
    names.push_back(name);
    EXPECT_EQ(tensor.sizes(), (std::vector<int64_t>{2, 5, c.hiddenSize})) << name;
  }
  const std::vector<std::string> expected{"embeddings", "layers.0", "layers.1", "layers.2", "layers.3",
                                          "norm_f", "mtp.0.eh_proj", "mtp.0.layers.0", "mtp.0.layers.1",
                                          "mtp.0.final_layernorm"};
  EXPECT_EQ(names, expected);
  // norm_f is the final norm of the last block, and the logits are its projection.
  const at::Tensor last = out.layers[4].second;
  const at::Tensor normF = out.layers[5].second;
  EXPECT_TRUE(at::allclose(normF, rmsNorm(last, weights.at("backbone.norm_f.weight"), c.layerNormEpsilon)));
  EXPECT_TRUE(at::allclose(out.logits, at::matmul(normF, weights.at("lm_head.weight").t()), 1e-5, 1e-5));
}

TEST(HfModel, IsCausalAndMtpSeesTheNextToken) {
  const config::HfConfig c = tinyConfig("M*E", "*E");
  TinyWeights gen(6);
  const HfModel model(c, gen.model(c));
  const at::Tensor tokens = gen.tokens(1, 8, c.vocabSize);
  at::Tensor changed = tokens.clone();
  changed[0][5] = (tokens[0][5].item<int64_t>() % (c.vocabSize - 1)) + 1;
  const ForwardOutput a = model.forward(tokens);
  const ForwardOutput b = model.forward(changed);
  // Main logits: positions before 5 unchanged, position 5 changed.
  EXPECT_TRUE(at::equal(a.logits.narrow(1, 0, 5), b.logits.narrow(1, 0, 5)));
  EXPECT_FALSE(at::allclose(a.logits.narrow(1, 5, 1), b.logits.narrow(1, 5, 1)));
  // MTP at position 4 embeds token 5 (the shifted input); positions before 4 are unchanged.
  EXPECT_TRUE(at::equal(a.mtpLogits[0].narrow(1, 0, 4), b.mtpLogits[0].narrow(1, 0, 4)));
  EXPECT_FALSE(at::allclose(a.mtpLogits[0].narrow(1, 4, 1), b.mtpLogits[0].narrow(1, 4, 1)));
}

TEST(HfModel, MtpConcatenatesEmbeddingFirstThenHidden) {
  // Zero the hidden half of eh_proj ([H, 2H] columns H..2H): the MTP depth then depends on the
  // shifted embeddings only, so changing norm_f (the main hidden) must leave it unchanged.
  const config::HfConfig c = tinyConfig("M*", "*-");
  TinyWeights gen(7);
  TensorMap weights = gen.model(c);
  weights["mtp.layers.0.eh_proj.weight"].narrow(1, c.hiddenSize, c.hiddenSize).zero_();
  const at::Tensor tokens = gen.tokens(1, 6, c.vocabSize);
  const ForwardOutput before = HfModel(c, weights).forward(tokens);
  weights["backbone.norm_f.weight"] = weights["backbone.norm_f.weight"] * 3.0 + 0.5;
  const ForwardOutput after = HfModel(c, weights).forward(tokens);
  EXPECT_FALSE(at::allclose(before.logits, after.logits));
  EXPECT_TRUE(at::allclose(before.mtpLogits[0], after.mtpLogits[0], 1e-6, 1e-6));
}

TEST(HfModel, TiedEmbeddingsServeAsHeadWhenLmHeadIsAbsent) {
  config::HfConfig c = tinyConfig("M-");
  c.tieWordEmbeddings = true;
  TinyWeights gen(8);
  TensorMap weights = gen.model(c);
  weights.erase("lm_head.weight");
  ForwardOptions options;
  options.captureLayers = true;
  const ForwardOutput out = HfModel(c, weights).forward(gen.tokens(1, 3, c.vocabSize), at::Tensor(), options);
  EXPECT_TRUE(at::allclose(out.logits, at::matmul(out.layers.back().second,
                                                  weights.at("backbone.embeddings.weight").t()), 1e-5, 1e-5));
}

TEST(HfModelErrors, MissingTensorIsNamed) {
  const config::HfConfig c = tinyConfig("M*");
  TensorMap weights = TinyWeights(9).model(c);
  weights.erase("backbone.layers.0.mixer.A_log");
  HfModelOptions options;
  options.source = "/ckpt/model.safetensors";
  const std::string message = badInputMessage([&] { HfModel(c, weights, options); });
  EXPECT_NE(message.find("/ckpt/model.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("missing tensor backbone.layers.0.mixer.A_log"), std::string::npos) << message;
}

TEST(HfModelErrors, MisShapedTensorIsNamedWithBothShapes) {
  const config::HfConfig c = tinyConfig("M*");
  TensorMap weights = TinyWeights(10).model(c);
  weights["backbone.layers.1.mixer.k_proj.weight"] = at::zeros({3, c.hiddenSize});
  const std::string message = badInputMessage([&] { HfModel(c, weights); });
  EXPECT_NE(message.find("backbone.layers.1.mixer.k_proj.weight has shape [3, 16], expected [16, 16]"),
            std::string::npos) << message;
}

TEST(HfModelErrors, MissingMtpTensorIsNamed) {
  const config::HfConfig c = tinyConfig("M", "*E");
  TensorMap weights = TinyWeights(11).model(c);
  weights.erase("mtp.layers.1.final_layernorm.weight");
  const std::string message = badInputMessage([&] { HfModel(c, weights); });
  EXPECT_NE(message.find("mtp.layers.1.final_layernorm.weight"), std::string::npos) << message;
}

TEST(HfModelErrors, MissingExpertIsNamed) {
  const config::HfConfig c = tinyConfig("E");
  TensorMap weights = TinyWeights(12).model(c);
  weights.erase("backbone.layers.0.mixer.experts.5.down_proj.weight");
  const std::string message = badInputMessage([&] { HfModel(c, weights); });
  EXPECT_NE(message.find("backbone.layers.0.mixer.experts.5.down_proj.weight"), std::string::npos) << message;
}

TEST(HfModelErrors, IntegerWeightIsRejected) {
  const config::HfConfig c = tinyConfig("-");
  TensorMap weights = TinyWeights(13).model(c);
  weights["backbone.layers.0.mixer.up_proj.weight"] = at::zeros({c.intermediateSize, c.hiddenSize}, at::kInt);
  const std::string message = badInputMessage([&] { HfModel(c, weights); });
  EXPECT_NE(message.find("up_proj.weight has dtype"), std::string::npos) << message;
}

TEST(HfModelErrors, InconsistentConfigNamesTheField) {
  config::HfConfig c = tinyConfig("M");
  c.nGroups = 3;  // 4 heads
  const std::string message = badInputMessage([&] { HfModel(c, TinyWeights(14).model(tinyConfig("M"))); });
  EXPECT_NE(message.find("n_groups"), std::string::npos) << message;
}

class HfModelInputErrors : public ::testing::Test {
 protected:
  config::HfConfig config_ = tinyConfig("M*", "*");
  HfModel model_{config_, TinyWeights(15).model(config_)};
};

TEST_F(HfModelInputErrors, FloatTokensAreRejected) {
  const std::string message = badInputMessage([&] { model_.forward(at::zeros({1, 3})); });
  EXPECT_NE(message.find("integer tensor"), std::string::npos) << message;
}

TEST_F(HfModelInputErrors, OneDimensionalTokensAreRejected) {
  badInputMessage([&] { model_.forward(at::zeros({3}, at::kLong)); });
}

TEST_F(HfModelInputErrors, TokenOutsideVocabularyIsNamed) {
  const std::string message = badInputMessage([&] { model_.forward(at::full({1, 2}, 48, at::kLong)); });
  EXPECT_NE(message.find("token id 48"), std::string::npos) << message;
}

TEST_F(HfModelInputErrors, NegativeTokenIsNamed) {
  const std::string message = badInputMessage([&] { model_.forward(at::full({1, 2}, -1, at::kLong)); });
  EXPECT_NE(message.find("token id -1"), std::string::npos) << message;
}

TEST_F(HfModelInputErrors, MaskShapeMustMatchTokens) {
  const std::string message =
      badInputMessage([&] { model_.forward(at::ones({1, 3}, at::kLong), at::ones({1, 4}, at::kLong)); });
  EXPECT_NE(message.find("attention mask"), std::string::npos) << message;
}

TEST(HfModelErrors, MtpRequestedWithoutMtpLayers) {
  const config::HfConfig c = tinyConfig("M");
  const HfModel model(c, TinyWeights(16).model(c));
  ForwardOptions options;
  options.mtpDepths = 1;
  const std::string message = badInputMessage([&] { model.forward(at::ones({1, 2}, at::kLong), at::Tensor(), options); });
  EXPECT_NE(message.find("MTP"), std::string::npos) << message;
}

}  // namespace
}  // namespace nhb::harness
