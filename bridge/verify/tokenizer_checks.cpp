#include "bridge/verify/tokenizer_checks.h"

#include <map>
#include <set>

#include "bridge/convert/layout.h"
#include "bridge/core/error.h"
#include "bridge/tokenizer/special_tokens.h"
#include "bridge/tokenizer/tokenizer_files.h"
#include "bridge/tokenizer/tokenizer_json.h"

namespace nhb::verify {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using tokenizer::SpecialRole;

namespace {

Check makeCheck(const std::string& id, const std::string& name) { return newCheck(CheckCategory::Tokenizer, id, name); }

std::string joinLines(const std::vector<std::string>& lines, std::size_t limit = 6) {
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < limit; ++i) out += (i ? "; " : "") + lines[i];
  if (lines.size() > limit) out += "; ... (" + std::to_string(lines.size()) + " in all)";
  return out;
}

// Fails with the failures, else warns with the warnings, else passes with `passMessage`.
void judge(Check& check, const std::vector<std::string>& failures, const std::vector<std::string>& warnings,
           const std::string& passMessage) {
  if (!failures.empty()) {
    check.verdict = Verdict::Fail;
    check.message = joinLines(failures);
  } else if (!warnings.empty()) {
    check.verdict = Verdict::Warn;
    check.message = joinLines(warnings);
  } else {
    check.verdict = Verdict::Pass;
    check.message = passMessage;
  }
}

struct ParsedTokenizer {
  std::optional<tokenizer::TokenizerJson> json;
  std::string error;  // why it did not parse ("" when absent or parsed)
  bool present = false;
};

ParsedTokenizer parseIn(const fs::path& dir) {
  ParsedTokenizer p;
  p.present = fs::exists(dir / "tokenizer.json");
  if (!p.present) return p;
  try {
    p.json = tokenizer::loadTokenizerJson(dir / "tokenizer.json");
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::Internal) throw;
    p.error = error.what();
  }
  return p;
}

Json summaryJson(const tokenizer::TokenizerJson& t) {
  Json added = Json::array();
  for (const auto& a : t.addedTokens) added.push_back(Json{{"id", a.id}, {"content", a.content}, {"special", a.special}});
  return Json{{"file", t.source},           {"model_type", t.modelType},
              {"vocab_size", t.vocabSize()}, {"model_vocab_entries", t.modelVocabEntries},
              {"merges", t.mergesCount},     {"added_tokens", added},
              {"pre_tokenizer", t.preTokenizerType}, {"post_processor", t.postProcessorType}};
}

Check filesCheck(const fs::path& sourceDir, const fs::path& exportedDir) {
  Check check = makeCheck("tokenizer.files", "tokenizer and other non-weight files carried over unchanged");
  const auto files = tokenizer::compareExtraFiles(sourceDir, exportedDir);
  std::vector<std::string> failures, warnings;
  Json list = Json::array();
  int64_t identical = 0;
  for (const auto& f : files) {
    list.push_back(Json{{"name", f.name},
                        {"kind", std::string(io::extraFileKindName(f.kind))},
                        {"status", tokenizer::fileStatusName(f.status)},
                        {"expected_size", f.expectedSize},
                        {"actual_size", f.actualSize}});
    switch (f.status) {
      case tokenizer::FileStatus::Identical: ++identical; break;
      case tokenizer::FileStatus::Missing: failures.push_back(f.name + " missing from " + exportedDir.string()); break;
      case tokenizer::FileStatus::Different:
        failures.push_back(f.name + " differs (" + std::to_string(f.expectedSize) + " -> " +
                           std::to_string(f.actualSize) + " bytes)");
        break;
      case tokenizer::FileStatus::Unexpected: warnings.push_back(f.name + " appears only in " + exportedDir.string()); break;
    }
  }
  check.details["files"] = list;
  check.metrics.set("files_compared_count", static_cast<double>(files.size()));
  check.metrics.set("files_failed_count", static_cast<double>(failures.size()));
  judge(check, failures, warnings, std::to_string(identical) + " files byte-identical");
  return check;
}

Check fastCheck(const fs::path& checkedDir) {
  Check check = makeCheck("tokenizer.fast", "fast tokenizer available");
  const std::vector<std::string> problems = tokenizer::fastTokenizerProblems(checkedDir);
  if (!problems.empty()) {
    check.verdict = Verdict::Fail;
    check.message = joinLines(problems);
  } else {
    check.verdict = Verdict::Pass;
    check.message = "tokenizer.json present, use_fast not disabled";
  }
  return check;
}

Check parseCheck(const ParsedTokenizer& source, const ParsedTokenizer& checked, const fs::path& checkedDir) {
  Check check = makeCheck("tokenizer.parse", "tokenizer.json parses");
  if (!checked.present) {
    check.verdict = Verdict::Skip;
    check.message = (checkedDir / "tokenizer.json").string() + ": missing (see tokenizer.files / tokenizer.fast)";
    return check;
  }
  if (!checked.json) {
    check.verdict = Verdict::Fail;
    check.message = checked.error;
    return check;
  }
  const auto& t = *checked.json;
  check.metrics.set("vocab_size", static_cast<double>(t.vocabSize()));
  check.metrics.set("merges_count", static_cast<double>(t.mergesCount));
  check.metrics.set("added_tokens_count", static_cast<double>(t.addedTokens.size()));
  check.details = summaryJson(t);
  check.verdict = Verdict::Pass;
  check.message = t.source + ": " + t.modelType + ", " + std::to_string(t.vocabSize()) + " tokens, " +
                  std::to_string(t.mergesCount) + " merges, " + std::to_string(t.addedTokens.size()) +
                  " added tokens, pre-tokenizer " + (t.preTokenizerType.empty() ? "none" : t.preTokenizerType) +
                  ", post-processor " + (t.postProcessorType.empty() ? "none" : t.postProcessorType);
  if (source.json && &source != &checked) {
    const auto& s = *source.json;
    std::vector<std::string> changes;
    if (s.modelType != t.modelType) changes.push_back("model type " + s.modelType + " -> " + t.modelType);
    if (s.vocabSize() != t.vocabSize())
      changes.push_back("vocab size " + std::to_string(s.vocabSize()) + " -> " + std::to_string(t.vocabSize()));
    if (s.mergesCount != t.mergesCount)
      changes.push_back("merges " + std::to_string(s.mergesCount) + " -> " + std::to_string(t.mergesCount));
    if (s.addedTokens.size() != t.addedTokens.size())
      changes.push_back("added tokens " + std::to_string(s.addedTokens.size()) + " -> " + std::to_string(t.addedTokens.size()));
    if (s.preTokenizerType != t.preTokenizerType)
      changes.push_back("pre-tokenizer " + s.preTokenizerType + " -> " + t.preTokenizerType);
    if (s.postProcessorType != t.postProcessorType)
      changes.push_back("post-processor " + s.postProcessorType + " -> " + t.postProcessorType);
    if (!changes.empty()) {
      check.verdict = Verdict::Fail;
      check.message = t.source + " differs from the source: " + joinLines(changes);
    }
  }
  return check;
}

// "file key" -> (file, ids), to see what the export changed.
std::map<std::string, std::pair<std::string, std::vector<int64_t>>> declarationMap(
    const tokenizer::SpecialTokenTable& table) {
  std::map<std::string, std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& d : table.declarations)
    out[d.file + " " + d.key] = {d.file, d.resolved ? d.ids : std::vector<int64_t>{-1}};
  return out;
}

Json tableJson(const tokenizer::SpecialTokenTable& table) {
  Json list = Json::array();
  for (const auto& d : table.declarations) {
    Json j{{"role", tokenizer::specialRoleName(d.role)}, {"file", d.file}, {"key", d.key}, {"ids", d.ids}};
    if (d.content) j["content"] = *d.content;
    j["resolved"] = d.resolved;
    list.push_back(j);
  }
  return list;
}

Check specialIdsCheck(const fs::path& sourceDir, const fs::path& checkedDir, const ParsedTokenizer& sourceTok,
                      const ParsedTokenizer& checkedTok, int64_t sourceVocab, int64_t checkedVocab) {
  Check check = makeCheck("tokenizer.special_ids", "special-token ids agree and exist");
  const auto sourceTable = tokenizer::collectSpecialTokens(sourceDir, sourceTok.json ? &*sourceTok.json : nullptr);
  const auto checkedTable = tokenizer::collectSpecialTokens(checkedDir, checkedTok.json ? &*checkedTok.json : nullptr);
  const auto sourceDisagreements = tokenizer::findDisagreements(sourceTable);
  const auto checkedDisagreements = tokenizer::findDisagreements(checkedTable);
  const auto outOfVocab = tokenizer::findOutOfVocabulary(checkedTable, checkedTok.json ? &*checkedTok.json : nullptr, checkedVocab);
  const auto sourceOutOfVocab =
      tokenizer::findOutOfVocabulary(sourceTable, sourceTok.json ? &*sourceTok.json : nullptr, sourceVocab);

  std::vector<std::string> failures, warnings;
  const auto before = declarationMap(sourceTable), after = declarationMap(checkedTable);
  for (const auto& [key, declared] : before) {
    const auto& [file, ids] = declared;
    auto it = after.find(key);
    if (it == after.end()) {
      // A file absent from the copy (a Megatron hf_files/ has no config.json) is tokenizer.files' finding.
      if (fs::exists(checkedDir / file)) failures.push_back(key + " no longer declared");
    } else if (it->second.second != ids) {
      auto list = [](const std::vector<int64_t>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
        return s;
      };
      failures.push_back(key + " changed " + list(ids) + " -> " + list(it->second.second));
    }
  }
  for (const auto& entry : after)
    if (!before.count(entry.first)) failures.push_back(entry.first + " newly declared");
  const std::set<std::string> known(sourceDisagreements.begin(), sourceDisagreements.end());
  for (const auto& line : checkedDisagreements) {
    if (known.count(line)) warnings.push_back("in the source already: " + line);
    else failures.push_back(line);
  }
  for (const auto& line : outOfVocab) failures.push_back("not in the vocabulary: " + line);
  if (checkedDir != sourceDir)
    for (const auto& line : sourceOutOfVocab) warnings.push_back("source: not in the vocabulary: " + line);

  check.details["source"] = tableJson(sourceTable);
  if (checkedDir != sourceDir) check.details["exported"] = tableJson(checkedTable);
  check.details["disagreements"] = checkedDisagreements;
  check.metrics.set("declarations_count", static_cast<double>(checkedTable.declarations.size()));
  check.metrics.set("disagreement_count", static_cast<double>(checkedDisagreements.size()));
  check.metrics.set("out_of_vocab_count", static_cast<double>(outOfVocab.size()));
  judge(check, failures, warnings,
        std::to_string(checkedTable.declarations.size()) +
            " declarations of bos/eos/pad/unk agree and are in the vocabulary");
  return check;
}

Check vocabFitsCheck(const ParsedTokenizer& checkedTok, const io::HfCheckpoint& model) {
  Check check = makeCheck("tokenizer.vocab_fits_embedding", "tokenizer vocabulary fits the embedding");
  if (!checkedTok.json) {
    check.verdict = Verdict::Skip;
    check.message = "no parsed tokenizer.json";
    return check;
  }
  const int64_t vocab = checkedTok.json->vocabSize();
  const int64_t configVocab = model.config().vocabSize;
  check.metrics.set("tokenizer_vocab_size", static_cast<double>(vocab));
  check.metrics.set("config_vocab_size", static_cast<double>(configVocab));
  std::vector<std::string> failures;
  if (!model.tensors().contains(kEmbeddingTensorName)) {
    failures.push_back(model.dir().string() + ": no tensor " + kEmbeddingTensorName);
  } else {
    const TensorView embedding = model.tensors().view(kEmbeddingTensorName);
    const int64_t rows = embedding.rank() > 0 ? embedding.dim(0) : 0;
    check.metrics.set("embedding_rows", static_cast<double>(rows));
    if (vocab > rows)
      failures.push_back(checkedTok.json->source + " has " + std::to_string(vocab) + " tokens but " +
                         kEmbeddingTensorName + " in " + model.dir().string() + " has " + std::to_string(rows) + " rows");
    if (rows != configVocab)
      failures.push_back(kEmbeddingTensorName + std::string(" has ") + std::to_string(rows) + " rows but " +
                         model.config().source + " vocab_size is " + std::to_string(configVocab));
  }
  if (vocab > configVocab)
    failures.push_back(checkedTok.json->source + " has " + std::to_string(vocab) + " tokens but " +
                       model.config().source + " vocab_size is " + std::to_string(configVocab));
  judge(check, failures, {}, std::to_string(vocab) + " tokens <= " + std::to_string(configVocab) + " embedding rows");
  return check;
}

Check zeroRowsCheck(const fs::path& checkedDir, const ParsedTokenizer& checkedTok, const io::HfCheckpoint& model) {
  Check check = makeCheck("tokenizer.zero_embedding_rows", "special tokens have trained embedding rows");
  if (!model.tensors().contains(kEmbeddingTensorName)) {
    check.verdict = Verdict::Skip;
    check.message = model.dir().string() + ": no tensor " + kEmbeddingTensorName;
    return check;
  }
  const TensorView embedding = model.tensors().view(kEmbeddingTensorName);
  const auto table = tokenizer::collectSpecialTokens(checkedDir, checkedTok.json ? &*checkedTok.json : nullptr);
  std::vector<std::string> zero;
  Json rows = Json::array();
  for (const auto& [id, roles] : table.distinctIds()) {
    if (id < 0 || embedding.rank() == 0 || id >= embedding.dim(0)) continue;  // tokenizer.special_ids reports it
    if (!tokenizer::isZeroRow(embedding, id)) continue;
    std::string names;
    for (std::size_t i = 0; i < roles.size(); ++i) names += (i ? "/" : "") + std::string(tokenizer::specialRoleName(roles[i]));
    const std::string* token = checkedTok.json ? checkedTok.json->tokenOf(id) : nullptr;
    zero.push_back(names + " id " + std::to_string(id) + (token ? " \"" + *token + "\"" : std::string()));
    rows.push_back(Json{{"id", id}, {"token", token ? Json(*token) : Json(nullptr)}, {"roles", names}});
  }
  check.details["zero_rows"] = rows;
  check.metrics.set("zero_row_count", static_cast<double>(zero.size()));
  if (zero.empty()) {
    check.verdict = Verdict::Pass;
    check.message = "every declared special token has a non-zero row in " + std::string(kEmbeddingTensorName);
  } else {
    check.verdict = Verdict::Warn;
    check.message = "all-zero embedding rows (untrained tokens) for " + joinLines(zero);
  }
  return check;
}

}  // namespace

Check megatronVocabCheck(int64_t hfVocab, int64_t tokenizerVocab, const MegatronSideInfo& m) {
  Check check = makeCheck("tokenizer.megatron_vocab", "Megatron padded vocabulary");
  check.metrics.set("padded_vocab_size", static_cast<double>(m.paddedVocab));
  check.metrics.set("hf_vocab_size", static_cast<double>(hfVocab));
  check.metrics.set("tokenizer_vocab_size", static_cast<double>(tokenizerVocab));
  check.thresholds.set("make_vocab_size_divisible_by", static_cast<double>(m.vocabDivisibleBy));
  check.thresholds.set("tp", static_cast<double>(m.tp));
  check.details = Json{{"pad_vocab", m.padVocab}, {"from_record", m.fromRecord}};
  std::vector<std::string> failures;
  if (m.paddedVocab < hfVocab)
    failures.push_back("padded vocab " + std::to_string(m.paddedVocab) + " < HF vocab_size " + std::to_string(hfVocab));
  if (m.paddedVocab < tokenizerVocab)
    failures.push_back("padded vocab " + std::to_string(m.paddedVocab) + " < tokenizer vocabulary " +
                       std::to_string(tokenizerVocab));
  if (m.tp <= 0 || m.paddedVocab % m.tp != 0)
    failures.push_back("padded vocab " + std::to_string(m.paddedVocab) + " not divisible by tp " + std::to_string(m.tp));
  if (m.padVocab) {
    if (m.vocabDivisibleBy <= 0) {
      failures.push_back("make_vocab_size_divisible_by " + std::to_string(m.vocabDivisibleBy) + " must be positive");
    } else {
      const int64_t expected = convert::paddedVocabSize(hfVocab, m.vocabDivisibleBy, m.tp);
      if (m.paddedVocab != expected)
        failures.push_back("padded vocab " + std::to_string(m.paddedVocab) + " but ceil(" + std::to_string(hfVocab) +
                           " / (" + std::to_string(m.vocabDivisibleBy) + " * tp " + std::to_string(m.tp) + ")) * " +
                           std::to_string(m.vocabDivisibleBy * m.tp) + " = " + std::to_string(expected));
    }
  } else if (m.paddedVocab != hfVocab) {
    failures.push_back("vocab padding off but the Megatron vocab is " + std::to_string(m.paddedVocab) +
                       " rows, HF vocab_size " + std::to_string(hfVocab));
  }
  judge(check, failures, {},
        "Megatron vocab " + std::to_string(m.paddedVocab) + " rows" +
            (m.padVocab ? " (padded to a multiple of " + std::to_string(m.vocabDivisibleBy * m.tp) + ")"
                        : std::string(" (unpadded)")));
  return check;
}

std::vector<Check> tokenizerChecks(const TokenizerCheckInputs& inputs) {
  if (inputs.source == nullptr) fail(ErrorKind::Internal, "tokenizerChecks: no source checkpoint");
  const io::HfCheckpoint& source = *inputs.source;
  const io::HfCheckpoint& model = inputs.exportedModel ? *inputs.exportedModel : source;
  const fs::path sourceDir = source.dir();
  const fs::path checkedDir = inputs.exportedFilesDir.value_or(sourceDir);

  std::vector<Check> checks;
  if (inputs.exportedFilesDir) {
    checks.push_back(filesCheck(sourceDir, checkedDir));
  } else {
    Check files = makeCheck("tokenizer.files", "tokenizer and other non-weight files carried over unchanged");
    files.verdict = Verdict::Skip;
    files.message = "no exported copy to compare";
    checks.push_back(std::move(files));
  }
  checks.push_back(fastCheck(checkedDir));

  const ParsedTokenizer sourceTok = parseIn(sourceDir);
  ParsedTokenizer exportedTok;  // parsed only when there is a separate copy (a real vocab is large)
  if (checkedDir != sourceDir) exportedTok = parseIn(checkedDir);
  const ParsedTokenizer& checkedTok = checkedDir != sourceDir ? exportedTok : sourceTok;
  checks.push_back(parseCheck(sourceTok, checkedTok, checkedDir));

  auto vocabOf = [](const ParsedTokenizer& t, const io::HfCheckpoint& m) {
    return t.json ? t.json->vocabSize() : m.config().vocabSize;
  };
  checks.push_back(specialIdsCheck(sourceDir, checkedDir, sourceTok, checkedTok, vocabOf(sourceTok, source),
                                   vocabOf(checkedTok, model)));
  checks.push_back(vocabFitsCheck(checkedTok, model));
  checks.push_back(zeroRowsCheck(checkedDir, checkedTok, model));
  if (inputs.megatron) {
    checks.push_back(megatronVocabCheck(source.config().vocabSize, vocabOf(sourceTok, source), *inputs.megatron));
  } else {
    Check megatron = makeCheck("tokenizer.megatron_vocab", "Megatron padded vocabulary");
    megatron.verdict = Verdict::Skip;
    megatron.message = "no Megatron checkpoint";
    checks.push_back(std::move(megatron));
  }
  return checks;
}

}  // namespace nhb::verify
