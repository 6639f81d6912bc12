#include "bridge/convert/plan.h"

#include <unordered_map>

#include "bridge/core/error.h"
#include "bridge/mapping/nemotron_h_registry.h"

namespace nhb::convert {

using mapping::EntryValue;
using mapping::MappingRow;
using mapping::Section;

std::size_t Plan::tensorCount() const {
  std::size_t count = 0;
  for (const RankPlan& rank : ranks) {
    for (const PlanEntry& entry : rank.entries) count += entry.value == EntryValue::Tensor ? 1 : 0;
  }
  return count;
}

namespace {

// Which stages hold an entry of this section (MTP lives on the last stage, which then also keeps
// its own word embeddings, megatron-core-hybrid.md §1.4).
bool onStage(const MappingRow& row, int64_t stage, const Plan& plan) {
  const int64_t last = plan.layout.pp - 1;
  switch (row.section) {
    case Section::Embedding: return stage == 0 || (stage == last && plan.dims.mtpDepths > 0);
    case Section::Decoder: return plan.stages.stageOf(row.layer) == stage;
    case Section::FinalNorm:
    case Section::Output:
    case Section::Mtp: return stage == last;
  }
  return false;
}

// Legacy files number decoder layers locally to their stage (megatron-core-hybrid.md §1.5).
std::string localDecoderKey(const std::string& global, const MappingRow& row, const Plan& plan) {
  if (row.section != Section::Decoder) return global;
  const std::string prefix = "decoder.layers." + std::to_string(row.layer) + ".";
  return "decoder.layers." + std::to_string(plan.stages.localIndex(row.layer)) + "." + global.substr(prefix.size());
}

}  // namespace

Plan planConversion(const mapping::ModelDims& dims, const Layout& layout, const std::string& source) {
  Plan plan;
  plan.dims = dims;
  plan.layout = layout;
  plan.stages = checkLayout(dims, layout, source);
  plan.megatronVocab = layout.paddedVocab > 0 ? layout.paddedVocab
                       : layout.padVocab   ? paddedVocabSize(dims.vocab, layout.vocabDivisibleBy, layout.tp)
                                           : dims.vocab;
  if (plan.megatronVocab < dims.vocab) {
    badInput(source + ": Megatron vocab rows " + std::to_string(plan.megatronVocab) + " < vocab_size " +
             std::to_string(dims.vocab));
  }
  const mapping::Registry registry = mapping::buildNemotronHRegistry(
      dims, layout.registryOptions(plan.megatronVocab == dims.vocab ? 0 : plan.megatronVocab));
  const std::vector<mapping::ResolvedMapping> all = registry.expand();
  const int64_t expertsPerRank = dims.experts > 0 ? dims.experts / layout.ep : 0;

  for (int64_t pp = 0; pp < layout.pp; ++pp) {
    for (int64_t ep = 0; ep < layout.ep; ++ep) {
      for (int64_t tp = 0; tp < layout.tp; ++tp) {
        RankPlan rankPlan;
        rankPlan.rank = {tp, pp, ep};
        for (const mapping::ResolvedMapping& resolved : all) {
          const MappingRow& row = *resolved.row;
          if (!onStage(row, pp, plan)) continue;
          std::string global = resolved.megatron;
          std::string local = global;
          if (row.expert) {
            const int64_t expert = std::stoll(resolved.captures.at(0));
            if (expert / expertsPerRank != ep) continue;
            local = row.megatron.fill({std::to_string(expert % expertsPerRank)});
          }
          PlanEntry entry;
          entry.key = localDecoderKey(local, row, plan);
          entry.value = row.value;
          if (row.value == EntryValue::Tensor) {
            const bool expertSplit = row.spec.group == mapping::SplitGroup::ExpertTensor;
            const int64_t parts = expertSplit ? layout.etp : layout.tp;
            const int64_t index = expertSplit && layout.etp == 1 ? 0 : tp;
            entry.globalName = global;
            entry.sources = resolved.hf;
            entry.sourceShapes = row.hfShapes;
            entry.blocks = withContext(source + ": " + global, [&] {
              return mapping::shardBlocks(row.spec, row.hfShapes, parts, index);
            });
            entry.shape = mapping::shardShape(entry.blocks, row.hfShapes.front());
            entry.castToFp32 = layout.aLogDFp32 && row.fp32Candidate;
          }
          rankPlan.entries.push_back(std::move(entry));
          // Tied embeddings: a last stage without the embedding's first-stage copy still holds
          // output_layer.weight, initialised from the embedding (megatron-core-hybrid.md §3.2).
          if (dims.tiedEmbeddings && layout.pp > 1 && pp == layout.pp - 1 && row.section == Section::Output &&
              row.value == EntryValue::None) {
            PlanEntry tied = rankPlan.entries.back();
            const mapping::ResolvedMapping* embedding = &all.front();
            tied.key = tied.globalName = "output_layer.weight";
            tied.value = EntryValue::Tensor;
            tied.sources = embedding->hf;
            tied.sourceShapes = embedding->row->hfShapes;
            tied.blocks = mapping::shardBlocks(embedding->row->spec, tied.sourceShapes, layout.tp, tp);
            tied.shape = mapping::shardShape(tied.blocks, tied.sourceShapes.front());
            tied.exportDuplicate = true;
            rankPlan.entries.insert(rankPlan.entries.end() - 1, std::move(tied));
          }
        }
        plan.ranks.push_back(std::move(rankPlan));
      }
    }
  }
  return plan;
}

std::vector<ExportTask> planExport(const Plan& plan) {
  std::vector<ExportTask> tasks;
  std::unordered_map<std::string, std::size_t> byGlobalName;
  for (std::size_t r = 0; r < plan.ranks.size(); ++r) {
    const RankPlan& rank = plan.ranks[r];
    for (std::size_t e = 0; e < rank.entries.size(); ++e) {
      const PlanEntry& entry = rank.entries[e];
      if (entry.value != EntryValue::Tensor || entry.exportDuplicate) continue;
      auto [it, inserted] = byGlobalName.emplace(entry.globalName, tasks.size());
      if (inserted) {
        tasks.push_back({entry.sources, entry.sourceShapes, {}, entry.castToFp32});
      }
      ExportTask& task = tasks[it->second];
      bool replica = false;
      for (const ShardRef& ref : task.shards) {
        replica = replica || plan.ranks[ref.rankIndex].entries[ref.entryIndex].blocks == entry.blocks;
      }
      if (!replica) task.shards.push_back({r, e});
    }
  }
  // Every HF element must come from exactly one kept block.
  for (const ExportTask& task : tasks) {
    int64_t expected = 0, covered = 0;
    for (const Shape& shape : task.targetShapes) expected += numelChecked(shape);
    for (const ShardRef& ref : task.shards) {
      for (const mapping::Block& block : plan.ranks[ref.rankIndex].entries[ref.entryIndex].blocks) {
        if (block.source != mapping::kZeroSource) covered += block.rows * block.cols;
      }
    }
    if (covered != expected) {
      fail(ErrorKind::Internal, "export plan for " + task.targets.front() + " covers " + std::to_string(covered) +
                                    " of " + std::to_string(expected) + " elements");
    }
  }
  return tasks;
}

}  // namespace nhb::convert
