#include "bridge/convert/checkpoint_convert.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <unordered_map>

#include "bridge/config/json_read.h"
#include "bridge/config/megatron_args.h"
#include "bridge/config/provider_config.h"
#include "bridge/config/translate.h"
#include "bridge/convert/conversion_record.h"
#include "bridge/convert/execute.h"
#include "bridge/convert/legacy_checkpoint_source.h"
#include "bridge/core/error.h"
#include "bridge/io/atomic_output.h"
#include "bridge/io/hf_checkpoint.h"
#include "bridge/io/megatron_legacy.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/sharded_safetensors.h"

namespace nhb::convert {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

int workerCount(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

void copyFiles(const fs::path& fromDir, const std::vector<io::ExtraFile>& files, const fs::path& toDir) {
  if (files.empty()) return;
  fs::create_directories(toDir);
  for (const io::ExtraFile& file : files) {
    std::error_code error;
    fs::copy_file(fromDir / file.name, toDir / file.name, fs::copy_options::overwrite_existing, error);
    if (error) fail(ErrorKind::Io, (fromDir / file.name).string() + ": copy failed: " + error.message());
  }
}

// ---- HF source / Megatron sink adapters --------------------------------------------------

class SafetensorsSource : public HfTensorSource {
 public:
  explicit SafetensorsSource(const io::SafetensorsCheckpoint& tensors) : tensors_(tensors) {}
  std::vector<std::string> tensorNames() const override { return tensors_.names(); }
  std::optional<TensorView> find(const std::string& name) const override {
    if (!tensors_.contains(name)) return std::nullopt;
    return tensors_.view(name);
  }
  std::string describe(const std::string& name) const override {
    if (!tensors_.contains(name)) return tensors_.dir().string();
    return (tensors_.dir() / tensors_.fileOf(name)).string();
  }

 private:
  const io::SafetensorsCheckpoint& tensors_;
};

class LegacyWriterSink : public MegatronStateSink {
 public:
  explicit LegacyWriterSink(io::MegatronLegacyWriter& writer) : writer_(writer) {}
  void beginRank(const RankPlan& rank) override {
    rank_ = rank.rank;
    entries_.clear();
    keep_.clear();
  }
  void put(const PlanEntry& entry, const TensorView* tensor, Tensor& owned) override {
    switch (entry.value) {
      case mapping::EntryValue::None:
        entries_.push_back(io::StateDictEntry::none(entry.key));
        return;
      case mapping::EntryValue::EmptyBytes:
        keep_.emplace_back(DType::U8, Shape{0});
        entries_.push_back(io::StateDictEntry::of(entry.key, keep_.back().view()));
        return;
      case mapping::EntryValue::Tensor:
        if (owned.nbytes() > 0 && owned.data() == tensor->data) {
          keep_.push_back(std::move(owned));
          entries_.push_back(io::StateDictEntry::of(entry.key, keep_.back().view()));
        } else {
          entries_.push_back(io::StateDictEntry::of(entry.key, *tensor));
        }
        return;
    }
  }
  void endRank() override {
    writer_.writeRank({static_cast<int>(rank_.tp), static_cast<int>(rank_.pp), static_cast<int>(rank_.ep)}, entries_);
    entries_.clear();
    keep_.clear();
  }

 private:
  io::MegatronLegacyWriter& writer_;
  Rank rank_;
  io::StateDictEntries entries_;
  std::deque<Tensor> keep_;  // deque: views stay valid as it grows
};

}  // namespace

ConversionSummary convertHfToMegatron(const HfToMegatronOptions& options) {
  io::HfCheckpoint hf = io::HfCheckpoint::open(options.hfDir);
  const std::string configSource = (options.hfDir / "config.json").string();
  const mapping::ModelDims dims = mapping::dimsFromHfConfig(hf.config(), configSource);
  const Plan plan = planConversion(dims, options.layout, configSource);
  config::ProviderConfig provider = config::hfToProvider(hf.config());

  io::AtomicOutputDir out(options.outDir, options.overwrite);
  io::MegatronLegacyWriteOptions writeOptions;
  writeOptions.root = out.path();
  writeOptions.iteration = options.iteration;
  writeOptions.sizes = {static_cast<int>(plan.layout.tp), static_cast<int>(plan.layout.pp),
                        static_cast<int>(plan.layout.ep)};
  writeOptions.args = config::providerToMegatronArgs(provider, static_cast<int>(plan.layout.tp));
  writeOptions.args["padded_vocab_size"] = plan.megatronVocab;
  writeOptions.args["expert_tensor_parallel_size"] = plan.layout.etp;
  io::MegatronLegacyWriter writer(writeOptions);
  LegacyWriterSink sink(writer);
  SafetensorsSource source(hf.tensors());
  ExecuteOptions executeOptions;
  executeOptions.threads = workerCount(options.threads);
  executeOptions.progress = options.progress;
  ImportResult imported = executeHfToMegatron(plan, source, sink, executeOptions);
  writer.finish();

  Json record;
  record["format"] = "nhbridge-megatron-legacy";
  record["version"] = 1;
  record["layout"] = layoutToRecord(plan.layout);
  record["padded_vocab_size"] = plan.megatronVocab;
  Json dtypes = Json::object();
  for (const auto& [name, dtype] : imported.castSources) dtypes[name] = std::string(shortName(dtype));
  record["hf_dtypes"] = dtypes;
  record["hf_config"] = hf.config().raw;
  config::writeConfigFile(out.path() / kConversionRecordName, record);
  config::writeConfigFile(out.path() / kProviderConfigName, config::providerToJson(provider));
  copyFiles(options.hfDir, hf.extraFiles(), out.path() / kCopiedHfFilesDir);
  out.commit();
  return {plan.ranks.size(), imported.entries, imported.tensorBytes};
}

namespace {

// Hands tensors to the sharded writer in its order, holding early arrivals until their turn.
class OrderedShardSink : public HfTensorSink {
 public:
  explicit OrderedShardSink(io::ShardedSafetensorsWriter& writer) : writer_(writer) {
    for (const io::TensorSpec& spec : writer.writeOrder()) order_.push_back(spec.name);
  }
  void put(const std::string& name, const TensorView& tensor) override {
    if (next_ < order_.size() && order_[next_] == name) {
      writer_.write(name, tensor);
      ++next_;
      flush();
      return;
    }
    pending_.emplace(name, Tensor::copyOf(tensor));
  }
  void finish() {
    flush();
    if (!pending_.empty()) fail(ErrorKind::Internal, "tensor " + pending_.begin()->first + " was never written");
  }

 private:
  void flush() {
    while (next_ < order_.size()) {
      auto it = pending_.find(order_[next_]);
      if (it == pending_.end()) return;
      writer_.write(it->first, it->second.view());
      pending_.erase(it);
      ++next_;
    }
  }
  io::ShardedSafetensorsWriter& writer_;
  std::vector<std::string> order_;
  std::size_t next_ = 0;
  std::unordered_map<std::string, Tensor> pending_;
};


// What export needs to know about a Megatron checkpoint: from nhbridge_conversion.json when
// hf-to-megatron wrote it, else from the rank files' args and key names.
struct MegatronDescription {
  Layout layout;
  mapping::ModelDims dims;
  config::ProviderConfig provider;
  std::optional<Json> storedHfConfig;
  std::map<std::string, DType> restore;
};

MegatronDescription describeFromRecord(const fs::path& recordPath) {
  MegatronDescription out;
  const Json record = config::readConfigFile(recordPath);
  if (!record.contains("hf_config") || !record.contains("layout")) {
    badInput(recordPath.string() + ": missing \"hf_config\" or \"layout\"");
  }
  out.layout = layoutFromRecord(record["layout"], recordPath.string());
  out.layout.paddedVocab = paddedVocabFromRecord(record, recordPath.string()).value_or(0);
  const config::HfConfig hfConfig = config::parseHfConfig(record["hf_config"], recordPath.string() + " hf_config");
  out.dims = mapping::dimsFromHfConfig(hfConfig, recordPath.string());
  out.provider = config::hfToProvider(hfConfig);
  out.storedHfConfig = record["hf_config"];
  out.restore = hfDTypesFromRecord(record, recordPath.string());
  return out;
}

bool anyKey(const std::vector<std::string>& keys, const std::string& needle) {
  for (const std::string& key : keys) {
    if (key.find(needle) != std::string::npos) return true;
  }
  return false;
}

MegatronDescription describeFromArgs(const io::MegatronLegacyCheckpoint& checkpoint, const MegatronShardSource& source,
                                     const fs::path& dir) {
  const std::string where = dir.string() + " (no " + kConversionRecordName + ")";
  if (checkpoint.args().is_null()) {
    badInput(where + ": the rank files carry no args, so the model config is unknown");
  }
  MegatronDescription out;
  out.provider = config::providerFromMegatronArgs(checkpoint.args(), where + " args");
  out.dims = mapping::dimsFromProvider(out.provider, where + " args");
  Layout& layout = out.layout;
  layout.tp = checkpoint.sizes().tp;
  layout.pp = checkpoint.sizes().pp;
  layout.ep = checkpoint.sizes().ep;
  // Megatron's expert_tensor_parallel_size defaults to the tensor parallel size.
  const Json& etp = checkpoint.args().contains("expert_tensor_parallel_size")
                        ? checkpoint.args()["expert_tensor_parallel_size"]
                        : Json();
  layout.etp = etp.is_number_integer() ? etp.get<int64_t>() : layout.tp;
  if (out.dims.experts == 0) layout.etp = 1;
  const config::HybridPattern pattern = out.provider.pattern();
  if (pattern.hasPipelineSeparators()) {
    for (std::size_t i = 0; i < pattern.segments.size(); ++i) layout.pipelinePattern += (i ? "|" : "") + pattern.segments[i];
  }
  // Spec and naming from the keys of the first TP/EP rank of every stage.
  std::vector<std::string> keys;
  for (int64_t pp = 0; pp < layout.pp; ++pp) {
    for (const std::string& key : source.keys({0, pp, 0})) keys.push_back(key);
  }
  const bool te = anyKey(keys, "mixer.in_proj.layer_norm_weight") || anyKey(keys, "linear_qkv.layer_norm_weight") ||
                  anyKey(keys, "mlp.linear_fc1.layer_norm_weight");
  layout.naming = te ? mapping::Naming::TransformerEngine : mapping::Naming::Local;
  layout.conv1d = anyKey(keys, "mixer.conv1d.weight") ? mapping::Conv1dNaming::Legacy : mapping::Conv1dNaming::Current;
  layout.experts = anyKey(keys, ".local_experts.") ? mapping::ExpertStorage::Sequential : mapping::ExpertStorage::Grouped;
  std::optional<TensorView> embedding = source.find({0, 0, 0}, "embedding.word_embeddings.weight");
  if (!embedding || embedding->shape.empty()) {
    badInput(source.describe({0, 0, 0}) + ": missing key embedding.word_embeddings.weight");
  }
  layout.paddedVocab = embedding->shape[0] * layout.tp;
  return out;
}

}  // namespace

ConversionSummary convertMegatronToHf(const MegatronToHfOptions& options) {
  io::MegatronLegacyCheckpoint checkpoint = io::MegatronLegacyCheckpoint::open(options.megatronDir);
  LegacyCheckpointSource source(checkpoint);
  const fs::path recordPath = options.megatronDir / kConversionRecordName;
  std::optional<io::HfCheckpoint> reference;
  if (options.referenceHf) reference.emplace(io::HfCheckpoint::open(*options.referenceHf));

  MegatronDescription described = fs::exists(recordPath)
                                      ? describeFromRecord(recordPath)
                                      : describeFromArgs(checkpoint, source, options.megatronDir);
  const Layout& layout = described.layout;
  const io::MegatronParallelSizes expected{static_cast<int>(layout.tp), static_cast<int>(layout.pp),
                                           static_cast<int>(layout.ep)};
  if (!(checkpoint.sizes() == expected)) {
    badInput(options.megatronDir.string() + ": rank files are for tp " + std::to_string(checkpoint.sizes().tp) +
             ", pp " + std::to_string(checkpoint.sizes().pp) + ", ep " + std::to_string(checkpoint.sizes().ep) +
             " but " + kConversionRecordName + " says tp " + std::to_string(layout.tp) + ", pp " +
             std::to_string(layout.pp) + ", ep " + std::to_string(layout.ep));
  }
  const Plan plan = planConversion(described.dims, layout, options.megatronDir.string());
  std::map<std::string, DType>& restore = described.restore;
  if (reference && !described.storedHfConfig) {
    // A foreign checkpoint: give every tensor the reference's dtype (A_log/D are fp32 in MCore).
    for (const std::string& name : reference->tensors().names()) restore.emplace(name, reference->tensors().view(name).dtype);
  }

  // Output specs (dtype from the first shard, or the recorded HF dtype) and shard layout.
  std::vector<io::TensorSpec> specs;
  for (const ExportTask& task : planExport(plan)) {
    const RankPlan& rank = plan.ranks[task.shards.front().rankIndex];
    const std::string& key = rank.entries[task.shards.front().entryIndex].key;
    std::optional<TensorView> first = source.find(rank.rank, key);
    if (!first) badInput(source.describe(rank.rank) + ": missing key " + key);
    for (std::size_t t = 0; t < task.targets.size(); ++t) {
      auto restored = restore.find(task.targets[t]);
      specs.push_back({task.targets[t], restored != restore.end() ? restored->second : first->dtype,
                       task.targetShapes[t]});
    }
  }

  io::AtomicOutputDir out(options.outDir, options.overwrite);
  io::ShardedWriterOptions writerOptions;
  writerOptions.maxShardBytes = options.maxShardBytes;
  io::ShardedSafetensorsWriter writer(out.path(), writerOptions);
  if (reference) {
    std::vector<std::pair<io::TensorSpec, std::string>> assignment;
    for (io::TensorSpec& spec : specs) {
      if (!reference->tensors().contains(spec.name)) {
        badInput(options.referenceHf->string() + ": reference checkpoint has no tensor " + spec.name);
      }
      std::string file = reference->tensors().fileOf(spec.name);
      assignment.emplace_back(std::move(spec), std::move(file));
    }
    writer.planAssigned(std::move(assignment));
  } else {
    writer.plan(std::move(specs));
  }
  OrderedShardSink sink(writer);
  ExportOptions exportOptions;
  exportOptions.threads = workerCount(options.threads);
  exportOptions.progress = options.progress;
  exportOptions.restoreDTypes = restore;
  const uint64_t bytes = executeMegatronToHf(plan, source, sink, exportOptions);
  sink.finish();
  writer.finish();

  // config.json: provider -> HF conformed to the reference config (or the stored source config).
  if (reference) {
    config::writeConfigFile(out.path() / "config.json", config::providerToHfJson(described.provider, reference->config().raw));
  } else if (described.storedHfConfig) {
    config::writeConfigFile(out.path() / "config.json", config::providerToHfJson(described.provider, *described.storedHfConfig));
  } else {
    config::writeConfigFile(out.path() / "config.json", config::providerToHfJson(described.provider));
  }
  if (reference) {
    copyFiles(reference->dir(), reference->extraFiles(), out.path());
  } else if (fs::is_directory(options.megatronDir / kCopiedHfFilesDir)) {
    copyFiles(options.megatronDir / kCopiedHfFilesDir, io::listExtraFiles(options.megatronDir / kCopiedHfFilesDir),
              out.path());
  }
  out.commit();
  return {plan.ranks.size(), writer.writeOrder().size(), bytes};
}

}  // namespace nhb::convert
