// The fixed token set `nhbridge verify` runs every forward on when no tokens are given:
// deterministic ids, several sequences whose lengths straddle the Mamba chunk size (so the SSD
// scan's chunk boundary and its carried state are exercised), of different lengths (so the batch
// is left-padded and the attention mask path runs too).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nhb::harness {

// Three sequences of lengths chunkSize - 1, chunkSize + 1 and 2 * chunkSize + 1, each capped at
// maxTokens (>= 1). Ids are a fixed pseudo-random stream in [0, vocabSize): the same arguments
// always give the same ids. BadInput for vocabSize < 1, chunkSize < 1 or maxTokens < 1.
std::vector<std::vector<int64_t>> defaultVerifyTokens(int64_t vocabSize, int64_t chunkSize, int64_t maxTokens);

// BadInput naming `source` and the id when a token is outside [0, vocabSize).
void checkTokensInVocab(const std::vector<std::vector<int64_t>>& sequences, int64_t vocabSize,
                        const std::string& source);

}  // namespace nhb::harness
