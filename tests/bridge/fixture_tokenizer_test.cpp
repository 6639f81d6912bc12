// The fixture's byte-level BPE tokenizer: HF tokenizers structure, a complete id space, merges
// that a BPE encoder can apply, and special ids that follow the config.
#include "bridge/fixture/bpe_tokenizer.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "support/error_messages.h"

namespace nhb::fixture {
namespace {

using nhb::testing::badInputMessage;

TEST(ByteLevelAlphabet, IsGpt2BytesToUnicode) {
  const auto& alphabet = byteLevelAlphabet();
  ASSERT_EQ(alphabet.size(), 256u);
  EXPECT_EQ(std::set<std::string>(alphabet.begin(), alphabet.end()).size(), 256u);
  EXPECT_EQ(alphabet['A'], "A");
  EXPECT_EQ(alphabet['~'], "~");
  // Non-printable bytes 0..32 map to U+0100.. in order: space (32) is the 33rd -> U+0120 "Ġ".
  EXPECT_EQ(alphabet[0], "\xC4\x80");    // U+0100
  EXPECT_EQ(alphabet['\n'], "\xC4\x8A"); // U+010A "Ċ"
  EXPECT_EQ(alphabet[' '], "\xC4\xA0");  // U+0120 "Ġ"
  EXPECT_EQ(alphabet[0xA1], "\xC2\xA1"); // printable Latin-1 maps to itself
  EXPECT_EQ(alphabet[0xAD], "\xC5\x83"); // soft hyphen: 33 (0..32) + 34 (127..160) -> U+0143
}

TEST(LearnMerges, DeterministicAndBuiltFromKnownSymbols) {
  const auto first = learnMerges(100);
  EXPECT_EQ(first, learnMerges(100));
  std::set<std::string> produced;
  for (const auto& merge : first) produced.insert(merge.first + merge.second);
  EXPECT_EQ(produced.size(), 100u);
  // Each side of a merge is a byte symbol or the result of an earlier merge.
  std::set<std::string> known(byteLevelAlphabet().begin(), byteLevelAlphabet().end());
  for (const auto& [left, right] : first) {
    EXPECT_TRUE(known.count(left)) << left;
    EXPECT_TRUE(known.count(right)) << right;
    known.insert(left + right);
  }
}

// A plain BPE encoder over the tokenizer.json model: byte symbols, then merges by rank.
std::vector<int64_t> encodeWord(const Json& model, const std::string& word) {
  std::map<std::pair<std::string, std::string>, std::size_t> rank;
  for (std::size_t i = 0; i < model["merges"].size(); ++i) {
    const std::string merge = model["merges"][i];
    const auto space = merge.find(' ');
    rank[{merge.substr(0, space), merge.substr(space + 1)}] = i;
  }
  std::vector<std::string> symbols;
  for (unsigned char byte : word) symbols.push_back(byteLevelAlphabet()[byte]);
  while (symbols.size() > 1) {
    std::size_t best = symbols.size();
    std::size_t bestRank = SIZE_MAX;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = rank.find({symbols[i], symbols[i + 1]});
      if (it != rank.end() && it->second < bestRank) {
        bestRank = it->second;
        best = i;
      }
    }
    if (best == symbols.size()) break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  std::vector<int64_t> ids;
  for (const auto& symbol : symbols) ids.push_back(model["vocab"].at(symbol).get<int64_t>());
  return ids;
}

TEST(BuildTokenizer, HasTheHuggingFaceByteLevelBpeStructure) {
  const TokenizerFiles files = buildTokenizer(TokenizerSpec{512, 1, 2, 0, 4096});
  const Json& tok = files.tokenizer;
  EXPECT_EQ(tok["model"]["type"], "BPE");
  EXPECT_EQ(tok["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(tok["decoder"]["type"], "ByteLevel");
  EXPECT_EQ(tok["post_processor"]["type"], "TemplateProcessing");
  EXPECT_EQ(tok["post_processor"]["special_tokens"]["<s>"]["ids"], Json::array({1}));

  // Vocabulary: ids 0..511 each exactly once; 16 specials, 256 bytes, the rest merges.
  const Json& vocab = tok["model"]["vocab"];
  ASSERT_EQ(vocab.size(), 512u);
  std::set<int64_t> ids;
  for (const auto& [token, id] : vocab.items()) ids.insert(id.get<int64_t>());
  EXPECT_EQ(ids.size(), 512u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 511);
  EXPECT_EQ(vocab["<unk>"], 0);
  EXPECT_EQ(vocab["<s>"], 1);
  EXPECT_EQ(vocab["</s>"], 2);
  EXPECT_EQ(vocab["<|im_start|>"], 10);
  EXPECT_EQ(vocab["<|im_end|>"], 11);
  EXPECT_EQ(vocab[byteLevelAlphabet()[0]], kFirstByteTokenId);
  EXPECT_EQ(vocab[byteLevelAlphabet()[255]], kFirstByteTokenId + 255);
  EXPECT_GE(tok["model"]["merges"].size(), 512u - kMinTokenizerVocab);

  // Added tokens: the 16 specials with their ids, marked special.
  ASSERT_EQ(tok["added_tokens"].size(), static_cast<std::size_t>(kNumSpecialTokens));
  for (const auto& added : tok["added_tokens"]) {
    EXPECT_TRUE(added["special"].get<bool>());
    EXPECT_EQ(vocab[added["content"].get<std::string>()], added["id"]);
  }

  // Every merge's parts and result are in the vocabulary.
  for (const auto& merge : tok["model"]["merges"]) {
    const std::string text = merge;
    const auto space = text.find(' ');
    ASSERT_NE(space, std::string::npos) << text;
    const std::string left = text.substr(0, space), right = text.substr(space + 1);
    EXPECT_TRUE(vocab.contains(left) && vocab.contains(right) && vocab.contains(left + right)) << text;
  }
}

TEST(BuildTokenizer, EncodesCommonWordsIntoFewerTokensAndRoundTrips) {
  const Json tok = buildTokenizer(TokenizerSpec{512, 1, 2, 0, 4096}).tokenizer;
  // " the" appears dozens of times in the training text: it must compress below 4 byte tokens.
  const auto ids = encodeWord(tok["model"], " the");
  EXPECT_LT(ids.size(), 4u);
  std::map<int64_t, std::string> byId;
  for (const auto& [token, id] : tok["model"]["vocab"].items()) byId[id.get<int64_t>()] = token;
  std::string decoded;
  for (int64_t id : ids) decoded += byId.at(id);
  EXPECT_EQ(decoded, "\xC4\xA0the");  // byte-level form of " the"
}

TEST(BuildTokenizer, SpecialTokenFilesFollowTheConfigIds) {
  const TokenizerFiles files = buildTokenizer(TokenizerSpec{512, 1, 11, 0, 4096});
  EXPECT_EQ(files.specialTokensMap["bos_token"]["content"], "<s>");
  EXPECT_EQ(files.specialTokensMap["eos_token"]["content"], "<|im_end|>");
  EXPECT_EQ(files.specialTokensMap["pad_token"]["content"], "<unk>");
  EXPECT_EQ(files.specialTokensMap["unk_token"]["content"], "<unk>");
  EXPECT_EQ(files.tokenizerConfig["eos_token"], "<|im_end|>");
  EXPECT_EQ(files.tokenizerConfig["bos_token"], "<s>");
  EXPECT_EQ(files.tokenizerConfig["added_tokens_decoder"]["11"]["content"], "<|im_end|>");
  EXPECT_EQ(files.tokenizerConfig["model_max_length"], 4096);
  EXPECT_EQ(files.tokenizerConfig["tokenizer_class"], "PreTrainedTokenizerFast");
}

TEST(BuildTokenizer, DeterministicOutput) {
  EXPECT_EQ(buildTokenizer(TokenizerSpec{600, 1, 2, 0, 64}).tokenizer.dump(),
            buildTokenizer(TokenizerSpec{600, 1, 2, 0, 64}).tokenizer.dump());
}

TEST(BuildTokenizer, RejectsVocabularyBelowBytesAndSpecials) {
  const std::string message = badInputMessage([] { buildTokenizer(TokenizerSpec{200, 1, 2, 0, 64}); });
  EXPECT_NE(message.find("vocab_size 200"), std::string::npos) << message;
}

TEST(BuildTokenizer, RejectsEosOutsideSpecialRange) {
  const std::string message = badInputMessage([] { buildTokenizer(TokenizerSpec{512, 1, 40, 0, 64}); });
  EXPECT_NE(message.find("eos_token_id 40"), std::string::npos) << message;
}

TEST(BuildTokenizer, RejectsNegativePadId) {
  const std::string message = badInputMessage([] { buildTokenizer(TokenizerSpec{512, 1, 2, -1, 64}); });
  EXPECT_NE(message.find("pad_token_id"), std::string::npos) << message;
}

TEST(BuildTokenizer, VocabularyBeyondTheTrainingTextIsAnInternalError) {
  try {
    buildTokenizer(TokenizerSpec{200000, 1, 2, 0, 64});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(error.what()).find("too few merges"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nhb::fixture
