#include "bridge/mapping/nemotron_h_registry.h"

#include <string>
#include <utility>

namespace nhb::mapping {
namespace {

MappingSpec ofKind(MappingKind kind) {
  MappingSpec spec;
  spec.kind = kind;
  return spec;
}
MappingSpec replicated() { return ofKind(MappingKind::Replicated); }
MappingSpec column() { return ofKind(MappingKind::Column); }
MappingSpec row() { return ofKind(MappingKind::Row); }
MappingSpec components(MappingKind kind, std::vector<int64_t> rows) {
  MappingSpec spec = ofKind(kind);
  spec.componentRows = std::move(rows);
  return spec;
}
MappingSpec expertSplit(MappingSpec spec) {
  spec.group = SplitGroup::ExpertTensor;
  return spec;
}

// Appends rows for one section of the state dict; `m` and `h` are the Megatron and HF name
// prefixes of the layer being described.
class Builder {
 public:
  Builder(Registry& registry, const ModelDims& dims, const RegistryOptions& options)
      : r_(registry), d_(dims), o_(options) {}

  void place(Section section, int64_t layer) {
    section_ = section;
    layer_ = layer;
  }

  // One Megatron tensor from one HF tensor.
  void map(const std::string& megatron, const std::string& hf, Shape shape, MappingSpec spec,
           bool fp32Candidate = false) {
    MappingRow row = base(megatron);
    row.hf = {NamePattern(hf)};
    row.hfShapes = {std::move(shape)};
    row.spec = std::move(spec);
    row.fp32Candidate = fp32Candidate;
    r_.add(std::move(row));
  }
  // The fused QKV weight from q_proj, k_proj, v_proj under the HF prefix `h`.
  void mapQkv(const std::string& megatron, const std::string& h) {
    const int64_t dh = d_.headDim;
    MappingRow row = base(megatron);
    row.hf = {NamePattern(h + "mixer.q_proj.weight"), NamePattern(h + "mixer.k_proj.weight"),
              NamePattern(h + "mixer.v_proj.weight")};
    row.hfShapes = {{d_.heads * dh, d_.hidden}, {d_.queryGroups * dh, d_.hidden}, {d_.queryGroups * dh, d_.hidden}};
    row.spec.kind = MappingKind::Qkv;
    row.spec.qkvHeads = d_.heads;
    row.spec.qkvGroups = d_.queryGroups;
    row.spec.qkvHeadDim = dh;
    r_.add(std::move(row));
  }
  // Per routed expert: the single `*` in both names is the global expert id.
  void mapExperts(const std::string& megatron, const std::string& hf, Shape shape, MappingSpec spec) {
    MappingRow row = base(megatron);
    row.hf = {NamePattern(hf)};
    row.hfShapes = {std::move(shape)};
    row.spec = expertSplit(std::move(spec));
    row.instances = d_.experts;
    row.expert = true;
    r_.add(std::move(row));
  }
  // `_extra_state` of a linear: uint8 bytes for a Transformer Engine module, None for a Megatron
  // ColumnParallelLinear/RowParallelLinear (local spec).
  void linearExtraState(const std::string& megatron, bool perExpert = false) {
    extraState(megatron, te() ? EntryValue::EmptyBytes : EntryValue::None, perExpert);
  }
  void extraState(const std::string& megatron, EntryValue value, bool perExpert = false) {
    MappingRow row = base(megatron);
    row.value = value;
    if (perExpert) {
      row.instances = d_.experts;
      row.expert = true;
    }
    r_.add(std::move(row));
  }

  bool te() const { return o_.naming == Naming::TransformerEngine; }
  const ModelDims& dims() const { return d_; }
  const RegistryOptions& options() const { return o_; }

 private:
  MappingRow base(const std::string& megatron) const {
    MappingRow row;
    row.megatron = NamePattern(megatron);
    row.section = section_;
    row.layer = layer_;
    return row;
  }

  Registry& r_;
  const ModelDims& d_;
  const RegistryOptions& o_;
  Section section_ = Section::Embedding;
  int64_t layer_ = -1;
};

void addMambaLayer(Builder& b, const std::string& m, const std::string& h) {
  const ModelDims& d = b.dims();
  const int64_t hidden = d.hidden, di = d.mambaInner(), gn = d.mambaGroupState(), nh = d.mambaHeads;
  const bool legacyConv = b.options().conv1d == Conv1dNaming::Legacy;
  b.map(m + (b.te() ? "mixer.in_proj.layer_norm_weight" : "norm.weight"), h + "norm.weight", {hidden}, replicated());
  b.map(m + "mixer.in_proj.weight", h + "mixer.in_proj.weight", {d.inProjRows(), hidden},
        components(MappingKind::MambaInProj, {di, di, gn, gn, nh}));
  b.linearExtraState(m + "mixer.in_proj._extra_state");
  b.map(m + (legacyConv ? "mixer.conv1d.weight" : "mixer.conv1d_weight"), h + "mixer.conv1d.weight",
        {d.convChannels(), 1, d.convKernel}, components(MappingKind::MambaConv1d, {di, gn, gn}));
  if (d.convBias) {
    b.map(m + (legacyConv ? "mixer.conv1d.bias" : "mixer.conv1d_bias"), h + "mixer.conv1d.bias", {d.convChannels()},
          components(MappingKind::MambaConv1d, {di, gn, gn}));
  }
  b.map(m + "mixer.dt_bias", h + "mixer.dt_bias", {nh}, column());
  b.map(m + "mixer.A_log", h + "mixer.A_log", {nh}, column(), /*fp32Candidate=*/true);
  b.map(m + "mixer.D", h + "mixer.D", {nh}, column(), /*fp32Candidate=*/true);
  b.map(m + "mixer.norm.weight", h + "mixer.norm.weight", {di}, column());
  b.map(m + "mixer.out_proj.weight", h + "mixer.out_proj.weight", {hidden, di}, row());
  b.linearExtraState(m + "mixer.out_proj._extra_state");
}

void addAttentionLayer(Builder& b, const std::string& m, const std::string& h) {
  const ModelDims& d = b.dims();
  const int64_t hidden = d.hidden, dh = d.headDim;
  b.map(m + (b.te() ? "self_attention.linear_qkv.layer_norm_weight" : "input_layernorm.weight"), h + "norm.weight",
        {hidden}, replicated());
  b.mapQkv(m + "self_attention.linear_qkv.weight", h);
  b.linearExtraState(m + "self_attention.linear_qkv._extra_state");
  // TEDotProductAttention is the core attention in both specs.
  b.extraState(m + "self_attention.core_attention._extra_state", EntryValue::EmptyBytes);
  b.map(m + "self_attention.linear_proj.weight", h + "mixer.o_proj.weight", {hidden, d.heads * dh}, mapping::row());
  b.linearExtraState(m + "self_attention.linear_proj._extra_state");
}

void addMlpLayer(Builder& b, const std::string& m, const std::string& h) {
  const ModelDims& d = b.dims();
  b.map(m + (b.te() ? "mlp.linear_fc1.layer_norm_weight" : "pre_mlp_layernorm.weight"), h + "norm.weight",
        {d.hidden}, replicated());
  b.map(m + "mlp.linear_fc1.weight", h + "mixer.up_proj.weight", {d.ffn, d.hidden}, column());
  b.linearExtraState(m + "mlp.linear_fc1._extra_state");
  b.map(m + "mlp.linear_fc2.weight", h + "mixer.down_proj.weight", {d.hidden, d.ffn}, row());
  b.linearExtraState(m + "mlp.linear_fc2._extra_state");
}

void addMoeLayer(Builder& b, const std::string& m, const std::string& h) {
  const ModelDims& d = b.dims();
  const int64_t hidden = d.hidden, hin = d.expertInput();
  b.map(m + "pre_mlp_layernorm.weight", h + "norm.weight", {hidden}, replicated());
  b.map(m + "mlp.router.weight", h + "mixer.gate.weight", {d.experts, hidden}, replicated());
  b.map(m + "mlp.router.expert_bias", h + "mixer.gate.e_score_correction_bias", {d.experts}, replicated());
  if (d.latent > 0) {
    b.map(m + "mlp.fc1_latent_proj.weight", h + "mixer.fc1_latent_proj.weight", {d.latent, hidden}, replicated());
    b.linearExtraState(m + "mlp.fc1_latent_proj._extra_state");
    b.map(m + "mlp.fc2_latent_proj.weight", h + "mixer.fc2_latent_proj.weight", {hidden, d.latent}, replicated());
    b.linearExtraState(m + "mlp.fc2_latent_proj._extra_state");
  }
  if (b.options().experts == ExpertStorage::Grouped) {
    b.mapExperts(m + "mlp.experts.linear_fc1.weight*", h + "mixer.experts.*.up_proj.weight", {d.moeFfn, hin}, column());
    b.linearExtraState(m + "mlp.experts.linear_fc1._extra_state");
    b.mapExperts(m + "mlp.experts.linear_fc2.weight*", h + "mixer.experts.*.down_proj.weight", {hin, d.moeFfn}, row());
    b.linearExtraState(m + "mlp.experts.linear_fc2._extra_state");
  } else {
    b.mapExperts(m + "mlp.experts.local_experts.*.linear_fc1.weight", h + "mixer.experts.*.up_proj.weight",
                 {d.moeFfn, hin}, column());
    b.linearExtraState(m + "mlp.experts.local_experts.*.linear_fc1._extra_state", /*perExpert=*/true);
    b.mapExperts(m + "mlp.experts.local_experts.*.linear_fc2.weight", h + "mixer.experts.*.down_proj.weight",
                 {hin, d.moeFfn}, row());
    b.linearExtraState(m + "mlp.experts.local_experts.*.linear_fc2._extra_state", /*perExpert=*/true);
  }
  if (d.sharedFfn > 0) {
    b.map(m + "mlp.shared_experts.linear_fc1.weight", h + "mixer.shared_experts.up_proj.weight", {d.sharedFfn, hidden},
          column());
    b.linearExtraState(m + "mlp.shared_experts.linear_fc1._extra_state");
    b.map(m + "mlp.shared_experts.linear_fc2.weight", h + "mixer.shared_experts.down_proj.weight",
          {hidden, d.sharedFfn}, row());
    b.linearExtraState(m + "mlp.shared_experts.linear_fc2._extra_state");
  }
}

void addLayer(Builder& b, char symbol, const std::string& m, const std::string& h) {
  switch (symbol) {
    case 'M': return addMambaLayer(b, m, h);
    case '*': return addAttentionLayer(b, m, h);
    case '-': return addMlpLayer(b, m, h);
    case 'E': return addMoeLayer(b, m, h);
  }
}

MappingSpec vocabRows(int64_t paddedVocab) {
  MappingSpec spec = column();
  spec.paddedRows = paddedVocab;
  return spec;
}

}  // namespace

Registry buildNemotronHRegistry(const ModelDims& d, const RegistryOptions& options) {
  Registry registry;
  Builder b(registry, d, options);
  const std::string s = ".";

  b.place(Section::Embedding, -1);
  b.map("embedding.word_embeddings.weight", "backbone.embeddings.weight", {d.vocab, d.hidden},
        vocabRows(options.paddedVocab));

  for (std::size_t i = 0; i < d.pattern.size(); ++i) {
    const std::string index = std::to_string(i);
    b.place(Section::Decoder, static_cast<int64_t>(i));
    addLayer(b, d.pattern[i], "decoder.layers." + index + s, "backbone.layers." + index + s);
  }

  b.place(Section::FinalNorm, -1);
  b.map("decoder.final_norm.weight", "backbone.norm_f.weight", {d.hidden}, replicated());

  // MTP: HF flattens depth o, inner layer n to mtp.layers.{o*L+n}; eh_proj/enorm/hnorm sit on the
  // first inner layer, final_layernorm on the last (megatron-bridge-conversion.md §2.5).
  const int64_t innerCount = static_cast<int64_t>(d.mtpPattern.size());
  for (int64_t o = 0; o < d.mtpDepths; ++o) {
    b.place(Section::Mtp, o);
    const std::string m = "mtp.layers." + std::to_string(o) + s;
    const std::string first = "mtp.layers." + std::to_string(o * innerCount) + s;
    const std::string last = "mtp.layers." + std::to_string(o * innerCount + innerCount - 1) + s;
    b.map(m + "enorm.weight", first + "enorm.weight", {d.hidden}, replicated());
    b.map(m + "hnorm.weight", first + "hnorm.weight", {d.hidden}, replicated());
    b.map(m + "eh_proj.weight", first + "eh_proj.weight", {d.hidden, 2 * d.hidden}, column());
    b.linearExtraState(m + "eh_proj._extra_state");
    for (int64_t n = 0; n < innerCount; ++n) {
      addLayer(b, d.mtpPattern[n], m + "mtp_model_layer.layers." + std::to_string(n) + s,
               "mtp.layers." + std::to_string(o * innerCount + n) + s);
    }
    b.map(m + "final_layernorm.weight", last + "final_layernorm.weight", {d.hidden}, replicated());
  }

  b.place(Section::Output, -1);
  if (!d.tiedEmbeddings) {
    b.map("output_layer.weight", "lm_head.weight", {d.vocab, d.hidden}, vocabRows(options.paddedVocab));
  }
  b.extraState("output_layer._extra_state", EntryValue::None);  // Megatron ColumnParallelLinear
  return registry;
}

}  // namespace nhb::mapping
