// The parallel layout of a Megatron checkpoint and the rules that place every entry on a rank:
// TP/PP/EP/ETP sizes, naming options, vocab padding and pipeline stage boundaries
// (megatron-core-hybrid.md §1.4-1.5, §3.5, §5.1; megatron-bridge-conversion.md §3-4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/mapping/model_dims.h"
#include "bridge/mapping/nemotron_h_registry.h"

namespace nhb::convert {

struct Layout {
  int64_t tp = 1, pp = 1, ep = 1;
  int64_t etp = 1;                       // expert tensor parallel: 1 or tp
  mapping::Naming naming = mapping::Naming::TransformerEngine;
  mapping::Conv1dNaming conv1d = mapping::Conv1dNaming::Current;
  // Grouped for the TE spec, sequential for the local spec unless set explicitly.
  std::optional<mapping::ExpertStorage> experts;
  bool padVocab = false;                 // pad the vocab to a multiple of divisibleBy * tp
  int64_t vocabDivisibleBy = 128;        // Megatron make_vocab_size_divisible_by
  int64_t paddedVocab = 0;               // explicit Megatron vocab rows (read from a checkpoint); 0: rule above
  bool aLogDFp32 = false;                // store A_log and D as fp32, as MCore allocates them
  // Optional pipeline layout: the main pattern with `|` between stages (one segment per stage);
  // empty = even split of the layers over pp stages.
  std::string pipelinePattern;

  mapping::ExpertStorage expertStorage() const;
  mapping::RegistryOptions registryOptions(int64_t paddedVocab) const;
};

// One Megatron model-parallel rank: one legacy file mp_rank_TT[_PPP][_EEE].
struct Rank {
  int64_t tp = 0, pp = 0, ep = 0;
  bool operator==(const Rank& o) const { return tp == o.tp && pp == o.pp && ep == o.ep; }
  bool operator<(const Rank& o) const {
    return pp != o.pp ? pp < o.pp : (ep != o.ep ? ep < o.ep : tp < o.tp);
  }
};

// "mp_rank_01", "mp_rank_01_002" (PP>1 or EP>1), "mp_rank_01_002_003" (both).
std::string rankDirName(const Rank& rank, const Layout& layout);
std::string describeRank(const Rank& rank);  // "tp 1, pp 0, ep 2"

// ceil(vocab / (divisibleBy * tp)) * divisibleBy * tp (megatron-bridge-conversion.md §3).
int64_t paddedVocabSize(int64_t vocab, int64_t divisibleBy, int64_t tp);

// Decoder layers owned by each pipeline stage.
struct PipelineStages {
  std::vector<int64_t> firstLayer;  // size pp + 1; stage s owns [firstLayer[s], firstLayer[s+1])
  int64_t stageOf(int64_t layer) const;
  int64_t localIndex(int64_t layer) const { return layer - firstLayer[stageOf(layer)]; }
};

// Validates the layout against the model (every divisibility Megatron requires) and returns the
// stages; errors are BadInput naming `source`, the field and the sizes.
PipelineStages checkLayout(const mapping::ModelDims& dims, const Layout& layout, const std::string& source);

}  // namespace nhb::convert
