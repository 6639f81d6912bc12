#include "bridge/io/megatron_legacy.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "bridge/core/error.h"
#include "bridge/io/torch/torch_save.h"

namespace nhb::io {
namespace {

constexpr const char* kRankDirPrefix = "mp_rank_";
constexpr const char* kArchiveName = "model_optim_rng";  // torch.save names the folder after the file stem

void checkSizes(const MegatronParallelSizes& sizes) {
  if (sizes.tp < 1 || sizes.pp < 1 || sizes.ep < 1)
    badInput("parallel sizes must be >= 1, got tp=" + std::to_string(sizes.tp) + " pp=" + std::to_string(sizes.pp) +
             " ep=" + std::to_string(sizes.ep));
}

std::string padded(int64_t value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

std::size_t rankIndex(const MegatronRankId& rank, const MegatronParallelSizes& sizes) {
  return (static_cast<std::size_t>(rank.pp) * sizes.ep + rank.ep) * sizes.tp + rank.tp;
}

std::string rankToString(const MegatronRankId& rank) {
  return "(tp " + std::to_string(rank.tp) + ", pp " + std::to_string(rank.pp) + ", ep " + std::to_string(rank.ep) + ")";
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::optional<int64_t> argInt(const nlohmann::ordered_json& args, const char* name) {
  if (!args.is_object()) return std::nullopt;
  auto it = args.find(name);
  if (it == args.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// The parallel sizes must agree with the args Megatron checks on load; fill them when absent.
void reconcileArgs(nlohmann::ordered_json& args, const MegatronParallelSizes& sizes) {
  const std::pair<const char*, int> fields[] = {
      {"tensor_model_parallel_size", sizes.tp},
      {"pipeline_model_parallel_size", sizes.pp},
      {"expert_model_parallel_size", sizes.ep},
  };
  for (const auto& [name, value] : fields) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null()) {
      args[name] = value;
    } else if (!it->is_number_integer() || it->get<int64_t>() != value) {
      badInput(std::string("args.") + name + " is " + it->dump() + " but the checkpoint is written with " +
               std::to_string(value));
    }
  }
}

std::string trimmed(std::string s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

void writeTextAtomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) fail(ErrorKind::Io, path.string() + ": cannot write " + temp.string());
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) fail(ErrorKind::Io, path.string() + ": cannot rename " + temp.string() + " into place: " + error.message());
}

struct ParsedRankDir {
  std::vector<int> parts;  // tp, then one or two more
};

std::optional<ParsedRankDir> parseRankDir(const std::string& name) {
  if (name.rfind(kRankDirPrefix, 0) != 0) return std::nullopt;
  ParsedRankDir parsed;
  std::string rest = name.substr(std::string(kRankDirPrefix).size());
  std::stringstream stream(rest);
  std::string part;
  while (std::getline(stream, part, '_')) {
    if (!allDigits(part) || part.size() > 6) return ParsedRankDir{};
    parsed.parts.push_back(std::stoi(part));
  }
  if (parsed.parts.empty() || parsed.parts.size() > 3 || rest.back() == '_') return ParsedRankDir{};
  return parsed;
}

}  // namespace

std::string megatronRankDirName(const MegatronRankId& rank, const MegatronParallelSizes& sizes) {
  checkSizes(sizes);
  if (rank.tp < 0 || rank.tp >= sizes.tp || rank.pp < 0 || rank.pp >= sizes.pp || rank.ep < 0 || rank.ep >= sizes.ep)
    badInput("rank " + rankToString(rank) + " is outside the layout tp=" + std::to_string(sizes.tp) +
             " pp=" + std::to_string(sizes.pp) + " ep=" + std::to_string(sizes.ep));
  std::string name = kRankDirPrefix + padded(rank.tp, 2);
  if (sizes.pp > 1) name += "_" + padded(rank.pp, 3);
  if (sizes.ep > 1) name += "_" + padded(rank.ep, 3);
  return name;
}

std::string megatronIterationDirName(std::optional<int64_t> iteration) {
  if (!iteration) return "release";
  if (*iteration < 0) badInput("iteration must be >= 0, got " + std::to_string(*iteration));
  return "iter_" + padded(*iteration, 7);
}

std::vector<MegatronRankId> allMegatronRanks(const MegatronParallelSizes& sizes) {
  checkSizes(sizes);
  std::vector<MegatronRankId> ranks;
  ranks.reserve(static_cast<std::size_t>(sizes.rankCount()));
  for (int pp = 0; pp < sizes.pp; ++pp)
    for (int ep = 0; ep < sizes.ep; ++ep)
      for (int tp = 0; tp < sizes.tp; ++tp) ranks.push_back({tp, pp, ep});
  return ranks;
}

// ---------------------------------------------------------------------------------------------
// Writer

MegatronLegacyWriter::MegatronLegacyWriter(MegatronLegacyWriteOptions options) : options_(std::move(options)) {
  checkSizes(options_.sizes);
  megatronIterationDirName(options_.iteration);  // validates
  if (!options_.args.is_null()) {
    if (!options_.args.is_object())
      badInput("Megatron args must be a JSON object (name -> value), got " + std::string(options_.args.type_name()));
    reconcileArgs(options_.args, options_.sizes);
  }
  written_.assign(static_cast<std::size_t>(options_.sizes.rankCount()), false);
  std::error_code error;
  std::filesystem::create_directories(iterationDir(), error);
  if (error) fail(ErrorKind::Io, iterationDir().string() + ": cannot create directory: " + error.message());
}

std::filesystem::path MegatronLegacyWriter::iterationDir() const {
  return options_.root / megatronIterationDirName(options_.iteration);
}

std::filesystem::path MegatronLegacyWriter::rankFilePath(const MegatronRankId& rank) const {
  return iterationDir() / megatronRankDirName(rank, options_.sizes) / kMegatronRankFileName;
}

void MegatronLegacyWriter::writeRank(const MegatronRankId& rank, const StateDictEntries& entries) {
  const std::filesystem::path path = rankFilePath(rank);  // validates the rank
  if (!options_.overwrite && std::filesystem::exists(path))
    badInput(path.string() + ": rank file already exists (pass overwrite to replace it)");
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) fail(ErrorKind::Io, path.parent_path().string() + ": cannot create directory: " + error.message());

  // Megatron's generate_state_dict order: args, checkpoint_version, iteration, model.
  TorchSaveBuilder builder;
  PickleDocument& doc = builder.doc();
  PickleValue* root = doc.makeDict();
  if (!options_.args.is_null()) {
    PickleValue* attributes = jsonToPickle(doc, options_.args);
    root->entries.emplace_back(doc.makeString("args"),
                               doc.makeObject({"argparse", "Namespace"}, nullptr, attributes));
  }
  root->entries.emplace_back(doc.makeString("checkpoint_version"), doc.makeFloat(3.0));
  root->entries.emplace_back(doc.makeString("iteration"), doc.makeInt(options_.iteration.value_or(0)));
  root->entries.emplace_back(doc.makeString("model"), builder.addStateDict(entries));

  TorchSaveOptions saveOptions;
  saveOptions.archiveName = kArchiveName;
  saveOptions.overwrite = true;  // existence was checked above
  withContext("writing rank " + rankToString(rank), [&] { builder.save(path, *root, saveOptions); });
  written_[rankIndex(rank, options_.sizes)] = true;
}

void MegatronLegacyWriter::finish() {
  std::vector<std::string> missing;
  for (const MegatronRankId& rank : allMegatronRanks(options_.sizes))
    if (!written_[rankIndex(rank, options_.sizes)]) missing.push_back(megatronRankDirName(rank, options_.sizes));
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 8) list += ", ...";
    badInput(iterationDir().string() + ": " + std::to_string(missing.size()) +
             " rank file(s) were never written: " + list);
  }
  const std::filesystem::path tracker = options_.root / kMegatronTrackerFileName;
  if (!options_.overwrite && std::filesystem::exists(tracker))
    badInput(tracker.string() + ": tracker file already exists (pass overwrite to replace it)");
  writeTextAtomically(tracker, options_.iteration ? std::to_string(*options_.iteration) : "release");
}

// ---------------------------------------------------------------------------------------------
// Reader

const TorchStateDict& MegatronRankState::chunk_(std::size_t chunk) const {
  if (chunk >= chunks_.size())
    badInput(path_.string() + ": model chunk " + std::to_string(chunk) + " requested but the file has " +
             std::to_string(chunks_.size()));
  return chunks_[chunk];
}

MegatronRankState loadMegatronRankFile(const std::filesystem::path& path) {
  MegatronRankState state;
  state.path_ = path;
  state.file_ = TorchFile::open(path);
  const PickleValue& root = state.file_->root();
  if (root.kind != PickleKind::Dict)
    badInput(path.string() + ": top-level object is a " + root.describe() + ", expected a dict with a 'model' key");

  if (const PickleValue* model = root.find("model")) {
    state.chunks_.push_back(withContext("'model'", [&] { return TorchStateDict::fromDict(state.file_, *model); }));
  } else {
    for (int chunk = 0;; ++chunk) {
      const std::string key = "model" + std::to_string(chunk);
      const PickleValue* model = root.find(key);
      if (!model) break;
      state.chunks_.push_back(withContext("'" + key + "'", [&] { return TorchStateDict::fromDict(state.file_, *model); }));
    }
  }
  if (state.chunks_.empty()) badInput(path.string() + ": no 'model' (or 'model0') state dict in the checkpoint");

  if (const PickleValue* version = root.find("checkpoint_version")) {
    if (version->kind == PickleKind::Float) state.checkpointVersion_ = version->real;
    else if (version->kind == PickleKind::Int) state.checkpointVersion_ = static_cast<double>(version->integer);
    else badInput(path.string() + ": checkpoint_version is a " + version->describe());
  }
  if (const PickleValue* iteration = root.find("iteration")) {
    if (iteration->kind != PickleKind::Int) badInput(path.string() + ": iteration is a " + iteration->describe());
    state.iteration_ = iteration->integer;
  }
  if (const PickleValue* args = root.find("args"); args && args->kind != PickleKind::None)
    state.args_ = withContext(path.string() + ": args", [&] { return pickleToJson(*args); });
  return state;
}

MegatronLegacyCheckpoint MegatronLegacyCheckpoint::open(const std::filesystem::path& root) {
  MegatronLegacyCheckpoint checkpoint;
  const std::filesystem::path tracker = root / kMegatronTrackerFileName;
  std::error_code error;
  if (std::filesystem::is_regular_file(tracker, error)) {
    std::ifstream in(tracker, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = trimmed(buffer.str());
    if (text == "release") {
      checkpoint.iteration_ = std::nullopt;
    } else if (allDigits(text) && text.size() <= 18) {
      checkpoint.iteration_ = std::stoll(text);
    } else {
      badInput(tracker.string() + ": contains '" + text.substr(0, 40) + "', expected an iteration number or 'release'");
    }
    checkpoint.iterationDir_ = root / megatronIterationDirName(checkpoint.iteration_);
    if (!std::filesystem::is_directory(checkpoint.iterationDir_, error))
      badInput(tracker.string() + ": names iteration directory " + checkpoint.iterationDir_.string() +
               ", which does not exist");
  } else {
    // An iteration directory given directly.
    checkpoint.iterationDir_ = root;
    const std::string name = root.filename().string();
    if (name == "release") checkpoint.iteration_ = std::nullopt;
    else if (name.rfind("iter_", 0) == 0 && allDigits(name.substr(5))) checkpoint.iteration_ = std::stoll(name.substr(5));
    else checkpoint.iteration_ = 0;
  }

  // Rank directories.
  std::map<std::vector<int>, std::string> found;
  std::size_t partCount = 0;
  if (!std::filesystem::is_directory(checkpoint.iterationDir_, error))
    badInput(checkpoint.iterationDir_.string() + ": not a directory (expected a Megatron checkpoint)");
  for (const auto& entry : std::filesystem::directory_iterator(checkpoint.iterationDir_)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    auto parsed = parseRankDir(name);
    if (!parsed) continue;
    if (parsed->parts.empty())
      badInput(entry.path().string() + ": unrecognised rank directory name (expected mp_rank_TT[_PPP][_EEE])");
    if (partCount && parsed->parts.size() != partCount)
      badInput(checkpoint.iterationDir_.string() + ": rank directories mix naming schemes ('" + found.begin()->second +
               "' and '" + name + "')");
    partCount = parsed->parts.size();
    found.emplace(parsed->parts, name);
  }
  if (found.empty())
    badInput(checkpoint.iterationDir_.string() + ": no mp_rank_* directories (not a legacy torch-format Megatron checkpoint)");

  // Rank 0's args decide what a two-part name means.
  const std::vector<int> zero(partCount, 0);
  auto first = found.find(zero);
  if (first == found.end())
    badInput(checkpoint.iterationDir_.string() + ": missing rank file " +
             (checkpoint.iterationDir_ / (kRankDirPrefix + padded(0, 2)) / kMegatronRankFileName).string() +
             " (no rank-0 directory)");
  const std::filesystem::path firstFile = checkpoint.iterationDir_ / first->second / kMegatronRankFileName;
  if (!std::filesystem::is_regular_file(firstFile, error)) badInput("missing rank file " + firstFile.string());
  {
    // Only the args are needed here: decode the pickle, leave the tensors alone.
    std::shared_ptr<const TorchFile> file = TorchFile::open(firstFile);
    const PickleValue* args = file->root().kind == PickleKind::Dict ? file->root().find("args") : nullptr;
    if (args && args->kind != PickleKind::None)
      checkpoint.args_ = withContext(firstFile.string() + ": args", [&] { return pickleToJson(*args); });
  }

  const int64_t argsTp = argInt(checkpoint.args_, "tensor_model_parallel_size").value_or(1);
  const int64_t argsPp = argInt(checkpoint.args_, "pipeline_model_parallel_size").value_or(1);
  const int64_t argsEp = argInt(checkpoint.args_, "expert_model_parallel_size").value_or(1);
  const bool secondIsEp = partCount == 2 && argsPp <= 1 && argsEp > 1;

  MegatronParallelSizes sizes;
  for (const auto& [parts, name] : found) {
    sizes.tp = std::max(sizes.tp, parts[0] + 1);
    if (partCount == 3) {
      sizes.pp = std::max(sizes.pp, parts[1] + 1);
      sizes.ep = std::max(sizes.ep, parts[2] + 1);
    } else if (partCount == 2) {
      (secondIsEp ? sizes.ep : sizes.pp) = std::max(secondIsEp ? sizes.ep : sizes.pp, parts[1] + 1);
    }
  }
  // Whole missing directories are only visible through the args.
  auto widen = [&](int& size, int64_t fromArgs, bool named, const char* field) {
    if (fromArgs <= size) return;
    if (!named)
      badInput(checkpoint.iterationDir_.string() + ": args." + field + " = " + std::to_string(fromArgs) +
               " but the rank directory names carry no such dimension");
    size = static_cast<int>(fromArgs);
  };
  widen(sizes.tp, argsTp, true, "tensor_model_parallel_size");
  widen(sizes.pp, argsPp, partCount == 3 || (partCount == 2 && !secondIsEp), "pipeline_model_parallel_size");
  widen(sizes.ep, argsEp, partCount == 3 || (partCount == 2 && secondIsEp), "expert_model_parallel_size");
  checkpoint.sizes_ = sizes;
  // Name rank files the way this checkpoint does, even where a dimension of size 1 is spelled out.
  checkpoint.namesPp_ = partCount == 3 || (partCount == 2 && !secondIsEp);
  checkpoint.namesEp_ = partCount == 3 || (partCount == 2 && secondIsEp);

  std::vector<std::string> missing;
  for (const MegatronRankId& rank : allMegatronRanks(sizes)) {
    const std::filesystem::path file = checkpoint.rankFilePath(rank);
    if (!std::filesystem::is_regular_file(file, error)) missing.push_back(file.string());
  }
  if (!missing.empty())
    badInput("missing rank file " + missing.front() +
             (missing.size() > 1 ? " (and " + std::to_string(missing.size() - 1) + " more)" : std::string()) +
             " in a tp=" + std::to_string(sizes.tp) + " pp=" + std::to_string(sizes.pp) + " ep=" +
             std::to_string(sizes.ep) + " checkpoint");
  return checkpoint;
}

std::filesystem::path MegatronLegacyCheckpoint::rankFilePath(const MegatronRankId& rank) const {
  megatronRankDirName(rank, sizes_);  // validates the range
  std::string name = kRankDirPrefix + padded(rank.tp, 2);
  if (namesPp_) name += "_" + padded(rank.pp, 3);
  if (namesEp_) name += "_" + padded(rank.ep, 3);
  return iterationDir_ / name / kMegatronRankFileName;
}

MegatronRankState MegatronLegacyCheckpoint::loadRank(const MegatronRankId& rank) const {
  return loadMegatronRankFile(rankFilePath(rank));
}

}  // namespace nhb::io
