#include "bridge/convert/layout.h"

#include <cstdio>

#include "bridge/core/error.h"

namespace nhb::convert {

mapping::ExpertStorage Layout::expertStorage() const {
  if (experts) return *experts;
  return naming == mapping::Naming::TransformerEngine ? mapping::ExpertStorage::Grouped
                                                      : mapping::ExpertStorage::Sequential;
}

mapping::RegistryOptions Layout::registryOptions(int64_t paddedVocab) const {
  mapping::RegistryOptions options;
  options.naming = naming;
  options.conv1d = conv1d;
  options.experts = expertStorage();
  options.paddedVocab = paddedVocab;
  return options;
}

std::string rankDirName(const Rank& rank, const Layout& layout) {
  char buffer[64];
  std::string name;
  std::snprintf(buffer, sizeof buffer, "mp_rank_%02lld", static_cast<long long>(rank.tp));
  name = buffer;
  if (layout.pp > 1) {
    std::snprintf(buffer, sizeof buffer, "_%03lld", static_cast<long long>(rank.pp));
    name += buffer;
  }
  if (layout.ep > 1) {
    std::snprintf(buffer, sizeof buffer, "_%03lld", static_cast<long long>(rank.ep));
    name += buffer;
  }
  return name;
}

std::string describeRank(const Rank& rank) {
  return "tp " + std::to_string(rank.tp) + ", pp " + std::to_string(rank.pp) + ", ep " + std::to_string(rank.ep);
}

int64_t paddedVocabSize(int64_t vocab, int64_t divisibleBy, int64_t tp) {
  int64_t multiple = divisibleBy * tp;
  return (vocab + multiple - 1) / multiple * multiple;
}

int64_t PipelineStages::stageOf(int64_t layer) const {
  for (std::size_t s = 0; s + 1 < firstLayer.size(); ++s) {
    if (layer < firstLayer[s + 1]) return static_cast<int64_t>(s);
  }
  fail(ErrorKind::Internal, "layer " + std::to_string(layer) + " beyond the last pipeline stage");
}

namespace {

void requireDivisible(int64_t value, int64_t by, const std::string& source, const std::string& what,
                      const std::string& byWhat) {
  if (by <= 0 || value % by != 0) {
    badInput(source + ": " + what + " (" + std::to_string(value) + ") must be divisible by " + byWhat + " (" +
             std::to_string(by) + ")");
  }
}

}  // namespace

PipelineStages checkLayout(const mapping::ModelDims& d, const Layout& l, const std::string& source) {
  auto positive = [&](int64_t value, const char* name) {
    if (value < 1) badInput(source + ": " + name + " must be at least 1, got " + std::to_string(value));
  };
  positive(l.tp, "tp");
  positive(l.pp, "pp");
  positive(l.ep, "ep");
  positive(l.etp, "etp");
  if (l.etp != 1 && l.etp != l.tp) {
    badInput(source + ": etp must be 1 or equal to tp (" + std::to_string(l.tp) + "), got " + std::to_string(l.etp));
  }
  const int64_t tp = l.tp;
  if (d.has('M')) {
    requireDivisible(d.mambaHeads, tp, source, "mamba_num_heads", "tp");
    requireDivisible(d.mambaGroups, tp, source, "n_groups (mamba_num_groups)", "tp");
    requireDivisible(d.mambaHeads, d.mambaGroups, source, "mamba_num_heads", "n_groups");
  }
  if (d.has('*')) {
    requireDivisible(d.queryGroups, tp, source, "num_key_value_heads (num_query_groups)", "tp");
    requireDivisible(d.heads, d.queryGroups, source, "num_attention_heads", "num_key_value_heads");
  }
  if (d.has('-')) requireDivisible(d.ffn, tp, source, "intermediate_size", "tp");
  if (d.has('E')) {
    requireDivisible(d.experts, l.ep, source, "n_routed_experts (num_moe_experts)", "ep");
    requireDivisible(d.moeFfn, l.etp, source, "moe_intermediate_size", "etp");
    if (d.sharedFfn > 0) requireDivisible(d.sharedFfn, tp, source, "moe_shared_expert_intermediate_size", "tp");
  } else if (l.ep > 1) {
    badInput(source + ": ep " + std::to_string(l.ep) + " needs routed experts, but the pattern has no E layer");
  }
  if (d.mtpDepths > 0) requireDivisible(d.hidden, tp, source, "hidden_size (MTP eh_proj rows)", "tp");
  if (l.paddedVocab > 0) {
    requireDivisible(l.paddedVocab, tp, source, "padded vocab rows", "tp");
  } else if (!l.padVocab) {
    requireDivisible(d.vocab, tp, source, "vocab_size (without --pad-vocab)", "tp");
  }

  PipelineStages stages;
  const int64_t layers = static_cast<int64_t>(d.pattern.size());
  if (!l.pipelinePattern.empty()) {
    std::vector<std::string> segments(1);
    for (char c : l.pipelinePattern) {
      if (c == '|') {
        segments.emplace_back();
      } else {
        segments.back() += c;
      }
    }
    std::string joined;
    for (const std::string& segment : segments) joined += segment;
    if (joined != d.pattern) {
      badInput(source + ": pipeline layout '" + l.pipelinePattern + "' does not spell the layer pattern '" +
               d.pattern + "'");
    }
    if (static_cast<int64_t>(segments.size()) != l.pp) {
      badInput(source + ": pipeline layout has " + std::to_string(segments.size()) + " segments but pp is " +
               std::to_string(l.pp) + " (virtual pipeline stages are not supported for hybrid models)");
    }
    stages.firstLayer.push_back(0);
    for (const std::string& segment : segments) {
      if (segment.empty()) badInput(source + ": pipeline layout '" + l.pipelinePattern + "' has an empty stage");
      stages.firstLayer.push_back(stages.firstLayer.back() + static_cast<int64_t>(segment.size()));
    }
  } else {
    requireDivisible(layers, l.pp, source, "num_layers (layers in the pattern)", "pp (layers per stage)");
    for (int64_t s = 0; s <= l.pp; ++s) stages.firstLayer.push_back(s * layers / l.pp);
  }
  return stages;
}

}  // namespace nhb::convert
