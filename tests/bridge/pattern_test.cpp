#include "bridge/config/pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "support/error_messages.h"

namespace nhb::config {
namespace {

using nhb::testing::badInputMessage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HybridPattern, PlainPatternHasOneSegmentAndNoMtp) {
  HybridPattern p = parseHybridPattern("M-M*-E", "test");
  EXPECT_EQ(p.layers, "M-M*-E");
  EXPECT_EQ(p.numLayers(), 6);
  EXPECT_THAT(p.segments, ElementsAre("M-M*-E"));
  EXPECT_FALSE(p.hasPipelineSeparators());
  EXPECT_FALSE(p.hasMtp());
  EXPECT_EQ(p.count('M'), 2);
  EXPECT_EQ(p.count('-'), 2);
  EXPECT_EQ(p.count('*'), 1);
  EXPECT_EQ(p.count('E'), 1);
  EXPECT_EQ(p.unified(), "M-M*-E");
}

TEST(HybridPattern, MtpPartsGiveDepthAndPattern) {
  // The MCore docstring example: "M*M*/MM/MM" -> main M*M*, mtp MM, 2 depths.
  HybridPattern p = parseHybridPattern("M*M*/MM/MM", "test");
  EXPECT_EQ(p.layers, "M*M*");
  EXPECT_EQ(p.mtp, "MM");
  EXPECT_EQ(p.mtpDepths, 2);
  EXPECT_EQ(p.unified(), "M*M*/MM/MM");
}

TEST(HybridPattern, PipelineSegmentsAreSplitAtBars) {
  HybridPattern p = parseHybridPattern("M-M-|M-M*-/MM/MM", "test");
  EXPECT_THAT(p.segments, ElementsAre("M-M-", "M-M*-"));
  EXPECT_EQ(p.layers, "M-M-M-M*-");
  EXPECT_EQ(p.numLayers(), 9);
  EXPECT_EQ(p.mtpDepths, 2);
  EXPECT_EQ(p.unified(), "M-M-|M-M*-/MM/MM");
}

TEST(HybridPattern, StageOfLayerFollowsSegments) {
  HybridPattern p = parseHybridPattern("MM|M*-|E", "test");
  EXPECT_THAT(p.stageOfLayer(3), ElementsAre(0, 0, 1, 1, 1, 2));
  EXPECT_THAT(p.layersPerStage(3), ElementsAre(2, 3, 1));
  EXPECT_THAT(p.stageLayerOffsets(3), ElementsAre(0, 2, 5));
}

TEST(HybridPattern, StageOfLayerSplitsEvenlyWithoutBars) {
  HybridPattern p = parseHybridPattern("M-M*M-", "test");
  EXPECT_THAT(p.stageOfLayer(2), ElementsAre(0, 0, 0, 1, 1, 1));
  EXPECT_THAT(p.stageOfLayer(1), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_THAT(p.stageLayerOffsets(3), ElementsAre(0, 2, 4));
}

TEST(HybridPattern, UnevenSplitIsAnError) {
  HybridPattern p = parseHybridPattern("M-M*M", "test");
  EXPECT_THAT(badInputMessage([&] { p.stageOfLayer(2); }), HasSubstr("5 layers do not split evenly"));
}

TEST(HybridPattern, SegmentCountMustEqualPipelineSize) {
  HybridPattern p = parseHybridPattern("MM|M*", "test");
  EXPECT_THAT(badInputMessage([&] { p.stageOfLayer(4); }), HasSubstr("2 pipeline segments"));
}

TEST(HybridPattern, UnknownSymbolIsNamedWithItsPosition) {
  std::string message = badInputMessage([] { parseHybridPattern("M-MX*", "cfg.json: field 'p'"); });
  EXPECT_THAT(message, HasSubstr("cfg.json: field 'p'"));
  EXPECT_THAT(message, HasSubstr("'X'"));
  EXPECT_THAT(message, HasSubstr("position 3"));
}

TEST(HybridPattern, NewerMcoreSymbolsAreOutOfScope) {
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MG*", "t"); }), HasSubstr("'G'"));
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MD", "t"); }), HasSubstr("'D'"));
}

TEST(HybridPattern, BarInMtpPartIsAnError) {
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MM/*|E", "t"); }), HasSubstr("contains '|'"));
}

TEST(HybridPattern, DifferingMtpPartsAreAnError) {
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MM/*E/*-", "t"); }), HasSubstr("must be identical"));
}

TEST(HybridPattern, EmptyPartsAreErrors) {
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("", "t"); }), HasSubstr("empty main part"));
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("/*E", "t"); }), HasSubstr("empty main part"));
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MM||M", "t"); }), HasSubstr("empty pipeline segment"));
  EXPECT_THAT(badInputMessage([] { parseHybridPattern("MM/", "t"); }), HasSubstr("is empty"));
}

TEST(HybridPattern, BuildUnifiedPatternRepeatsTheMtpPart) {
  EXPECT_EQ(buildUnifiedPattern("ME|ME", "*E", 2), "ME|ME/*E/*E");
  EXPECT_EQ(buildUnifiedPattern("MEME/*E", "*E", 1), "MEME/*E");  // old MTP tail replaced
  EXPECT_EQ(buildUnifiedPattern("MEME", "*E", 0), "MEME");
}

TEST(HybridPattern, WithPipelineSeparatorsResplitsEvenly) {
  EXPECT_EQ(withPipelineSeparators("MEMEM*", 3, "t"), "ME|ME|M*");
  EXPECT_EQ(withPipelineSeparators("MEM|EM*/*E", 2, "t"), "MEM|EM*/*E");
  EXPECT_EQ(withPipelineSeparators("ME|ME", 1, "t"), "MEME");
  EXPECT_THAT(badInputMessage([] { withPipelineSeparators("MEM", 2, "t"); }), HasSubstr("do not split evenly"));
  EXPECT_THAT(badInputMessage([] { withPipelineSeparators("MEM", 0, "t"); }), HasSubstr(">= 1"));
}

TEST(HybridPattern, StripToLayersDropsBarsAndMtp) {
  EXPECT_EQ(stripToLayers("ME|ME/*E/*E"), "MEME");
}

TEST(BlockTypes, BothNamingSchemesMapToSymbols) {
  EXPECT_EQ(symbolOfBlockType("mamba"), 'M');
  EXPECT_EQ(symbolOfBlockType("linear_attention"), 'M');
  EXPECT_EQ(symbolOfBlockType("attention"), '*');
  EXPECT_EQ(symbolOfBlockType("full_attention"), '*');
  EXPECT_EQ(symbolOfBlockType("mlp"), '-');
  EXPECT_EQ(symbolOfBlockType("moe"), 'E');
  EXPECT_EQ(symbolOfBlockType("dense"), 0);
  EXPECT_EQ(blockTypeName('M', BlockTypeScheme::MambaAttention), "mamba");
  EXPECT_EQ(blockTypeName('*', BlockTypeScheme::LinearFullAttention), "full_attention");
  EXPECT_EQ(blockTypeName('E', BlockTypeScheme::LinearFullAttention), "moe");
}

}  // namespace
}  // namespace nhb::config
