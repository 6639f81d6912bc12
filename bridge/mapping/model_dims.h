// The sizes a Nemotron-H checkpoint's parameter names and shapes follow from, in one value type
// that both the HF config and the Megatron side can fill (hf-nemotron-h.md §1-2,
// megatron-core-hybrid.md §0).
#pragma once

#include <cstdint>
#include <string>

#include "bridge/config/hf_config.h"
#include "bridge/config/provider_config.h"

namespace nhb::mapping {

struct ModelDims {
  std::string pattern;        // main decoder pattern, symbols M * - E (no `|`, no `/`)
  std::string mtpPattern;     // one MTP depth; empty without MTP
  int64_t mtpDepths = 0;

  int64_t vocab = 0, hidden = 0;
  int64_t ffn = 0;                                   // dense MLP intermediate size
  int64_t heads = 0, queryGroups = 0, headDim = 0;   // attention
  int64_t mambaHeads = 0, mambaHeadDim = 0, mambaGroups = 0, mambaState = 0, convKernel = 4;
  bool convBias = true;
  int64_t experts = 0, moeFfn = 0, sharedFfn = 0;    // sharedFfn 0: no shared expert
  int64_t latent = 0;                                // 0: no latent projections
  bool tiedEmbeddings = false;

  int64_t mambaInner() const { return mambaHeads * mambaHeadDim; }
  int64_t mambaGroupState() const { return mambaGroups * mambaState; }
  int64_t convChannels() const { return mambaInner() + 2 * mambaGroupState(); }
  int64_t inProjRows() const { return 2 * mambaInner() + 2 * mambaGroupState() + mambaHeads; }
  int64_t expertInput() const { return latent > 0 ? latent : hidden; }
  bool has(char symbol) const;  // in the main or the MTP pattern
};

// Throws Unsupported for features no Nemotron-H checkpoint has and the mapping does not cover
// (biases on linears), naming `source`.
ModelDims dimsFromHfConfig(const config::HfConfig& config, const std::string& source);

// The same sizes from a Megatron provider config (megatron_config.json or a checkpoint's args).
// A repeated-layer MTP block has one physical depth.
ModelDims dimsFromProvider(const config::ProviderConfig& provider, const std::string& source);

}  // namespace nhb::mapping
