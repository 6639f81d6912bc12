#include "harness/verify/verify_tokens.h"

#include <algorithm>
#include <string>

#include "bridge/core/error.h"

namespace nhb::harness {

std::vector<std::vector<int64_t>> defaultVerifyTokens(int64_t vocabSize, int64_t chunkSize, int64_t maxTokens) {
  if (vocabSize < 1) badInput("verify tokens: vocab size " + std::to_string(vocabSize) + " must be positive");
  if (chunkSize < 1) badInput("verify tokens: chunk size " + std::to_string(chunkSize) + " must be positive");
  if (maxTokens < 1) badInput("verify tokens: --max-tokens " + std::to_string(maxTokens) + " must be positive");
  // SplitMix64: a fixed, platform-independent stream (std:: distributions are not portable).
  uint64_t state = 0x6e6862726964676dull;  // "nhbridgm"
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<std::vector<int64_t>> sequences;
  for (int64_t length : {chunkSize - 1, chunkSize + 1, 2 * chunkSize + 1}) {
    length = std::clamp<int64_t>(length, 1, maxTokens);
    std::vector<int64_t> ids(static_cast<size_t>(length));
    for (int64_t& id : ids) id = static_cast<int64_t>(next() % static_cast<uint64_t>(vocabSize));
    sequences.push_back(std::move(ids));
  }
  return sequences;
}

void checkTokensInVocab(const std::vector<std::vector<int64_t>>& sequences, int64_t vocabSize,
                        const std::string& source) {
  for (size_t s = 0; s < sequences.size(); ++s) {
    for (int64_t id : sequences[s]) {
      if (id < 0 || id >= vocabSize) {
        badInput(source + ": sequence " + std::to_string(s + 1) + ": token id " + std::to_string(id) +
                 " is outside the vocabulary [0, " + std::to_string(vocabSize) + ")");
      }
    }
  }
}

}  // namespace nhb::harness
