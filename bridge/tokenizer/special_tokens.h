// Special-token ids as each file of a checkpoint declares them: config.json and
// generation_config.json by id (<role>_token_id: an integer, a list, or null), tokenizer_config.json
// and special_tokens_map.json by content (<role>_token: a string or {"content": ...}), resolved to
// ids through tokenizer_config's added_tokens_decoder and then tokenizer.json.
// A known real inconsistency: Nemotron 3 Base declares eos "<|im_end|>" (id 11) in the tokenizer
// files, config.json says 2, generation_config.json [2, 11] (hf-nemotron-h.md §6).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bridge/tokenizer/tokenizer_json.h"

namespace nhb::tokenizer {

enum class SpecialRole { Bos, Eos, Pad, Unk };
inline constexpr SpecialRole kSpecialRoles[] = {SpecialRole::Bos, SpecialRole::Eos, SpecialRole::Pad, SpecialRole::Unk};
const char* specialRoleName(SpecialRole role);  // "bos", "eos", "pad", "unk"

struct SpecialTokenDeclaration {
  std::string file;                    // "config.json", "tokenizer_config.json", ...
  std::string key;                     // "eos_token_id", "eos_token"
  SpecialRole role = SpecialRole::Bos;
  std::optional<std::string> content;  // declared by content (tokenizer files)
  std::vector<int64_t> ids;            // declared ids, or the content's resolved id (empty: unresolved)
  bool resolved = true;                // false: the content is in no vocabulary
  std::string describe() const;        // "tokenizer_config.json eos_token \"</s>\" (2)"
};

struct SpecialTokenTable {
  std::vector<SpecialTokenDeclaration> declarations;  // file order, then role order

  std::vector<const SpecialTokenDeclaration*> forRole(SpecialRole role) const;
  // Every distinct declared (resolved) id with the roles naming it, ascending.
  std::vector<std::pair<int64_t, std::vector<SpecialRole>>> distinctIds() const;
};

// Reads whichever of the four files exist in `dir` (a missing file declares nothing). `tokenizer`
// resolves contents; nullptr: only added_tokens_decoder resolves. BadInput naming the file and key
// for a value of the wrong type.
SpecialTokenTable collectSpecialTokens(const std::filesystem::path& dir, const TokenizerJson* tokenizer);

// Pairs of declarations of one role that disagree, one line each. Two declarations agree when one
// id set contains the other (generation_config's eos list [2, 11] agrees with 2 and with 11).
std::vector<std::string> findDisagreements(const SpecialTokenTable& table);

// Declarations whose content is in no vocabulary or whose id is outside [0, vocabSize) or has no
// token in `tokenizer` (when given), one line each.
std::vector<std::string> findOutOfVocabulary(const SpecialTokenTable& table, const TokenizerJson* tokenizer,
                                             int64_t vocabSize);

}  // namespace nhb::tokenizer
