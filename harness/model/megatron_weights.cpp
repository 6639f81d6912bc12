#include "harness/model/megatron_weights.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "bridge/core/error.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::harness {
namespace {

using io::MegatronRankState;
using Shape = std::vector<int64_t>;

// Reads tensors of one rank file by their Megatron key; every error names the file and the key.
class RankFileReader {
 public:
  RankFileReader(std::shared_ptr<const MegatronRankState> state, at::ScalarType dtype, at::Device device)
      : state_(std::move(state)), dtype_(dtype), device_(device) {}

  bool has(const std::string& key) const {
    const io::StateDictEntry* entry = state_->find(key);
    return entry != nullptr && !entry->isNone();
  }
  // In the model dtype on the model device (Float16Module casts every floating parameter).
  at::Tensor require(const std::string& key, const Shape& shape) const {
    return stored(key, shape).to(device_, dtype_);
  }
  // Kept in its stored dtype (buffers Megatron keeps in fp32, e.g. router.expert_bias).
  at::Tensor requireStored(const std::string& key, const Shape& shape) const {
    return stored(key, shape).to(device_);
  }
  at::Tensor optional(const std::string& key, const Shape& shape) const {
    return has(key) ? require(key, shape) : at::Tensor();
  }
  // The first of `keys` present (spellings that drifted between Megatron versions).
  std::string firstPresent(const std::vector<std::string>& keys) const {
    for (const std::string& key : keys) {
      if (has(key)) return key;
    }
    std::string list;
    for (const std::string& key : keys) list += (list.empty() ? "" : " or ") + key;
    badInput(where() + ": missing tensor " + list);
  }
  // The stored shape of a tensor (for sizes the config does not pin down).
  std::vector<int64_t> shapeOf(const std::string& key) const {
    const at::Tensor t = raw(key);
    return t.sizes().vec();
  }
  std::string where() const { return state_->path().string(); }
  const MegatronRankState& state() const { return *state_; }

 private:
  at::Tensor raw(const std::string& key) const {
    const io::StateDictEntry* entry = state_->find(key);
    if (entry == nullptr) badInput(where() + ": missing tensor " + key);
    if (entry->isNone()) badInput(where() + ": tensor " + key + " is None");
    return withContext(where() + ": tensor " + key, [&] { return toTorch(*entry->tensor); });
  }
  at::Tensor stored(const std::string& key, const Shape& shape) const {
    const at::Tensor t = raw(key);
    if (t.sizes() != at::IntArrayRef(shape)) {
      badInput(where() + ": tensor " + key + " has shape " + c10::str(t.sizes()) + ", expected " +
               c10::str(at::IntArrayRef(shape)));
    }
    if (!at::isFloatingType(t.scalar_type())) {
      badInput(where() + ": tensor " + key + " has dtype " + std::string(c10::toString(t.scalar_type())) +
               ", expected a floating-point type");
    }
    return t;
  }

  std::shared_ptr<const MegatronRankState> state_;
  at::ScalarType dtype_;
  at::Device device_;
};

// files[pp][ep][tp]
using RankGrid = std::vector<std::vector<std::vector<RankFileReader>>>;

// Number of decoder layers a stage file holds: its `decoder.layers.{i}.` indices are local to the
// stage (megatron-core-hybrid.md §1.5), so the count is max index + 1.
int64_t localLayerCount(const MegatronRankState& state) {
  static const std::string kPrefix = "decoder.layers.";
  int64_t count = 0;
  for (const io::StateDictEntry& entry : state.entries()) {
    if (entry.key.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const int64_t index = std::strtoll(entry.key.c_str() + kPrefix.size(), nullptr, 10);
    count = std::max(count, index + 1);
  }
  return count;
}

int64_t storedMtpDepths(const MegatronRankState& state) {
  static const std::string kPrefix = "mtp.layers.";
  int64_t count = 0;
  for (const io::StateDictEntry& entry : state.entries()) {
    if (entry.key.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    count = std::max<int64_t>(count, std::strtoll(entry.key.c_str() + kPrefix.size(), nullptr, 10) + 1);
  }
  return count;
}

// One (TE or local spec) layer whose keys start with `prefix`, read from the stage's files.
class LayerLoader {
 public:
  LayerLoader(const RankGrid& grid, std::size_t stage, const MegatronDims& dims)
      : grid_(grid), stage_(stage), d_(dims) {}

  MegatronLayerWeights load(char type, const std::string& prefix) const {
    MegatronLayerWeights layer;
    layer.type = type;
    const RankFileReader& first = file(0, 0);
    switch (type) {
      case 'M': {
        layer.norm = first.require(first.firstPresent({prefix + "mixer.in_proj.layer_norm_weight",
                                                       prefix + "norm.weight"}), {d_.hidden});
        for (int64_t r = 0; r < d_.tp; ++r) layer.mamba.push_back(mambaShard(file(r, 0), prefix));
        break;
      }
      case '*': {
        layer.norm = first.require(first.firstPresent({prefix + "self_attention.linear_qkv.layer_norm_weight",
                                                       prefix + "input_layernorm.weight"}), {d_.hidden});
        const int64_t qkvRows = (d_.heads + 2 * d_.queryGroups) * d_.headDim / d_.tp;
        for (int64_t r = 0; r < d_.tp; ++r) {
          const RankFileReader& f = file(r, 0);
          layer.attention.push_back(
              {f.require(prefix + "self_attention.linear_qkv.weight", {qkvRows, d_.hidden}),
               f.require(prefix + "self_attention.linear_proj.weight", {d_.hidden, d_.heads * d_.headDim / d_.tp})});
        }
        break;
      }
      case '-': {
        layer.norm = first.require(first.firstPresent({prefix + "mlp.linear_fc1.layer_norm_weight",
                                                       prefix + "pre_mlp_layernorm.weight"}), {d_.hidden});
        for (int64_t r = 0; r < d_.tp; ++r) {
          const RankFileReader& f = file(r, 0);
          layer.mlp.push_back({f.require(prefix + "mlp.linear_fc1.weight", {d_.ffn / d_.tp, d_.hidden}),
                               f.require(prefix + "mlp.linear_fc2.weight", {d_.hidden, d_.ffn / d_.tp})});
        }
        break;
      }
      case 'E': layer.norm = first.require(prefix + "pre_mlp_layernorm.weight", {d_.hidden});
                layer.moe = moe(prefix);
                break;
      default: fail(ErrorKind::Internal, std::string("unknown layer symbol ") + type);
    }
    return layer;
  }

 private:
  const RankFileReader& file(int64_t tp, int64_t ep) const {
    return grid_[stage_][static_cast<std::size_t>(ep)][static_cast<std::size_t>(tp)];
  }

  MegatronMambaShard mambaShard(const RankFileReader& f, const std::string& prefix) const {
    const std::string m = prefix + "mixer.";
    const int64_t heads = d_.mambaHeads / d_.tp;
    const int64_t inner = heads * d_.mambaHeadDim;
    const int64_t groupState = d_.mambaGroups / d_.tp * d_.mambaState;
    const int64_t convChannels = inner + 2 * groupState;
    MegatronMambaShard w;
    w.inProj = f.require(m + "in_proj.weight", {2 * inner + 2 * groupState + heads, d_.hidden});
    // Both spellings: `conv1d_weight` since 2026-06, the nn.Conv1d submodule's `conv1d.weight` before.
    w.convWeight = f.require(f.firstPresent({m + "conv1d_weight", m + "conv1d.weight"}),
                             {convChannels, 1, d_.convKernel});
    w.convBias = f.require(f.firstPresent({m + "conv1d_bias", m + "conv1d.bias"}), {convChannels});
    w.dtBias = f.require(m + "dt_bias", {heads});
    w.aLog = f.require(m + "A_log", {heads});
    w.d = f.require(m + "D", {heads});
    w.normWeight = f.require(m + "norm.weight", {inner});
    w.outProj = f.require(m + "out_proj.weight", {d_.hidden, inner});
    return w;
  }

  MegatronMoeWeights moe(const std::string& prefix) const {
    const std::string m = prefix + "mlp.";
    const RankFileReader& first = file(0, 0);
    MegatronMoeWeights w;
    w.router = first.require(m + "router.weight", {d_.experts, d_.hidden});
    if (first.has(m + "router.bias")) w.routerBias = first.requireStored(m + "router.bias", {d_.experts});
    if (first.has(m + "router.expert_bias")) {
      w.expertBias = first.requireStored(m + "router.expert_bias", {d_.experts});
    }
    const int64_t hin = d_.latent > 0 ? d_.latent : d_.hidden;
    if (d_.latent > 0) {
      w.fc1Latent = first.require(m + "fc1_latent_proj.weight", {d_.latent, d_.hidden});
      w.fc2Latent = first.require(m + "fc2_latent_proj.weight", {d_.hidden, d_.latent});
    }
    if (d_.sharedFfn > 0) {
      for (int64_t r = 0; r < d_.tp; ++r) {
        const RankFileReader& f = file(r, 0);
        w.shared.push_back({f.require(m + "shared_experts.linear_fc1.weight", {d_.sharedFfn / d_.tp, d_.hidden}),
                            f.require(m + "shared_experts.linear_fc2.weight", {d_.hidden, d_.sharedFfn / d_.tp})});
      }
      w.sharedGate = first.optional(m + "shared_experts.gate_weight", {1, d_.hidden});
    }
    // TEGroupedMLP (`linear_fc1.weight{j}`) or SequentialMLP (`local_experts.{j}.linear_fc1.weight`).
    const bool grouped = first.has(m + "experts.linear_fc1.weight0");
    auto key = [&](int64_t j, const char* linear) {
      return grouped ? m + "experts." + linear + ".weight" + std::to_string(j)
                     : m + "experts.local_experts." + std::to_string(j) + "." + linear + ".weight";
    };
    const int64_t local = d_.experts / d_.ep;
    const int64_t shard = d_.moeFfn / d_.etp;
    for (int64_t q = 0; q < d_.ep; ++q) {
      for (int64_t j = 0; j < local; ++j) {
        MegatronExpert expert;
        expert.epRank = q;
        // With ETP = tp, TP rank r holds ETP shard r; with ETP = 1 every TP rank holds the whole
        // expert and rank 0's copy is the one used.
        for (int64_t s = 0; s < d_.etp; ++s) {
          const RankFileReader& f = file(s, q);
          expert.shards.push_back({f.require(key(j, "linear_fc1"), {shard, hin}),
                                   f.require(key(j, "linear_fc2"), {hin, shard})});
        }
        w.experts.push_back(std::move(expert));
      }
    }
    return w;
  }

  const RankGrid& grid_;
  std::size_t stage_;
  const MegatronDims& d_;
};

MegatronDims dimsFrom(const config::ProviderConfig& p, const io::MegatronParallelSizes& sizes) {
  MegatronDims d;
  d.tp = sizes.tp;
  d.pp = sizes.pp;
  d.ep = sizes.ep;
  d.hidden = p.hidden_size;
  d.vocab = p.vocab_size;
  d.eps = p.layernorm_epsilon;
  d.mambaHeads = p.mambaHeads();
  d.mambaHeadDim = p.mamba_head_dim;
  d.mambaGroups = p.mamba_num_groups;
  d.mambaState = p.mamba_state_dim;
  d.heads = p.num_attention_heads;
  d.queryGroups = p.queryGroups();
  d.headDim = p.headDim();
  d.ffn = p.ffn_hidden_size;
  d.experts = p.num_moe_experts.value_or(0);
  d.topK = p.moe_router_topk;
  d.moeFfn = p.moe_ffn_hidden_size.value_or(p.ffn_hidden_size);
  d.sharedFfn = p.moe_shared_expert_intermediate_size.value_or(0);
  d.latent = p.moe_latent_size.value_or(0);
  d.routerGroups = p.moe_router_num_groups.value_or(0);
  d.routerGroupTopK = p.moe_router_group_topk.value_or(0);
  d.routerScaling = p.moe_router_topk_scaling_factor.value_or(1.0);
  d.routerFp32 = p.moe_router_dtype == "fp32";
  return d;
}

void requireDivisible(int64_t value, int64_t by, const std::string& what, const std::string& source) {
  if (by <= 0 || value % by != 0) {
    badInput(source + ": " + what + " " + std::to_string(value) + " is not divisible by " + std::to_string(by));
  }
}

}  // namespace

MegatronModelWeights loadMegatronWeights(const io::MegatronLegacyCheckpoint& checkpoint,
                                         const config::ProviderConfig& provider,
                                         const MegatronLoadSettings& settings) {
  const std::string source = checkpoint.iterationDir().string();
  MegatronModelWeights w;
  MegatronDims& d = w.dims;
  d = dimsFrom(provider, checkpoint.sizes());
  const config::HybridPattern pattern = provider.pattern();
  w.pattern = pattern.layers;
  w.mtpPattern = pattern.mtp;

  const std::string symbols = pattern.layers + pattern.mtp;
  auto uses = [&](char symbol) { return symbols.find(symbol) != std::string::npos; };
  if (uses('M')) {
    requireDivisible(d.mambaHeads, d.tp, "Mamba heads", source);
    requireDivisible(d.mambaGroups, d.tp, "Mamba groups", source);
  }
  if (uses('*')) requireDivisible(d.heads, d.tp, "attention heads", source);
  if (uses('*') && d.queryGroups % d.tp != 0) {
    fail(ErrorKind::Unsupported, source + ": " + std::to_string(d.queryGroups) + " query groups over tensor parallel " +
                                     std::to_string(d.tp) + " (query groups split across ranks) is not supported");
  }
  if (uses('E')) requireDivisible(d.experts, d.ep, "MoE experts", source);

  // Every rank file, mapped once.
  std::shared_ptr<const MegatronRankState> probe =
      std::make_shared<const MegatronRankState>(checkpoint.loadRank({0, 0, 0}));
  const io::StateDictEntry* embedding0 = probe->find("embedding.word_embeddings.weight");
  if (embedding0 == nullptr || embedding0->isNone()) {
    badInput(probe->path().string() + ": missing tensor embedding.word_embeddings.weight");
  }
  w.dtype = settings.dtype.value_or(toTorchScalarType(embedding0->tensor->dtype));
  RankGrid grid(static_cast<std::size_t>(d.pp));
  for (int64_t s = 0; s < d.pp; ++s) {
    grid[s].resize(static_cast<std::size_t>(d.ep));
    for (int64_t q = 0; q < d.ep; ++q) {
      for (int64_t r = 0; r < d.tp; ++r) {
        std::shared_ptr<const MegatronRankState> state =
            (s == 0 && q == 0 && r == 0)
                ? probe
                : std::make_shared<const MegatronRankState>(checkpoint.loadRank(
                      {static_cast<int>(r), static_cast<int>(s), static_cast<int>(q)}));
        w.files.push_back(state);
        grid[s][q].emplace_back(state, w.dtype, settings.device);
      }
    }
  }

  // Vocab: the embedding rows of all TP ranks (the padded vocab), of which the first `vocab` are real.
  const RankFileReader& head = grid[0][0][0];
  const std::vector<int64_t> embeddingShape = head.shapeOf("embedding.word_embeddings.weight");
  if (embeddingShape.size() != 2 || embeddingShape[1] != d.hidden) {
    badInput(head.where() + ": tensor embedding.word_embeddings.weight has shape " +
             c10::str(at::IntArrayRef(embeddingShape)) + ", expected [V/tp, " + std::to_string(d.hidden) + "]");
  }
  d.paddedVocab = embeddingShape[0] * d.tp;
  if (d.vocab <= 0 || d.vocab > d.paddedVocab) {
    badInput(source + ": vocab_size " + std::to_string(d.vocab) + " does not fit the " +
             std::to_string(d.paddedVocab) + " embedding rows");
  }
  const int64_t vocabShard = d.paddedVocab / d.tp;
  for (int64_t r = 0; r < d.tp; ++r) {
    w.embedding.push_back(grid[0][0][r].require("embedding.word_embeddings.weight", {vocabShard, d.hidden}));
  }

  // Pipeline stages: layer indices in legacy files are local to the stage; the pattern's `|`
  // segments (or the files themselves, for an even or unrecorded split) give each stage's offset.
  std::vector<int64_t> perStage;
  for (int64_t s = 0; s < d.pp; ++s) perStage.push_back(localLayerCount(grid[s][0][0].state()));
  if (pattern.hasPipelineSeparators() && static_cast<int64_t>(pattern.segments.size()) == d.pp) {
    for (int64_t s = 0; s < d.pp; ++s) {
      if (static_cast<int64_t>(pattern.segments[s].size()) != perStage[s]) {
        badInput(grid[s][0][0].where() + ": holds " + std::to_string(perStage[s]) + " decoder layers, the pattern's stage " +
                 std::to_string(s) + " '" + pattern.segments[s] + "' has " + std::to_string(pattern.segments[s].size()));
      }
    }
  }
  w.stageFirstLayer.push_back(0);
  for (int64_t count : perStage) w.stageFirstLayer.push_back(w.stageFirstLayer.back() + count);
  if (w.stageFirstLayer.back() != pattern.numLayers()) {
    badInput(source + ": the stage files hold " + std::to_string(w.stageFirstLayer.back()) +
             " decoder layers, the layer pattern '" + pattern.layers + "' has " + std::to_string(pattern.numLayers()));
  }

  // Mamba conv kernel (d_conv, 4 in every shipped spec) from the first main Mamba layer's weight.
  for (int64_t g = 0; g < pattern.numLayers(); ++g) {
    if (pattern.layers[g] != 'M') continue;
    int64_t s = 0;
    while (g >= w.stageFirstLayer[s + 1]) ++s;
    const RankFileReader& f = grid[s][0][0];
    const std::string prefix = "decoder.layers." + std::to_string(g - w.stageFirstLayer[s]) + ".mixer.";
    d.convKernel = f.shapeOf(f.firstPresent({prefix + "conv1d_weight", prefix + "conv1d.weight"})).back();
    break;
  }
  // ETP from the first expert's fc1 rows: Fm (ETP 1) or Fm / tp (ETP = tp).
  if (pattern.contains('E') || pattern.mtp.find('E') != std::string::npos) {
    const bool inMain = pattern.contains('E');
    int64_t s = inMain ? 0 : d.pp - 1;
    std::string prefix;
    if (inMain) {
      const int64_t g = static_cast<int64_t>(pattern.layers.find('E'));
      while (g >= w.stageFirstLayer[s + 1]) ++s;
      prefix = "decoder.layers." + std::to_string(g - w.stageFirstLayer[s]) + ".mlp.experts.";
    } else {
      prefix = "mtp.layers.0.mtp_model_layer.layers." + std::to_string(pattern.mtp.find('E')) + ".mlp.experts.";
    }
    const RankFileReader& f = grid[s][0][0];
    const int64_t rows = f.shapeOf(f.firstPresent({prefix + "linear_fc1.weight0", prefix + "local_experts.0.linear_fc1.weight"}))[0];
    if (rows == d.moeFfn) {
      d.etp = 1;
    } else if (d.moeFfn % d.tp == 0 && rows == d.moeFfn / d.tp) {
      d.etp = d.tp;
    } else {
      badInput(f.where() + ": expert fc1 has " + std::to_string(rows) + " rows; expected " + std::to_string(d.moeFfn) +
               " (expert tensor parallel 1) or " + std::to_string(d.moeFfn / d.tp) + " (expert tensor parallel " +
               std::to_string(d.tp) + ")");
    }
  }

  for (int64_t s = 0; s < d.pp; ++s) {
    const LayerLoader loader(grid, static_cast<std::size_t>(s), d);
    for (int64_t g = w.stageFirstLayer[s]; g < w.stageFirstLayer[s + 1]; ++g) {
      const std::string prefix = "decoder.layers." + std::to_string(g - w.stageFirstLayer[s]) + ".";
      w.layers.push_back(loader.load(pattern.layers[g], prefix));
    }
  }

  // Last stage: final norm, output layer (or the tied embedding), MTP.
  const std::size_t last = static_cast<std::size_t>(d.pp - 1);
  const RankFileReader& tail = grid[last][0][0];
  w.finalNorm = tail.require("decoder.final_norm.weight", {d.hidden});
  if (tail.has("output_layer.weight")) {
    for (int64_t r = 0; r < d.tp; ++r) {
      w.output.push_back(grid[last][0][r].require("output_layer.weight", {vocabShard, d.hidden}));
    }
  } else if (!provider.share_embeddings_and_output_weights) {
    badInput(tail.where() + ": missing tensor output_layer.weight (embeddings and output are not tied)");
  }
  if (d.pp > 1 && tail.has("embedding.word_embeddings.weight")) {
    for (int64_t r = 0; r < d.tp; ++r) {
      w.mtpEmbedding.push_back(grid[last][0][r].require("embedding.word_embeddings.weight", {vocabShard, d.hidden}));
    }
  }
  if (w.output.empty()) w.output = w.mtpEmbedding.empty() ? w.embedding : w.mtpEmbedding;

  const int64_t stored = storedMtpDepths(tail.state());
  if (stored > 0) {
    if (pattern.mtp.empty()) badInput(tail.where() + ": holds MTP layers but the layer pattern has no MTP part");
    const LayerLoader loader(grid, last, d);
    for (int64_t depth = 0; depth < stored; ++depth) {
      const std::string p = "mtp.layers." + std::to_string(depth) + ".";
      MegatronMtpDepthWeights m;
      m.enorm = tail.require(p + "enorm.weight", {d.hidden});
      m.hnorm = tail.require(p + "hnorm.weight", {d.hidden});
      for (int64_t r = 0; r < d.tp; ++r) {
        m.ehProj.push_back(grid[last][0][r].require(p + "eh_proj.weight", {d.hidden / d.tp, 2 * d.hidden}));
      }
      for (std::size_t j = 0; j < pattern.mtp.size(); ++j) {
        m.layers.push_back(loader.load(pattern.mtp[j], p + "mtp_model_layer.layers." + std::to_string(j) + "."));
      }
      m.finalLayernorm = tail.require(p + "final_layernorm.weight", {d.hidden});
      w.mtp.push_back(std::move(m));
    }
    w.mtpForwardDepths = provider.mtp_num_layers > 0 ? provider.mtp_num_layers : stored;
  }
  return w;
}

}  // namespace nhb::harness
