#include "bridge/convert/conversion_record.h"

#include "bridge/core/error.h"

namespace nhb::convert {
using Json = nlohmann::ordered_json;

namespace {

template <class T>
T field(const Json& object, const char* key, const std::string& source) {
  if (!object.contains(key)) badInput(source + ": missing \"" + key + "\"");
  try {
    return object.at(key).get<T>();
  } catch (const nlohmann::json::exception& error) {
    badInput(source + ": \"" + key + "\": " + error.what());
  }
}

}  // namespace

Json layoutToRecord(const Layout& l) {
  Json j;
  j["tp"] = l.tp;
  j["pp"] = l.pp;
  j["ep"] = l.ep;
  j["etp"] = l.etp;
  j["naming"] = l.naming == mapping::Naming::TransformerEngine ? "te" : "local";
  j["conv1d_naming"] = l.conv1d == mapping::Conv1dNaming::Current ? "new" : "legacy";
  j["experts"] = l.expertStorage() == mapping::ExpertStorage::Grouped ? "grouped" : "sequential";
  j["pad_vocab"] = l.padVocab;
  j["make_vocab_size_divisible_by"] = l.vocabDivisibleBy;
  j["a_log_d_fp32"] = l.aLogDFp32;
  j["pipeline_layout"] = l.pipelinePattern;
  return j;
}

Layout layoutFromRecord(const Json& j, const std::string& source) {
  const std::string where = source + " layout";
  Layout l;
  l.tp = field<int64_t>(j, "tp", where);
  l.pp = field<int64_t>(j, "pp", where);
  l.ep = field<int64_t>(j, "ep", where);
  if (j.contains("etp")) l.etp = field<int64_t>(j, "etp", where);
  if (j.contains("naming"))
    l.naming = field<std::string>(j, "naming", where) == "local" ? mapping::Naming::Local
                                                                 : mapping::Naming::TransformerEngine;
  if (j.contains("conv1d_naming"))
    l.conv1d = field<std::string>(j, "conv1d_naming", where) == "legacy" ? mapping::Conv1dNaming::Legacy
                                                                         : mapping::Conv1dNaming::Current;
  if (j.contains("experts"))
    l.experts = field<std::string>(j, "experts", where) == "sequential" ? mapping::ExpertStorage::Sequential
                                                                        : mapping::ExpertStorage::Grouped;
  if (j.contains("pad_vocab")) l.padVocab = field<bool>(j, "pad_vocab", where);
  if (j.contains("make_vocab_size_divisible_by"))
    l.vocabDivisibleBy = field<int64_t>(j, "make_vocab_size_divisible_by", where);
  if (j.contains("a_log_d_fp32")) l.aLogDFp32 = field<bool>(j, "a_log_d_fp32", where);
  if (j.contains("pipeline_layout")) l.pipelinePattern = field<std::string>(j, "pipeline_layout", where);
  return l;
}

std::optional<int64_t> paddedVocabFromRecord(const Json& record, const std::string& source) {
  if (!record.contains("padded_vocab_size")) return std::nullopt;
  return field<int64_t>(record, "padded_vocab_size", source);
}

std::map<std::string, DType> hfDTypesFromRecord(const Json& record, const std::string& source) {
  std::map<std::string, DType> dtypes;
  const Json hfDTypes = record.value("hf_dtypes", Json::object());  // named: items() must not outlive it
  for (const auto& [name, value] : hfDTypes.items()) {
    const auto dtype = value.is_string() ? dtypeFromUserName(value.get<std::string>()) : std::nullopt;
    if (!dtype) badInput(source + ": hf_dtypes." + name + ": unknown dtype " + value.dump());
    dtypes.emplace(name, *dtype);
  }
  return dtypes;
}

}  // namespace nhb::convert
