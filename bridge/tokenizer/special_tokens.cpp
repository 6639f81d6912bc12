#include "bridge/tokenizer/special_tokens.h"

#include <algorithm>
#include <map>
#include <set>

#include "bridge/config/json_read.h"
#include "bridge/core/error.h"

namespace nhb::tokenizer {
namespace fs = std::filesystem;

const char* specialRoleName(SpecialRole role) {
  switch (role) {
    case SpecialRole::Bos: return "bos";
    case SpecialRole::Eos: return "eos";
    case SpecialRole::Pad: return "pad";
    case SpecialRole::Unk: return "unk";
  }
  return "unknown";
}

std::string SpecialTokenDeclaration::describe() const {
  std::string out = file + " " + key + " ";
  if (content) {
    out += "\"" + *content + "\" (";
    out += resolved && !ids.empty() ? std::to_string(ids.front()) : std::string("not in the vocabulary");
    out += ")";
  } else if (ids.size() == 1) {
    out += std::to_string(ids.front());
  } else {
    out += "[";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
    out += "]";
  }
  return out;
}

std::vector<const SpecialTokenDeclaration*> SpecialTokenTable::forRole(SpecialRole role) const {
  std::vector<const SpecialTokenDeclaration*> out;
  for (const auto& d : declarations)
    if (d.role == role) out.push_back(&d);
  return out;
}

std::vector<std::pair<int64_t, std::vector<SpecialRole>>> SpecialTokenTable::distinctIds() const {
  std::map<int64_t, std::vector<SpecialRole>> byId;
  for (const auto& d : declarations) {
    for (int64_t id : d.ids) {
      auto& roles = byId[id];
      if (std::find(roles.begin(), roles.end(), d.role) == roles.end()) roles.push_back(d.role);
    }
  }
  return {byId.begin(), byId.end()};
}

namespace {

std::optional<Json> readOptionalJson(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  return config::readConfigFile(path);
}

void collectIds(const Json& json, const std::string& file, SpecialTokenTable& table) {
  for (SpecialRole role : kSpecialRoles) {
    const std::string key = std::string(specialRoleName(role)) + "_token_id";
    if (!json.contains(key) || json[key].is_null()) continue;
    SpecialTokenDeclaration d{file, key, role, std::nullopt, {}, true};
    const Json& value = json[key];
    if (value.is_number_integer()) {
      d.ids.push_back(value.get<int64_t>());
    } else if (value.is_array()) {
      for (const Json& id : value) {
        if (!id.is_number_integer()) badInput(file + ": " + key + ": expected integers, got " + value.dump());
        d.ids.push_back(id.get<int64_t>());
      }
    } else {
      badInput(file + ": " + key + ": expected an integer or a list of integers, got " + value.dump());
    }
    table.declarations.push_back(std::move(d));
  }
}

void collectContents(const Json& json, const std::string& file, const std::map<std::string, int64_t>& decoder,
                     const TokenizerJson* tokenizer, SpecialTokenTable& table) {
  for (SpecialRole role : kSpecialRoles) {
    const std::string key = std::string(specialRoleName(role)) + "_token";
    if (!json.contains(key) || json[key].is_null()) continue;
    const Json& value = json[key];
    std::string content;
    if (value.is_string()) content = value.get<std::string>();
    else if (value.is_object() && value.contains("content") && value["content"].is_string())
      content = value["content"].get<std::string>();
    else badInput(file + ": " + key + ": expected a string or {\"content\": string}, got " + value.dump());
    SpecialTokenDeclaration d{file, key, role, content, {}, false};
    auto fromDecoder = decoder.find(content);
    std::optional<int64_t> id;
    if (fromDecoder != decoder.end()) id = fromDecoder->second;
    else if (tokenizer != nullptr) id = tokenizer->idOf(content);
    if (id) {
      d.ids.push_back(*id);
      d.resolved = true;
    }
    table.declarations.push_back(std::move(d));
  }
}

// added_tokens_decoder: {"<id>": {"content": ...}, ...} -> content -> id.
std::map<std::string, int64_t> addedTokensDecoder(const Json& config, const std::string& file) {
  std::map<std::string, int64_t> out;
  if (!config.contains("added_tokens_decoder")) return out;
  const Json& decoder = config["added_tokens_decoder"];
  if (!decoder.is_object()) badInput(file + ": added_tokens_decoder: expected an object");
  for (const auto& [key, token] : decoder.items()) {
    int64_t id = 0;
    try {
      std::size_t used = 0;
      id = std::stoll(key, &used);
      if (used != key.size()) throw std::invalid_argument(key);
    } catch (const std::exception&) {
      badInput(file + ": added_tokens_decoder: key \"" + key + "\" is not an integer id");
    }
    if (!token.is_object() || !token.contains("content") || !token["content"].is_string())
      badInput(file + ": added_tokens_decoder[\"" + key + "\"]: expected {\"content\": string, ...}");
    out.emplace(token["content"].get<std::string>(), id);
  }
  return out;
}

bool containsAll(const std::vector<int64_t>& big, const std::vector<int64_t>& small) {
  for (int64_t id : small)
    if (std::find(big.begin(), big.end(), id) == big.end()) return false;
  return true;
}

}  // namespace

SpecialTokenTable collectSpecialTokens(const fs::path& dir, const TokenizerJson* tokenizer) {
  SpecialTokenTable table;
  if (auto config = readOptionalJson(dir / "config.json")) collectIds(*config, "config.json", table);
  if (auto generation = readOptionalJson(dir / "generation_config.json"))
    collectIds(*generation, "generation_config.json", table);
  std::map<std::string, int64_t> decoder;
  if (auto tokenizerConfig = readOptionalJson(dir / "tokenizer_config.json")) {
    decoder = addedTokensDecoder(*tokenizerConfig, "tokenizer_config.json");
    collectContents(*tokenizerConfig, "tokenizer_config.json", decoder, tokenizer, table);
  }
  if (auto specialMap = readOptionalJson(dir / "special_tokens_map.json"))
    collectContents(*specialMap, "special_tokens_map.json", decoder, tokenizer, table);
  return table;
}

std::vector<std::string> findDisagreements(const SpecialTokenTable& table) {
  std::vector<std::string> out;
  for (SpecialRole role : kSpecialRoles) {
    const auto declarations = table.forRole(role);
    for (std::size_t i = 0; i < declarations.size(); ++i) {
      for (std::size_t j = i + 1; j < declarations.size(); ++j) {
        const auto& a = *declarations[i];
        const auto& b = *declarations[j];
        if (!a.resolved || !b.resolved) continue;  // reported as out of vocabulary
        if (containsAll(a.ids, b.ids) || containsAll(b.ids, a.ids)) continue;
        out.push_back(std::string(specialRoleName(role)) + ": " + a.describe() + " vs " + b.describe());
      }
    }
  }
  return out;
}

std::vector<std::string> findOutOfVocabulary(const SpecialTokenTable& table, const TokenizerJson* tokenizer,
                                             int64_t vocabSize) {
  std::vector<std::string> out;
  for (const auto& d : table.declarations) {
    if (!d.resolved) {
      out.push_back(d.describe());
      continue;
    }
    for (int64_t id : d.ids) {
      if (id < 0 || id >= vocabSize || (tokenizer != nullptr && tokenizer->tokenOf(id) == nullptr)) {
        out.push_back(d.describe() + ": id " + std::to_string(id) + " is not in the vocabulary of " +
                      std::to_string(vocabSize));
        break;
      }
    }
  }
  return out;
}

}  // namespace nhb::tokenizer
