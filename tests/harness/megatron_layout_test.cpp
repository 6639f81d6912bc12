// The Megatron-layout forward against the HF-layout forward on converted fixtures: the two are
// independent implementations (MegatronModel reads the rank shards and simulates the collectives;
// the test, not the model, uses the converter), so agreement shows both the conversion and the
// rank simulation preserve the function. fp32 fixtures must agree to 1e-5 relative.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "bridge/config/hf_config.h"
#include "bridge/convert/checkpoint_convert.h"
#include "bridge/fixture/fixture_generator.h"
#include "harness/model/megatron_forward_runner.h"
#include "harness/model/megatron_model.h"
#include "support/test_support.h"

namespace nhb::harness {
namespace {
namespace fs = std::filesystem;
using nhb::testing::TempDir;

struct LayoutCase {
  std::string preset;
  int64_t tp = 1, pp = 1, ep = 1, etp = 1;
  mapping::Naming naming = mapping::Naming::TransformerEngine;
  mapping::Conv1dNaming conv1d = mapping::Conv1dNaming::Current;
  bool padVocab = false;
  int64_t vocabDivisibleBy = 128;
  std::string name() const {
    return preset + " tp" + std::to_string(tp) + " pp" + std::to_string(pp) + " ep" + std::to_string(ep) +
           " etp" + std::to_string(etp) + (naming == mapping::Naming::Local ? " local" : " te") +
           (conv1d == mapping::Conv1dNaming::Legacy ? " legacy-conv1d" : "") + (padVocab ? " padded-vocab" : "");
  }
};

// Fixtures and conversions shared by every test of the binary (generation is the slow part).
class Fixtures {
 public:
  static Fixtures& get() {
    static Fixtures instance;
    return instance;
  }
  fs::path hf(const std::string& preset, DType dtype = DType::F32) {
    const std::string key = preset + (dtype == DType::F32 ? "-f32" : "-bf16");
    auto it = hf_.find(key);
    if (it != hf_.end()) return it->second;
    fixture::FixtureOptions options;
    options.preset = preset;
    options.dtype = dtype;
    options.outDir = dir_ / ("hf-" + key);
    options.seed = 7;
    fixture::generate(options);
    return hf_.emplace(key, options.outDir).first->second;
  }
  fs::path megatron(const LayoutCase& c, DType dtype = DType::F32) {
    convert::HfToMegatronOptions options;
    options.hfDir = hf(c.preset, dtype);
    options.outDir = dir_ / ("mcore-" + std::to_string(counter_++));
    options.layout.tp = c.tp;
    options.layout.pp = c.pp;
    options.layout.ep = c.ep;
    options.layout.etp = c.etp;
    options.layout.naming = c.naming;
    options.layout.conv1d = c.conv1d;
    options.layout.padVocab = c.padVocab;
    options.layout.vocabDivisibleBy = c.vocabDivisibleBy;
    options.threads = 1;
    convert::convertHfToMegatron(options);
    return options.outDir;
  }

 private:
  TempDir dir_;
  std::map<std::string, fs::path> hf_;
  int counter_ = 0;
};

// Two sequences, the second left-padded: exercises the mask path of both models.
TokenBatch testBatch() { return makeTokenBatch({{5, 17, 300, 2, 41, 77, 9, 250, 3}, {11, 12, 13, 499, 1, 8}}); }

double maxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }

// max |a - b| <= rel * max |reference|; prints the figure.
void expectClose(const at::Tensor& reference, const at::Tensor& actual, double rel, const std::string& what) {
  ASSERT_EQ(reference.sizes(), actual.sizes()) << what;
  const double diff = maxAbs(reference.to(at::kFloat) - actual.to(at::kFloat));
  const double scale = std::max(maxAbs(reference.to(at::kFloat)), 1e-6);
  std::printf("  %-50s max abs diff %.3g (max |ref| %.3g)\n", what.c_str(), diff, scale);
  EXPECT_LE(diff, rel * scale) << what << ": max abs diff " << diff << " vs max |ref| " << scale;
}

void expectLayoutsAgree(const LayoutCase& c) {
  SCOPED_TRACE(c.name());
  Fixtures& fx = Fixtures::get();
  const auto hfModel = loadLayoutModel(fx.hf(c.preset), {CheckpointLayout::Hf, at::kCPU, std::nullopt});
  const MegatronModel megatron = MegatronModel::load(fx.megatron(c));
  const TokenBatch batch = testBatch();
  ForwardOptions options;
  options.captureLayers = true;
  const ForwardOutput expected = hfModel->forward(batch.tokens, batch.mask, options);
  const ForwardOutput actual = megatron.forward(batch.tokens, batch.mask, options);

  // Padded positions carry unspecified (finite) logits: compare real positions only.
  const at::Tensor real = batch.mask.to(at::kBool).unsqueeze(-1);
  expectClose(expected.logits.masked_fill(real.logical_not(), 0), actual.logits.masked_fill(real.logical_not(), 0),
              1e-5, c.name() + " logits");
  ASSERT_EQ(expected.mtpLogits.size(), actual.mtpLogits.size());
  for (std::size_t d = 0; d < expected.mtpLogits.size(); ++d) {
    expectClose(expected.mtpLogits[d].masked_fill(real.logical_not(), 0),
                actual.mtpLogits[d].masked_fill(real.logical_not(), 0), 1e-5,
                c.name() + " mtp_logits." + std::to_string(d));
  }
  // Same capture names, in the same order, so a comparison can name the first diverging layer.
  ASSERT_EQ(expected.layers.size(), actual.layers.size());
  for (std::size_t i = 0; i < expected.layers.size(); ++i) {
    EXPECT_EQ(expected.layers[i].first, actual.layers[i].first);
  }
}

TEST(MegatronLayout, DenseAgreesAtEveryTensorAndPipelineSize) {
  for (int64_t tp : {1, 2, 4}) {
    for (int64_t pp : {1, 2}) expectLayoutsAgree({"dense", tp, pp});
  }
}

TEST(MegatronLayout, MoeAgreesWithExpertParallelism) {
  expectLayoutsAgree({"moe", 1, 1, 1});
  expectLayoutsAgree({"moe", 1, 1, 2});
  expectLayoutsAgree({"moe", 2, 2, 2});
  expectLayoutsAgree({"moe", 4, 1, 2});
}

TEST(MegatronLayout, MoeAgreesWithExpertTensorParallelism) {
  LayoutCase c{"moe", 2, 1, 2};
  c.etp = 2;
  expectLayoutsAgree(c);
}

TEST(MegatronLayout, GroupLimitedRoutingAgrees) { expectLayoutsAgree({"moe-grouped", 2, 1, 2}); }

TEST(MegatronLayout, LatentMoeWithMtpAgrees) {
  expectLayoutsAgree({"latent-moe-mtp", 1, 1, 1});
  expectLayoutsAgree({"latent-moe-mtp", 2, 2, 2});
  expectLayoutsAgree({"latent-moe-mtp", 4, 2, 1});
}

TEST(MegatronLayout, LocalSpecNamingAgrees) {
  LayoutCase dense{"dense", 2, 2};
  dense.naming = mapping::Naming::Local;
  expectLayoutsAgree(dense);
  LayoutCase moe{"latent-moe-mtp", 2, 1, 2};
  moe.naming = mapping::Naming::Local;
  expectLayoutsAgree(moe);
}

TEST(MegatronLayout, LegacyConv1dNamesAgree) {
  LayoutCase c{"dense", 2, 1};
  c.conv1d = mapping::Conv1dNaming::Legacy;
  expectLayoutsAgree(c);
}

TEST(MegatronLayout, PaddedVocabIsSlicedOff) {
  LayoutCase c{"dense", 4, 1};
  c.padVocab = true;
  c.vocabDivisibleBy = 100;  // 512 rows -> a multiple of 100 * 4 = 800
  const MegatronModel megatron = MegatronModel::load(Fixtures::get().megatron(c));
  EXPECT_EQ(megatron.paddedVocabSize(), 800);
  EXPECT_EQ(megatron.vocabSize(), 512);
  expectLayoutsAgree(c);
  c.tp = 2;  // a multiple of 200 -> 600
  EXPECT_EQ(MegatronModel::load(Fixtures::get().megatron(c)).paddedVocabSize(), 600);
  expectLayoutsAgree(c);
}

// bf16 against fp32 of the same Megatron checkpoint. Dense: every logit within a few percent of
// the logit range (a dozen bf16 layers, 8 mantissa bits). MoE: a bf16 router score can swap a
// near-tie expert choice, which moves that token's logits by O(1), so the bound is on the typical
// (median) logit error and on the predicted token, not on the worst one.
TEST(MegatronLayout, Bf16StaysWithinBf16ToleranceOfFp32) {
  Fixtures& fx = Fixtures::get();
  const TokenBatch batch = testBatch();
  const at::Tensor real = batch.mask.to(at::kBool);
  for (const char* preset : {"dense", "latent-moe-mtp"}) {
    const bool moe = preset != std::string("dense");
    const fs::path dir = fx.megatron({preset, 2, 2, moe ? 2 : 1});
    const MegatronModel fp32 = MegatronModel::load(dir);
    MegatronModelOptions bf16Options;
    bf16Options.dtype = at::kBFloat16;
    const MegatronModel bf16 = MegatronModel::load(dir, bf16Options);
    EXPECT_EQ(bf16.dtype(), at::kBFloat16);
    const at::Tensor a = fp32.forward(batch.tokens, batch.mask).logits.index({real});  // [positions, V]
    const at::Tensor b = bf16.forward(batch.tokens, batch.mask).logits.index({real});
    EXPECT_EQ(b.scalar_type(), at::kFloat);
    const double scale = maxAbs(a);
    const at::Tensor diff = (a - b).abs();
    const double worst = diff.max().item<double>();
    const double median = diff.median().item<double>();
    const double sameTop1 = a.argmax(-1).eq(b.argmax(-1)).to(at::kFloat).mean().item<double>();
    std::printf("  %-20s bf16 vs fp32: max abs diff %.3g, median %.3g (max |ref| %.3g), same top-1 %.0f%%\n",
                preset, worst, median, scale, 100 * sameTop1);
    if (moe) {
      EXPECT_LE(median, 2e-2 * scale) << preset;
      EXPECT_GE(sameTop1, 0.8) << preset;
    } else {
      EXPECT_LE(worst, 5e-2 * scale) << preset;
      EXPECT_GE(sameTop1, 0.9) << preset;
    }
  }
}

TEST(MegatronLayout, LeftPaddedBatchEqualsUnpaddedRuns) {
  Fixtures& fx = Fixtures::get();
  const MegatronModel model = MegatronModel::load(fx.megatron({"latent-moe-mtp", 2, 1, 2}));
  const TokenBatch batch = testBatch();
  const ForwardOutput padded = model.forward(batch.tokens, batch.mask);
  const at::Tensor alone = at::tensor(std::vector<int64_t>{11, 12, 13, 499, 1, 8}).view({1, 6});
  const ForwardOutput single = model.forward(alone);
  expectClose(single.logits[0], padded.logits[1].narrow(0, 3, 6), 1e-5, "padded row vs alone");
}

TEST(MegatronLayout, MissingRankFileIsBadInput) {
  Fixtures& fx = Fixtures::get();
  const fs::path dir = fx.megatron({"dense", 2, 1});
  fs::remove_all(dir / "release" / "mp_rank_01");
  try {
    MegatronModel::load(dir);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("mp_rank_01"), std::string::npos) << error.what();
  }
}

TEST(MegatronLayout, OutOfVocabTokenIsBadInput) {
  Fixtures& fx = Fixtures::get();
  const MegatronModel model = MegatronModel::load(fx.megatron({"dense", 1, 1}));
  const at::Tensor tokens = at::tensor(std::vector<int64_t>{1, 512}).view({1, 2});
  try {
    model.forward(tokens);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("512"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nhb::harness
