// HF -> Megatron -> HF in memory is bitwise exact for every fixture preset and every valid
// layout (tp 1/2/4, pp 1/2, ep 1/2, etp 1/tp, both namings, vocab padding, fp32 A_log/D);
// malformed inputs on either side give specific errors.
#include <gtest/gtest.h>

#include <cstring>

#include "bridge/config/hf_config.h"
#include "bridge/convert/execute.h"
#include "bridge/convert/memory_checkpoint.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_configs.h"
#include "bridge/fixture/fixture_weights.h"
#include "bridge/model/hf_parameters.h"
#include "support/error_messages.h"

namespace nhb::convert {
namespace {

using nhb::testing::badInputMessage;

struct Fixture {
  mapping::ModelDims dims;
  MemoryHfCheckpoint hf;
};

Fixture makeFixture(const std::string& preset) {
  config::HfConfig config = config::parseHfConfig(fixture::presetConfig(preset, DType::BF16), preset);
  Fixture out;
  out.dims = mapping::dimsFromHfConfig(config, preset);
  for (const model::HfParameter& parameter : model::hfParameters(config)) {
    out.hf.add(parameter.name, fixture::fixtureTensor(parameter, DType::BF16, 7));
  }
  return out;
}

void expectBitwiseEqual(const MemoryHfCheckpoint& expected, const MemoryHfCheckpoint& actual, const std::string& what) {
  ASSERT_EQ(expected.tensors().size(), actual.tensors().size()) << what;
  for (const auto& [name, tensor] : expected.tensors()) {
    const Tensor* other = actual.get(name);
    ASSERT_NE(other, nullptr) << what << ": " << name;
    ASSERT_EQ(other->dtype(), tensor.dtype()) << what << ": " << name;
    ASSERT_EQ(other->shape(), tensor.shape()) << what << ": " << name;
    ASSERT_EQ(std::memcmp(other->data(), tensor.data(), tensor.nbytes()), 0) << what << ": " << name;
  }
}

std::string describe(const std::string& preset, const Layout& l) {
  return preset + " tp" + std::to_string(l.tp) + " pp" + std::to_string(l.pp) + " ep" + std::to_string(l.ep) + " etp" +
         std::to_string(l.etp) + (l.naming == mapping::Naming::Local ? " local" : " te") + (l.padVocab ? " pad" : "") +
         (l.aLogDFp32 ? " fp32" : "");
}

void roundTrip(const Fixture& fixture, const Layout& layout, const std::string& what, int threads = 1) {
  Plan plan = planConversion(fixture.dims, layout, what);
  MemoryMegatronCheckpoint megatron;
  ExecuteOptions options;
  options.threads = threads;
  ImportResult imported = executeHfToMegatron(plan, fixture.hf, megatron, options);
  ASSERT_EQ(megatron.ranks().size(), static_cast<std::size_t>(layout.tp * layout.pp * layout.ep)) << what;
  MemoryHfCheckpoint back;
  ExportOptions exportOptions;
  exportOptions.threads = threads;
  exportOptions.restoreDTypes = imported.castSources;
  executeMegatronToHf(plan, megatron, back, exportOptions);
  expectBitwiseEqual(fixture.hf, back, what);
}

TEST(ConvertRoundTrip, EveryPresetAndLayoutIsBitwiseExact) {
  int layouts = 0;
  for (const std::string& preset : fixture::presetNames()) {
    Fixture fixture = makeFixture(preset);
    const bool moe = fixture.dims.experts > 0;
    for (int64_t tp : {1, 2, 4}) {
      for (int64_t pp : {1, 2}) {
        for (int64_t ep : {1, 2}) {
          if (ep > 1 && !moe) continue;
          for (int64_t etp : {int64_t{1}, tp}) {
            if (etp != 1 && (!moe || tp == 1)) continue;
            Layout layout;
            layout.tp = tp;
            layout.pp = pp;
            layout.ep = ep;
            layout.etp = etp;
            roundTrip(fixture, layout, describe(preset, layout));
            ++layouts;
          }
        }
      }
    }
  }
  EXPECT_GE(layouts, 40);
}

TEST(ConvertRoundTrip, LocalNamingLegacyConvPaddingAndFp32AreExact) {
  for (const std::string& preset : {std::string("dense"), std::string("latent-moe-mtp")}) {
    Fixture fixture = makeFixture(preset);
    Layout layout;
    layout.tp = 2;
    layout.pp = 2;
    layout.naming = mapping::Naming::Local;
    layout.conv1d = mapping::Conv1dNaming::Legacy;
    layout.padVocab = true;
    layout.vocabDivisibleBy = 100;  // 512 rows -> 600
    layout.aLogDFp32 = true;
    roundTrip(fixture, layout, describe(preset, layout), /*threads=*/3);
  }
}

TEST(ConvertRoundTrip, TiedEmbeddingsKeepAnOutputCopyOnTheLastStage) {
  Fixture fixture = makeFixture("dense");
  fixture.dims.tiedEmbeddings = true;
  MemoryHfCheckpoint untied;
  for (const auto& [name, tensor] : fixture.hf.tensors()) {
    if (name != "lm_head.weight") untied.add(name, Tensor::copyOf(tensor.view()));
  }
  for (int64_t pp : {1, 2}) {
    Layout layout;
    layout.pp = pp;
    layout.tp = 2;
    Plan plan = planConversion(fixture.dims, layout, "tied");
    MemoryMegatronCheckpoint megatron;
    executeHfToMegatron(plan, untied, megatron);
    auto* output = megatron.get({1, pp - 1, 0}, "output_layer.weight");
    if (pp == 1) {
      EXPECT_EQ(output, nullptr);  // the embedding serves as output layer
    } else {
      ASSERT_NE(output, nullptr);
      EXPECT_EQ(std::memcmp(output->tensor.data(), megatron.get({1, 0, 0}, "embedding.word_embeddings.weight")->tensor.data(),
                            output->tensor.nbytes()),
                0);
    }
    MemoryHfCheckpoint back;
    executeMegatronToHf(plan, megatron, back);
    expectBitwiseEqual(untied, back, "tied pp" + std::to_string(pp));
  }
}

TEST(ConvertRoundTrip, Fp32ALogIsStoredAsFp32) {
  Fixture fixture = makeFixture("dense");
  Layout layout;
  layout.aLogDFp32 = true;
  Plan plan = planConversion(fixture.dims, layout, "dense");
  MemoryMegatronCheckpoint megatron;
  ImportResult imported = executeHfToMegatron(plan, fixture.hf, megatron);
  auto* aLog = megatron.get({0, 0, 0}, "decoder.layers.0.mixer.A_log");
  ASSERT_NE(aLog, nullptr);
  EXPECT_EQ(aLog->tensor.dtype(), DType::F32);
  EXPECT_EQ(imported.castSources.at("backbone.layers.0.mixer.A_log"), DType::BF16);
  EXPECT_EQ(megatron.get({0, 0, 0}, "decoder.layers.0.mixer.dt_bias")->tensor.dtype(), DType::BF16);
}

TEST(ConvertRoundTrip, PaddedVocabRowsAreZero) {
  Fixture fixture = makeFixture("dense");
  Layout layout;
  layout.padVocab = true;
  layout.vocabDivisibleBy = 300;  // 512 -> 600
  Plan plan = planConversion(fixture.dims, layout, "dense");
  MemoryMegatronCheckpoint megatron;
  executeHfToMegatron(plan, fixture.hf, megatron);
  const Tensor& embedding = megatron.get({0, 0, 0}, "embedding.word_embeddings.weight")->tensor;
  ASSERT_EQ(embedding.shape(), (Shape{600, 64}));
  const std::size_t realBytes = 512 * 64 * 2;
  EXPECT_EQ(std::memcmp(embedding.data(), fixture.hf.get("backbone.embeddings.weight")->data(), realBytes), 0);
  for (std::size_t i = realBytes; i < embedding.nbytes(); ++i) ASSERT_EQ(embedding.data()[i], std::byte{0});
}

struct Converted {
  Fixture fixture = makeFixture("moe");
  Layout layout = [] {
    Layout l;
    l.tp = 2;
    l.ep = 2;
    return l;
  }();
  Plan plan = planConversion(fixture.dims, layout, "moe");
  MemoryMegatronCheckpoint megatron;
  Converted() { executeHfToMegatron(plan, fixture.hf, megatron); }
  std::string exportError() {
    MemoryHfCheckpoint out;
    return badInputMessage([&] { executeMegatronToHf(plan, megatron, out); });
  }
};

TEST(ConvertErrors, MissingRankFile) {
  Converted c;
  c.megatron.ranks().erase(Rank{1, 0, 1});
  EXPECT_NE(c.exportError().find("missing rank file: in-memory Megatron rank (tp 1, pp 0, ep 1)"), std::string::npos);
}

TEST(ConvertErrors, ShapesDisagreeAcrossTpRanks) {
  Converted c;
  c.megatron.get({1, 0, 0}, "decoder.layers.0.mixer.in_proj.weight")->tensor = Tensor(DType::BF16, {528, 64});
  std::string message = c.exportError();
  EXPECT_NE(message.find("tensor decoder.layers.0.mixer.in_proj.weight has shape [528, 64] but [264, 64] is expected"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("tp 1, pp 0, ep 0"), std::string::npos) << message;
}

TEST(ConvertErrors, UnknownMegatronKey) {
  Converted c;
  c.megatron.ranks()[Rank{0, 0, 0}].emplace_back("decoder.layers.99.mixer.A_log", MemoryMegatronCheckpoint::Value{});
  EXPECT_NE(c.exportError().find("unknown key decoder.layers.99.mixer.A_log"), std::string::npos);
}

TEST(ConvertErrors, MissingMegatronKey) {
  Converted c;
  auto& entries = c.megatron.ranks()[Rank{0, 0, 1}];
  entries.erase(entries.begin());
  EXPECT_NE(c.exportError().find("missing key embedding.word_embeddings.weight"), std::string::npos);
}

TEST(ConvertErrors, DTypesDisagreeAcrossRanks) {
  Converted c;
  c.megatron.get({1, 0, 0}, "decoder.final_norm.weight")->tensor = Tensor(DType::F32, {64});
  EXPECT_NE(c.exportError().find("tensor decoder.final_norm.weight is f32 but bf16 on tp 0, pp 0, ep 0"), std::string::npos);
}

TEST(ConvertErrors, UnknownHfTensor) {
  Fixture fixture = makeFixture("dense");
  fixture.hf.add("backbone.layers.0.mixer.in_proj.bias", Tensor(DType::BF16, {4}));
  Plan plan = planConversion(fixture.dims, Layout{}, "dense");
  MemoryMegatronCheckpoint megatron;
  EXPECT_NE(badInputMessage([&] { executeHfToMegatron(plan, fixture.hf, megatron); })
                .find("unknown tensor backbone.layers.0.mixer.in_proj.bias"),
            std::string::npos);
}

TEST(ConvertErrors, HfTensorShapeDisagreesWithConfig) {
  Fixture fixture = makeFixture("dense");
  fixture.hf.add("backbone.norm_f.weight", Tensor(DType::BF16, {65}));
  Plan plan = planConversion(fixture.dims, Layout{}, "dense");
  MemoryMegatronCheckpoint megatron;
  EXPECT_NE(badInputMessage([&] { executeHfToMegatron(plan, fixture.hf, megatron); })
                .find("tensor backbone.norm_f.weight has shape [65] but [64] is expected"),
            std::string::npos);
}

TEST(ConvertErrors, MissingHfTensor) {
  Fixture fixture = makeFixture("dense");
  MemoryHfCheckpoint partial;
  for (const auto& [name, tensor] : fixture.hf.tensors()) {
    if (name != "lm_head.weight") partial.add(name, Tensor::copyOf(tensor.view()));
  }
  Plan plan = planConversion(fixture.dims, Layout{}, "dense");
  MemoryMegatronCheckpoint megatron;
  EXPECT_NE(badInputMessage([&] { executeHfToMegatron(plan, partial, megatron); }).find("missing tensor lm_head.weight"),
            std::string::npos);
}

}  // namespace
}  // namespace nhb::convert
