#include "bridge/model/hf_inspection.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "bridge/io/hf_checkpoint.h"
#include "bridge/model/hf_parameters.h"

namespace nhb::model {
namespace {

namespace fs = std::filesystem;

const char* kindOfSymbol(char symbol) {
  switch (symbol) {
    case 'M': return "mamba";
    case '*': return "attention";
    case '-': return "mlp";
    case 'E': return "moe";
    case 'T': return "mtp";
  }
  return "global";
}

// The summary row a tensor belongs to, from its name: backbone.layers.{i}. takes the pattern
// symbol of layer i; mtp.layers.* is MTP; everything else is global.
char rowOf(const std::string& name, const std::string& pattern) {
  static const std::string kBackbone = "backbone.layers.";
  if (name.rfind("mtp.layers.", 0) == 0) return 'T';
  if (name.rfind(kBackbone, 0) == 0) {
    std::size_t end = kBackbone.size();
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    if (end > kBackbone.size() && end < name.size() && name[end] == '.') {
      const auto layer = std::stoull(name.substr(kBackbone.size(), end - kBackbone.size()));
      if (layer < pattern.size()) return pattern[layer];
    }
  }
  return 'G';
}

void addProblem(Inspection& out, ProblemKind kind, const std::string& subject, const std::string& message) {
  out.problems.push_back(Problem{kind, subject, message});
}

}  // namespace

const char* problemKindName(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::MissingTensor: return "missing_tensor";
    case ProblemKind::UnexpectedTensor: return "unexpected_tensor";
    case ProblemKind::ShapeMismatch: return "shape_mismatch";
    case ProblemKind::DTypeMismatch: return "dtype_mismatch";
    case ProblemKind::CorrectionBiasNotFp32: return "correction_bias_not_fp32";
    case ProblemKind::MissingTokenizerFile: return "missing_tokenizer_file";
  }
  return "unknown";
}

Inspection inspectHfCheckpoint(const fs::path& dir) {
  const io::HfCheckpoint checkpoint = io::HfCheckpoint::open(dir);
  const config::HfConfig& config = checkpoint.config();
  const io::SafetensorsCheckpoint& stored = checkpoint.tensors();

  Inspection out;
  out.dir = dir;
  out.pattern = config.pattern;
  out.mtpPattern = config.hasMtp() ? config.mtpPattern : "";
  out.mtpDepths = config.hasMtp() ? config.numNextnPredictLayers : 0;
  out.modelDType = modelDType(config);
  out.shardFiles = stored.fileNames();
  out.hasIndex = stored.hasIndex();

  // Summary rows: the symbols the config uses, in M * - E order, then MTP and global.
  std::map<char, LayerTypeSummary> rows;
  for (char symbol : std::string("M*-E")) {
    const auto layers = static_cast<int64_t>(std::count(config.pattern.begin(), config.pattern.end(), symbol));
    if (layers > 0) rows[symbol] = LayerTypeSummary{symbol, kindOfSymbol(symbol), layers, 0, 0};
  }
  if (config.hasMtp()) rows['T'] = LayerTypeSummary{'T', "mtp", config.mtpPhysicalLayers(), 0, 0};
  rows['G'] = LayerTypeSummary{'G', "global", 0, 0, 0};

  for (const std::string& name : stored.names()) {  // sorted
    const io::SafetensorsEntry& entry = stored.entry(name);
    out.tensors.push_back(InspectedTensor{name, entry.dtype, entry.shape, stored.fileOf(name), entry.nbytes()});
    const int64_t numel = numelChecked(entry.shape);
    ++out.totalTensors;
    out.totalParameters += numel;
    out.totalBytes += entry.nbytes();
    auto row = rows.find(rowOf(name, config.pattern));
    if (row == rows.end()) row = rows.find('G');
    ++row->second.tensors;
    row->second.parameters += numel;
  }
  for (char symbol : std::string("M*-ETG"))
    if (rows.count(symbol)) out.layerTypes.push_back(rows[symbol]);

  // Problems: the inventory against the stored tensors, both ways.
  const std::vector<HfParameter> expected = hfParameters(config);
  std::map<std::string, const HfParameter*> expectedByName;
  for (const auto& p : expected) expectedByName[p.name] = &p;
  for (const auto& p : expected) {
    if (!stored.contains(p.name)) {
      addProblem(out, ProblemKind::MissingTensor, p.name,
                 p.name + ": missing (the config implies " + std::string(shortName(p.dtype(out.modelDType))) + " " +
                     shapeToString(p.shape) + ")");
      continue;
    }
    const io::SafetensorsEntry& entry = stored.entry(p.name);
    if (entry.shape != p.shape)
      addProblem(out, ProblemKind::ShapeMismatch, p.name,
                 p.name + ": shape " + shapeToString(entry.shape) + ", the config implies " + shapeToString(p.shape));
    const DType want = p.dtype(out.modelDType);
    if (entry.dtype != want) {
      const bool correctionBias = p.role == DTypeRole::Fp32;
      addProblem(out, correctionBias ? ProblemKind::CorrectionBiasNotFp32 : ProblemKind::DTypeMismatch, p.name,
                 p.name + ": dtype " + std::string(shortName(entry.dtype)) + ", expected " +
                     std::string(shortName(want)) +
                     (correctionBias ? " (e_score_correction_bias is always stored in fp32)" : " (the model dtype)"));
    }
  }
  for (const std::string& name : stored.names())
    if (!expectedByName.count(name))
      addProblem(out, ProblemKind::UnexpectedTensor, name,
                 name + ": in " + stored.fileOf(name) + " but not implied by config.json");

  for (const char* file : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
    std::error_code ignored;
    if (!fs::is_regular_file(dir / file, ignored))
      addProblem(out, ProblemKind::MissingTokenizerFile, file, (dir / file).string() + ": missing tokenizer file");
  }
  return out;
}

nlohmann::ordered_json inspectionToJson(const Inspection& in) {
  using Json = nlohmann::ordered_json;
  Json tensors = Json::array();
  for (const auto& t : in.tensors)
    tensors.push_back(Json{{"name", t.name},
                           {"dtype", std::string(safetensorsName(t.dtype))},
                           {"shape", t.shape},
                           {"file", t.file},
                           {"bytes", t.nbytes}});
  Json layerTypes = Json::array();
  for (const auto& row : in.layerTypes)
    layerTypes.push_back(Json{{"symbol", std::string(1, row.symbol)},
                              {"kind", row.kind},
                              {"layers", row.layers},
                              {"tensors", row.tensors},
                              {"parameters", row.parameters}});
  Json problems = Json::array();
  for (const auto& p : in.problems)
    problems.push_back(Json{{"kind", problemKindName(p.kind)}, {"subject", p.subject}, {"message", p.message}});
  return Json{{"dir", in.dir.string()},
              {"pattern", in.pattern},
              {"mtp_pattern", in.mtpPattern},
              {"mtp_depths", in.mtpDepths},
              {"dtype", std::string(shortName(in.modelDType))},
              {"has_index", in.hasIndex},
              {"shard_files", in.shardFiles},
              {"totals", Json{{"tensors", in.totalTensors},
                              {"parameters", in.totalParameters},
                              {"bytes", in.totalBytes}}},
              {"layer_types", layerTypes},
              {"problems", problems},
              {"tensors", tensors}};
}

std::string inspectionToText(const Inspection& in) {
  std::ostringstream out;
  out << "checkpoint: " << in.dir.string() << "\n";
  out << "pattern:    " << in.pattern << " (" << in.pattern.size() << " layers)";
  if (in.mtpDepths > 0) out << ", MTP " << in.mtpPattern << " x " << in.mtpDepths;
  out << "\n";
  out << "dtype:      " << shortName(in.modelDType) << "\n";
  out << "files:      " << in.shardFiles.size() << " safetensors file(s)"
      << (in.hasIndex ? " + model.safetensors.index.json" : "") << "\n\n";

  auto pad = [](const std::string& text, std::size_t width) {
    return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
  };
  std::size_t nameWidth = 0, shapeWidth = 0;
  for (const auto& t : in.tensors) {
    nameWidth = std::max(nameWidth, t.name.size());
    shapeWidth = std::max(shapeWidth, shapeToString(t.shape).size());
  }
  out << "tensors:\n";
  for (const auto& t : in.tensors)
    out << "  " << pad(t.name, nameWidth) << "  " << pad(std::string(shortName(t.dtype)), 6)
        << pad(shapeToString(t.shape), shapeWidth) << "  " << t.file << "\n";
  out << "\nlayer types:\n";
  for (const auto& row : in.layerTypes) {
    out << "  " << row.symbol << " " << pad(row.kind, 10);
    if (row.symbol == 'G')
      out << "embeddings, norm_f, lm_head: ";
    else
      out << row.layers << " layers, ";
    out << row.tensors << " tensors, " << row.parameters << " parameters\n";
  }
  out << "\ntotals: " << in.totalTensors << " tensors, " << in.totalParameters << " parameters, " << in.totalBytes
      << " bytes\n";
  if (in.problems.empty()) {
    out << "problems: none\n";
  } else {
    out << "problems: " << in.problems.size() << "\n";
    for (const auto& p : in.problems) out << "  [" << problemKindName(p.kind) << "] " << p.message << "\n";
  }
  return out.str();
}

}  // namespace nhb::model
