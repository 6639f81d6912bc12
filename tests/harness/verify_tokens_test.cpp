// The default verify token set: lengths straddle the Mamba chunk size, capped by --max-tokens; ids
// are deterministic and inside the vocabulary; bad arguments and out-of-vocabulary tokens are
// BadInput naming what is wrong.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "bridge/core/error.h"
#include "harness/verify/verify_tokens.h"

namespace nhb::harness {
namespace {

std::vector<size_t> lengths(const std::vector<std::vector<int64_t>>& sequences) {
  std::vector<size_t> out;
  for (const auto& s : sequences) out.push_back(s.size());
  return out;
}

void expectBadInput(const std::function<void()>& fn, const std::string& messagePart) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected " << messagePart;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find(messagePart), std::string::npos) << error.what();
  }
}

TEST(VerifyTokens, LengthsStraddleTheChunkSize) {
  EXPECT_EQ(lengths(defaultVerifyTokens(512, 16, 64)), (std::vector<size_t>{15, 17, 33}));
  EXPECT_EQ(lengths(defaultVerifyTokens(512, 128, 1000)), (std::vector<size_t>{127, 129, 257}));
}

TEST(VerifyTokens, MaxTokensCapsEverySequence) {
  EXPECT_EQ(lengths(defaultVerifyTokens(512, 128, 64)), (std::vector<size_t>{64, 64, 64}));
  EXPECT_EQ(lengths(defaultVerifyTokens(512, 16, 20)), (std::vector<size_t>{15, 17, 20}));
  EXPECT_EQ(lengths(defaultVerifyTokens(512, 1, 1)), (std::vector<size_t>{1, 1, 1}));  // chunk 1: 0 -> 1
}

TEST(VerifyTokens, IdsAreDeterministicAndInVocabulary) {
  const auto a = defaultVerifyTokens(7, 16, 64);
  EXPECT_EQ(a, defaultVerifyTokens(7, 16, 64));
  std::vector<bool> seen(7, false);
  for (const auto& sequence : a)
    for (int64_t id : sequence) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, 7);
      seen[static_cast<size_t>(id)] = true;
    }
  // 65 draws over 7 ids: a usable stream hits every id.
  for (size_t id = 0; id < seen.size(); ++id) EXPECT_TRUE(seen[id]) << id;
  // Not a constant or a counter.
  EXPECT_NE(a[0][0], a[0][1]);
  EXPECT_NE(a[1], std::vector<int64_t>(a[0].begin(), a[0].end()));
}

TEST(VerifyTokens, NonPositiveVocabIsBadInput) {
  expectBadInput([] { defaultVerifyTokens(0, 16, 64); }, "vocab size 0");
}
TEST(VerifyTokens, NonPositiveChunkIsBadInput) {
  expectBadInput([] { defaultVerifyTokens(512, 0, 64); }, "chunk size 0");
}
TEST(VerifyTokens, NonPositiveMaxTokensIsBadInput) {
  expectBadInput([] { defaultVerifyTokens(512, 16, 0); }, "--max-tokens 0");
}

TEST(VerifyTokens, TokenOutsideVocabularyIsBadInput) {
  checkTokensInVocab({{0, 1, 511}}, 512, "--tokens");  // the last id fits
  expectBadInput([] { checkTokensInVocab({{1, 2}, {3, 512}}, 512, "tokens.txt"); },
                 "tokens.txt: sequence 2: token id 512 is outside the vocabulary [0, 512)");
  expectBadInput([] { checkTokensInVocab({{-1}}, 512, "--tokens"); }, "token id -1");
}

}  // namespace
}  // namespace nhb::harness
