// The Hugging Face config.json of a NemotronHForCausalLM checkpoint, every version (hub remote
// code R1-R3, transformers in-library T1-T3): typed fields for what the converter and the
// forward passes use, plus the raw JSON so unknown keys survive verbatim.
// See ../shared/reference/hf-nemotron-h.md §1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace nhb::config {

using Json = nlohmann::ordered_json;

struct HfConfig {
  Json raw;  // config.json exactly as read (key order kept), unknown keys included
  std::string source;  // where it was read from (file path or label), named in later errors

  // Layer layout, always in symbol form (M Mamba-2, * attention, - MLP, E MoE), whichever of
  // hybrid_override_pattern / layers_block_type (either naming scheme) the file used.
  std::string pattern;
  std::string mtpPattern;              // one MTP depth; empty when there is none
  int64_t numNextnPredictLayers = 0;   // stored MTP depths

  int64_t vocabSize = 131072;
  int64_t hiddenSize = 4096;
  int64_t numHiddenLayers = 0;         // == pattern.size() (checked)
  int64_t intermediateSize = 21504;
  int64_t numAttentionHeads = 32;
  int64_t numKeyValueHeads = 8;
  int64_t headDim = 128;               // head_dim ?? attention_head_dim ?? hidden/heads
  bool attentionBias = false;
  bool mlpBias = false;
  bool useBias = false;                // Mamba in_proj/out_proj bias
  bool tieWordEmbeddings = false;

  int64_t mambaNumHeads = 128;
  int64_t mambaHeadDim = 64;
  int64_t nGroups = 8;                 // n_groups ?? mamba_n_groups (Mamba B/C groups)
  int64_t ssmStateSize = 128;
  int64_t convKernel = 4;              // conv_kernel ?? mamba_d_conv
  int64_t chunkSize = 128;             // chunk_size ?? mamba_chunk_size
  bool useConvBias = true;
  double timeStepLimitMin = 0.0;
  double timeStepLimitMax = std::numeric_limits<double>::infinity();  // (0, inf): no-op clamp

  double layerNormEpsilon = 1e-5;      // layer_norm_epsilon ?? rms_norm_eps ?? norm_eps

  // MoE (meaningful only when the pattern contains E)
  int64_t nRoutedExperts = 0;
  int64_t nSharedExperts = 1;
  int64_t numExpertsPerTok = 2;
  int64_t moeIntermediateSize = 0;
  int64_t moeSharedExpertIntermediateSize = 0;
  std::optional<int64_t> moeLatentSize;
  int64_t nGroup = 1;                  // router groups (not Mamba n_groups)
  int64_t topkGroup = 1;
  double routedScalingFactor = 1.0;
  bool normTopkProb = true;

  std::string torchDtype = "bfloat16"; // torch_dtype ?? dtype

  std::optional<int64_t> bosTokenId, eosTokenId, padTokenId, unkTokenId;

  // Derived quantities (hf-nemotron-h.md §1.2). Mamba inner width is heads*head_dim, never
  // expand*hidden.
  int64_t mambaInnerSize() const { return mambaNumHeads * mambaHeadDim; }
  int64_t mambaGroupStateSize() const { return nGroups * ssmStateSize; }
  int64_t mambaConvDim() const { return mambaInnerSize() + 2 * mambaGroupStateSize(); }
  int64_t mambaInProjSize() const { return 2 * mambaInnerSize() + 2 * mambaGroupStateSize() + mambaNumHeads; }
  int64_t expertInputSize() const { return moeLatentSize.value_or(hiddenSize); }
  int64_t mtpPhysicalLayers() const { return numNextnPredictLayers * static_cast<int64_t>(mtpPattern.size()); }
  bool hasMoe() const;
  bool hasMtp() const { return numNextnPredictLayers > 0 && !mtpPattern.empty(); }
};

// Parses and validates; errors (BadInput) name `source` and the offending field.
HfConfig parseHfConfig(const Json& json, const std::string& source);
HfConfig loadHfConfig(const std::filesystem::path& configJsonPath);

}  // namespace nhb::config
