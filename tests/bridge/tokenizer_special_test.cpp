// Special-token declarations across config.json, generation_config.json, tokenizer_config.json and
// special_tokens_map.json; agreement rules; the Megatron padded-vocab check; files and fast-tokenizer
// helpers.
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/tokenizer/special_tokens.h"
#include "bridge/tokenizer/tokenizer_files.h"
#include "bridge/verify/tokenizer_checks.h"
#include "support/test_support.h"

namespace nhb::tokenizer {
namespace {
namespace fs = std::filesystem;
using nhb::testing::TempDir;
using nhb::testing::writeFile;

TokenizerJson smallTokenizer() {
  return parseTokenizerJson(Json::parse(R"({
    "added_tokens": [{"id": 0, "content": "<unk>"}, {"id": 1, "content": "<s>"}, {"id": 2, "content": "</s>"},
                     {"id": 11, "content": "<|im_end|>"}],
    "model": {"type": "BPE", "vocab": {"a": 3, "b": 4}, "merges": []}})"),
                            "tokenizer.json");
}

// Nemotron 3 Base (hf-nemotron-h.md §6): config eos 2, tokenizer files eos <|im_end|> (11),
// generation_config [2, 11].
void writeNemotron3Like(const fs::path& dir) {
  writeFile(dir / "config.json", R"({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": null})");
  writeFile(dir / "generation_config.json", R"({"bos_token_id": 1, "eos_token_id": [2, 11]})");
  writeFile(dir / "tokenizer_config.json",
            R"({"added_tokens_decoder": {"11": {"content": "<|im_end|>"}}, "bos_token": "<s>", "eos_token": "<|im_end|>",
                "unk_token": {"content": "<unk>"}})");
  writeFile(dir / "special_tokens_map.json", R"({"eos_token": {"content": "<|im_end|>"}, "bos_token": "<s>"})");
}

TEST(SpecialTokens, CollectsEveryDeclaration) {
  TempDir dir;
  writeNemotron3Like(dir.path());
  const TokenizerJson tok = smallTokenizer();
  const SpecialTokenTable table = collectSpecialTokens(dir.path(), &tok);
  ASSERT_EQ(table.declarations.size(), 9u);  // 2 + 2 + 3 + 2
  const auto eos = table.forRole(SpecialRole::Eos);
  ASSERT_EQ(eos.size(), 4u);
  EXPECT_EQ(eos[0]->describe(), "config.json eos_token_id 2");
  EXPECT_EQ(eos[1]->describe(), "generation_config.json eos_token_id [2, 11]");
  EXPECT_EQ(eos[2]->describe(), "tokenizer_config.json eos_token \"<|im_end|>\" (11)");
  EXPECT_EQ(table.forRole(SpecialRole::Unk).front()->ids, std::vector<int64_t>{0});  // via tokenizer.json
}

TEST(SpecialTokens, Nemotron3EosDisagreementFound) {
  TempDir dir;
  writeNemotron3Like(dir.path());
  const TokenizerJson tok = smallTokenizer();
  const auto disagreements = findDisagreements(collectSpecialTokens(dir.path(), &tok));
  // config 2 vs tokenizer_config 11 and special_tokens_map 11; the generation list agrees with all.
  ASSERT_EQ(disagreements.size(), 2u);
  EXPECT_EQ(disagreements[0],
            "eos: config.json eos_token_id 2 vs tokenizer_config.json eos_token \"<|im_end|>\" (11)");
}

TEST(SpecialTokens, OutOfVocabulary) {
  TempDir dir;
  writeFile(dir / "config.json", R"({"bos_token_id": 1, "eos_token_id": 600})");
  writeFile(dir / "special_tokens_map.json", R"({"pad_token": "<pad>"})");
  const TokenizerJson tok = smallTokenizer();
  const auto problems = findOutOfVocabulary(collectSpecialTokens(dir.path(), &tok), &tok, tok.vocabSize());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "config.json eos_token_id 600: id 600 is not in the vocabulary of 12");
  EXPECT_EQ(problems[1], "special_tokens_map.json pad_token \"<pad>\" (not in the vocabulary)");
}

TEST(SpecialTokens, IdHoleIsNotInVocabulary) {
  TempDir dir;
  writeFile(dir / "config.json", R"({"pad_token_id": 7})");  // 7 < 12 but no token has id 7
  const TokenizerJson tok = smallTokenizer();
  EXPECT_EQ(findOutOfVocabulary(collectSpecialTokens(dir.path(), &tok), &tok, tok.vocabSize()).size(), 1u);
}

TEST(SpecialTokens, WrongTypeNamesFileAndKey) {
  TempDir dir;
  writeFile(dir / "config.json", R"({"eos_token_id": "2"})");
  try {
    collectSpecialTokens(dir.path(), nullptr);
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("config.json: eos_token_id"), std::string::npos) << error.what();
  }
}

TEST(SpecialTokens, BadAddedTokensDecoderKey) {
  TempDir dir;
  writeFile(dir / "tokenizer_config.json", R"({"added_tokens_decoder": {"x1": {"content": "<s>"}}})");
  try {
    collectSpecialTokens(dir.path(), nullptr);
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("tokenizer_config.json: added_tokens_decoder: key \"x1\""),
              std::string::npos)
        << error.what();
  }
}

TEST(TokenizerFiles, FastTokenizerRequirement) {
  TempDir dir;
  EXPECT_EQ(fastTokenizerProblems(dir.path()).size(), 1u);  // no tokenizer.json
  writeFile(dir / "tokenizer.json", "{}");
  EXPECT_TRUE(fastTokenizerProblems(dir.path()).empty());
  writeFile(dir / "tokenizer_config.json", R"({"use_fast": true})");
  EXPECT_TRUE(fastTokenizerProblems(dir.path()).empty());
  writeFile(dir / "tokenizer_config.json", R"({"use_fast": false})");
  ASSERT_EQ(fastTokenizerProblems(dir.path()).size(), 1u);
  EXPECT_NE(fastTokenizerProblems(dir.path())[0].find("use_fast is false"), std::string::npos);
}

TEST(TokenizerFiles, CompareExtraFiles) {
  TempDir a, b;
  writeFile(a / "tokenizer.json", "same");
  writeFile(b / "tokenizer.json", "same");
  writeFile(a / "special_tokens_map.json", "{}");
  writeFile(b / "special_tokens_map.json", "{ }");
  writeFile(a / "README.md", "x");
  writeFile(b / "chat_template.jinja", "y");
  const auto files = compareExtraFiles(a.path(), b.path());
  ASSERT_EQ(files.size(), 4u);  // sorted by name
  EXPECT_EQ(files[0].name, "README.md");
  EXPECT_EQ(files[0].status, FileStatus::Missing);
  EXPECT_EQ(files[1].status, FileStatus::Unexpected);
  EXPECT_EQ(files[2].status, FileStatus::Different);
  EXPECT_EQ(files[3].status, FileStatus::Identical);
  EXPECT_EQ(files[3].kind, io::ExtraFileKind::Tokenizer);
}

TEST(TokenizerFiles, ZeroRowAnyDType) {
  std::vector<uint16_t> rows{1, 2, 0, 0, 0x8000, 0};  // 3 rows of 2 bf16; row 2 holds -0.0
  TensorView view{DType::BF16, {3, 2}, reinterpret_cast<const std::byte*>(rows.data()), rows.size() * 2};
  EXPECT_FALSE(isZeroRow(view, 0));
  EXPECT_TRUE(isZeroRow(view, 1));
  EXPECT_FALSE(isZeroRow(view, 2));
  EXPECT_THROW(isZeroRow(view, 3), Error);
}

}  // namespace
}  // namespace nhb::tokenizer

namespace nhb::verify {
namespace {

MegatronSideInfo side(int64_t padded, int64_t divisible, int64_t tp, bool pad) {
  MegatronSideInfo m;
  m.paddedVocab = padded;
  m.vocabDivisibleBy = divisible;
  m.tp = tp;
  m.padVocab = pad;
  return m;
}

TEST(MegatronVocab, PaddedByHand) {
  // 131000 tokens, divisible by 128, tp 2: ceil(131000 / 256) * 256 = 512 * 256 = 131072.
  EXPECT_EQ(megatronVocabCheck(131000, 131000, side(131072, 128, 2, true)).verdict, Verdict::Pass);
  const Check wrong = megatronVocabCheck(131000, 131000, side(131200, 128, 2, true));
  EXPECT_EQ(wrong.verdict, Verdict::Fail);
  EXPECT_NE(wrong.message.find("= 131072"), std::string::npos) << wrong.message;
}

TEST(MegatronVocab, UnpaddedMustEqualVocab) {
  EXPECT_EQ(megatronVocabCheck(512, 512, side(512, 128, 2, false)).verdict, Verdict::Pass);
  EXPECT_EQ(megatronVocabCheck(512, 512, side(640, 128, 2, false)).verdict, Verdict::Fail);
}

TEST(MegatronVocab, SmallerThanTokenizerFails) {
  const Check check = megatronVocabCheck(500, 512, side(500, 128, 2, false));
  EXPECT_EQ(check.verdict, Verdict::Fail);
  EXPECT_NE(check.message.find("< tokenizer vocabulary 512"), std::string::npos) << check.message;
}

TEST(MegatronVocab, NotDivisibleByTp) {
  const Check check = megatronVocabCheck(513, 513, side(513, 1, 2, false));
  EXPECT_EQ(check.verdict, Verdict::Fail);
  EXPECT_NE(check.message.find("not divisible by tp 2"), std::string::npos) << check.message;
}

}  // namespace
}  // namespace nhb::verify
