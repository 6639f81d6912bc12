#include "bridge/tokenizer/tokenizer_json.h"

#include <fstream>

#include "bridge/core/error.h"

namespace nhb::tokenizer {
namespace {

[[noreturn]] void bad(const std::string& source, const std::string& field, const std::string& why) {
  badInput(source + ": " + field + ": " + why);
}

std::string componentType(const Json& component, const std::string& source, const std::string& field) {
  if (component.is_null()) return "";
  if (!component.is_object() || !component.contains("type") || !component["type"].is_string())
    bad(source, field, "expected an object with a string \"type\"");
  std::string type = component["type"].get<std::string>();
  const char* listKey = component.contains("pretokenizers") ? "pretokenizers"
                        : component.contains("processors")  ? "processors"
                                                            : nullptr;
  if (type == "Sequence" && listKey != nullptr && component[listKey].is_array()) {
    type += "(";
    std::size_t i = 0;
    for (const Json& part : component[listKey]) {
      type += (i ? ", " : "") + componentType(part, source, field + "." + listKey + "[" + std::to_string(i) + "]");
      ++i;
    }
    type += ")";
  }
  return type;
}

void addToken(TokenizerJson& t, const std::string& token, int64_t id, const std::string& field) {
  if (id < 0) bad(t.source, field, "negative id " + std::to_string(id));
  t.tokenToId.emplace(token, id);  // added tokens may repeat a vocab entry with the same id
  auto [it, inserted] = t.idToToken.emplace(id, token);
  if (!inserted && it->second != token)
    bad(t.source, field, "id " + std::to_string(id) + " is both \"" + it->second + "\" and \"" + token + "\"");
  t.maxId_ = std::max(t.maxId_, id);
}

}  // namespace

std::optional<int64_t> TokenizerJson::idOf(const std::string& token) const {
  auto it = tokenToId.find(token);
  if (it == tokenToId.end()) return std::nullopt;
  return it->second;
}

const std::string* TokenizerJson::tokenOf(int64_t id) const {
  auto it = idToToken.find(id);
  return it == idToToken.end() ? nullptr : &it->second;
}

TokenizerJson parseTokenizerJson(const Json& json, const std::string& source) {
  TokenizerJson t;
  t.source = source;
  if (!json.is_object()) badInput(source + ": expected a JSON object at the top level");
  if (!json.contains("model") || !json["model"].is_object()) bad(source, "model", "missing or not an object");
  const Json& model = json["model"];
  if (!model.contains("type") || !model["type"].is_string()) bad(source, "model.type", "missing or not a string");
  t.modelType = model["type"].get<std::string>();
  if (!model.contains("vocab")) bad(source, "model.vocab", "missing");
  const Json& vocab = model["vocab"];
  if (vocab.is_object()) {
    for (const auto& [token, id] : vocab.items()) {
      if (!id.is_number_integer()) bad(source, "model.vocab[\"" + token + "\"]", "expected an integer id, got " + id.dump());
      addToken(t, token, id.get<int64_t>(), "model.vocab[\"" + token + "\"]");
    }
  } else if (vocab.is_array()) {  // Unigram: [[piece, score], ...], id = position
    int64_t id = 0;
    for (const Json& entry : vocab) {
      const std::string field = "model.vocab[" + std::to_string(id) + "]";
      if (!entry.is_array() || entry.empty() || !entry[0].is_string()) bad(source, field, "expected [piece, score]");
      addToken(t, entry[0].get<std::string>(), id, field);
      ++id;
    }
  } else {
    bad(source, "model.vocab", "expected an object or a list");
  }
  t.modelVocabEntries = static_cast<int64_t>(vocab.size());
  if (model.contains("merges") && !model["merges"].is_null()) {
    const Json& merges = model["merges"];
    if (!merges.is_array()) bad(source, "model.merges", "expected a list");
    std::size_t i = 0;
    for (const Json& merge : merges) {
      const bool pairString = merge.is_string() && merge.get<std::string>().find(' ') != std::string::npos;
      const bool pairList = merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string();
      if (!pairString && !pairList)
        bad(source, "model.merges[" + std::to_string(i) + "]", "expected \"a b\" or [\"a\", \"b\"], got " + merge.dump());
      ++i;
    }
    t.mergesCount = static_cast<int64_t>(merges.size());
  }
  if (json.contains("added_tokens") && !json["added_tokens"].is_null()) {
    const Json& added = json["added_tokens"];
    if (!added.is_array()) bad(source, "added_tokens", "expected a list");
    std::size_t i = 0;
    for (const Json& token : added) {
      const std::string field = "added_tokens[" + std::to_string(i++) + "]";
      if (!token.is_object() || !token.contains("id") || !token["id"].is_number_integer() ||
          !token.contains("content") || !token["content"].is_string())
        bad(source, field, "expected {\"id\": integer, \"content\": string, ...}");
      AddedToken a;
      a.id = token["id"].get<int64_t>();
      a.content = token["content"].get<std::string>();
      a.special = token.value("special", false);
      addToken(t, a.content, a.id, field);
      t.addedTokens.push_back(std::move(a));
    }
  }
  t.preTokenizerType = componentType(json.value("pre_tokenizer", Json(nullptr)), source, "pre_tokenizer");
  t.postProcessorType = componentType(json.value("post_processor", Json(nullptr)), source, "post_processor");
  return t;
}

TokenizerJson loadTokenizerJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) badInput(path.string() + ": cannot open");
  Json json;
  try {
    json = Json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    badInput(path.string() + ": not valid JSON: " + error.what());
  }
  return parseTokenizerJson(json, path.string());
}

}  // namespace nhb::tokenizer
