// Tokenizer fidelity as report checks (issue 5 item 1c): files present and byte-identical after
// export, tokenizer.json parses, special-token ids agree across the four files and exist in the
// vocabulary, the vocabulary fits the embedding, special tokens with all-zero embedding rows,
// the Megatron padded vocabulary, the fast-tokenizer requirement.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "bridge/io/hf_checkpoint.h"
#include "bridge/verify/report_model.h"
#include "bridge/verify/weight_compare.h"

namespace nhb::verify {

// HF checkpoints name the input embedding this way (hf-nemotron-h.md §2).
inline constexpr const char* kEmbeddingTensorName = "backbone.embeddings.weight";

struct TokenizerCheckInputs {
  const io::HfCheckpoint* source = nullptr;    // required: the checkpoint converted from
  // The checked copy of the tokenizer files: the exported HF directory, or a Megatron checkpoint's
  // hf_files/ directory; nullopt: check the source alone (no byte comparison).
  std::optional<std::filesystem::path> exportedFilesDir;
  // The exported model whose embedding rows are checked (nullptr: the source's).
  const io::HfCheckpoint* exportedModel = nullptr;
  std::optional<MegatronSideInfo> megatron;    // for tokenizer.megatron_vocab
};

// Check ids: tokenizer.files, tokenizer.fast, tokenizer.parse, tokenizer.special_ids,
// tokenizer.vocab_fits_embedding, tokenizer.zero_embedding_rows, tokenizer.megatron_vocab.
// Verdicts: a fault the export introduced (a file missing or changed, an id that changed or left
// the vocabulary, a vocabulary larger than the embedding) fails; an inconsistency already present
// in the source (ids that disagree between files, special tokens with untrained rows) warns.
std::vector<Check> tokenizerChecks(const TokenizerCheckInputs& inputs);

// "tokenizer.megatron_vocab" alone: padded rows >= HF vocab; with padding, padded ==
// ceil(vocab / (divisible_by * tp)) * divisible_by * tp; without, padded == vocab; and padded
// divisible by tp (the vocab-parallel embedding splits rows evenly).
Check megatronVocabCheck(int64_t hfVocab, int64_t tokenizerVocab, const MegatronSideInfo& megatron);

}  // namespace nhb::verify
