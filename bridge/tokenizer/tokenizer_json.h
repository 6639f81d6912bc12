// What a Hugging Face `tokenizers` tokenizer.json declares, read without encoding anything: the
// model type and vocabulary, merges, added tokens, pre-tokenizer and post-processor
// (hf-nemotron-h.md §6, peers-and-formats.md §4.1). Enough to check ids and vocabulary sizes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhb::tokenizer {

using Json = nlohmann::ordered_json;

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;
};

struct TokenizerJson {
  std::string source;                        // file named in errors
  std::string modelType;                     // "BPE", "WordPiece", "Unigram", ...
  int64_t modelVocabEntries = 0;             // entries of model.vocab
  int64_t mergesCount = 0;                   // BPE merges (0 for other models)
  std::vector<AddedToken> addedTokens;
  std::string preTokenizerType;              // "ByteLevel", "Sequence(Split, ByteLevel)", "" when null
  std::string postProcessorType;             // "TemplateProcessing", "" when null
  std::unordered_map<std::string, int64_t> tokenToId;  // model vocab and added tokens
  std::unordered_map<int64_t, std::string> idToToken;

  // max id + 1 over the model vocabulary and the added tokens: the embedding rows the tokenizer needs.
  int64_t vocabSize() const { return maxId_ + 1; }
  std::optional<int64_t> idOf(const std::string& token) const;
  const std::string* tokenOf(int64_t id) const;  // nullptr when the id is not in the vocabulary

  int64_t maxId_ = -1;
};

// BadInput naming `source` and the field ("model.vocab", "added_tokens[3].id") when the file does not
// have the tokenizers layout: model object with a type, an object vocab (BPE/WordPiece/WordLevel)
// or a list of [piece, score] (Unigram), merges as "a b" strings or [a, b] pairs, duplicate ids.
TokenizerJson parseTokenizerJson(const Json& json, const std::string& source);
TokenizerJson loadTokenizerJson(const std::filesystem::path& path);

}  // namespace nhb::tokenizer
