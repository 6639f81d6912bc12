// tokenizer.json summaries: a hand-written minimal BPE tokenizer, the fixture tokenizer, and each
// malformed layout with its own error.
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/fixture/bpe_tokenizer.h"
#include "bridge/tokenizer/tokenizer_json.h"

namespace nhb::tokenizer {
namespace {

Json minimal() {
  return Json::parse(R"({
    "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 7, "content": "<|im_end|>", "special": true}],
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split"}, {"type": "ByteLevel"}]},
    "post_processor": {"type": "TemplateProcessing"},
    "model": {"type": "BPE", "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b", ["ab", "b"]]}
  })");
}

void expectBadInput(const Json& json, const std::string& part) {
  try {
    parseTokenizerJson(json, "tok.json");
    FAIL() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("tok.json: " + part), std::string::npos) << error.what();
  }
}

TEST(TokenizerJson, MinimalBpe) {
  const TokenizerJson t = parseTokenizerJson(minimal(), "tok.json");
  EXPECT_EQ(t.modelType, "BPE");
  EXPECT_EQ(t.modelVocabEntries, 4);
  EXPECT_EQ(t.mergesCount, 2);
  ASSERT_EQ(t.addedTokens.size(), 2u);
  EXPECT_EQ(t.addedTokens[1].content, "<|im_end|>");
  EXPECT_EQ(t.vocabSize(), 8);  // max id 7 + 1
  EXPECT_EQ(t.idOf("ab"), 3);
  EXPECT_EQ(t.idOf("<|im_end|>"), 7);
  EXPECT_FALSE(t.idOf("c"));
  EXPECT_EQ(*t.tokenOf(2), "b");
  EXPECT_EQ(t.tokenOf(5), nullptr);
  EXPECT_EQ(t.preTokenizerType, "Sequence(Split, ByteLevel)");
  EXPECT_EQ(t.postProcessorType, "TemplateProcessing");
}

TEST(TokenizerJson, FixtureTokenizer) {
  fixture::TokenizerSpec spec;
  spec.vocabSize = 300;
  const TokenizerJson t = parseTokenizerJson(fixture::buildTokenizer(spec).tokenizer, "fixture");
  EXPECT_EQ(t.vocabSize(), 300);
  EXPECT_EQ(t.mergesCount, 300 - 16 - 256);
  EXPECT_EQ(t.addedTokens.size(), 16u);
  EXPECT_EQ(t.idOf("</s>"), 2);
  EXPECT_EQ(t.idOf("<|im_end|>"), 11);
}

TEST(TokenizerJson, UnigramVocabList) {
  Json json = Json::parse(R"({"model": {"type": "Unigram", "vocab": [["<unk>", 0.0], ["x", -1.5]]}})");
  const TokenizerJson t = parseTokenizerJson(json, "tok.json");
  EXPECT_EQ(t.vocabSize(), 2);
  EXPECT_EQ(t.idOf("x"), 1);
  EXPECT_EQ(t.preTokenizerType, "");
}

TEST(TokenizerJson, MissingModel) { expectBadInput(Json::parse(R"({"added_tokens": []})"), "model: missing"); }
TEST(TokenizerJson, MissingModelType) { expectBadInput(Json::parse(R"({"model": {"vocab": {}}})"), "model.type"); }
TEST(TokenizerJson, NonIntegerVocabId) {
  Json json = minimal();
  json["model"]["vocab"]["a"] = "1";
  expectBadInput(json, "model.vocab[\"a\"]: expected an integer id");
}
TEST(TokenizerJson, MalformedMerge) {
  Json json = minimal();
  json["model"]["merges"].push_back("ab");
  expectBadInput(json, "model.merges[2]");
}
TEST(TokenizerJson, AddedTokenWithoutId) {
  Json json = minimal();
  json["added_tokens"].push_back(Json{{"content", "<x>"}});
  expectBadInput(json, "added_tokens[2]");
}
TEST(TokenizerJson, ConflictingIds) {
  Json json = minimal();
  json["added_tokens"].push_back(Json{{"id", 1}, {"content", "<x>"}});
  expectBadInput(json, "added_tokens[2]: id 1 is both \"a\" and \"<x>\"");
}
TEST(TokenizerJson, PreTokenizerWithoutType) {
  Json json = minimal();
  json["pre_tokenizer"] = Json{{"kind", "Split"}};
  expectBadInput(json, "pre_tokenizer: expected an object");
}

}  // namespace
}  // namespace nhb::tokenizer
