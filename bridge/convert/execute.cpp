#include "bridge/convert/execute.h"

#include <algorithm>
#include <future>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "bridge/convert/dtype_cast.h"
#include "bridge/core/error.h"

namespace nhb::convert {
namespace {

using mapping::EntryValue;

// An output tensor: either a view into the source or an owned buffer.
struct Produced {
  TensorView view;
  Tensor owned;
};

// Runs make(i) for i in [0, count) on up to `threads` workers while consume(i, result) is called
// in order; at most 2*threads results are alive at once.
template <class Make, class Consume>
void pipelined(std::size_t count, int threads, Make make, Consume consume) {
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) consume(i, make(i));
    return;
  }
  using Result = decltype(make(0));
  const std::size_t window = static_cast<std::size_t>(threads) * 2;
  std::vector<std::future<Result>> pending;
  std::size_t next = 0;
  for (std::size_t i = 0; i < count; ++i) {
    while (next < count && next < i + window) {
      pending.push_back(std::async(std::launch::async, make, next));
      ++next;
    }
    Result result = pending.front().get();
    pending.erase(pending.begin());
    consume(i, std::move(result));
  }
}

std::string shapeMismatch(const Shape& actual, const Shape& expected) {
  return "has shape " + shapeToString(actual) + " but " + shapeToString(expected) + " is expected";
}

void checkHfSources(const Plan& plan, const HfTensorSource& source) {
  std::unordered_map<std::string, Shape> needed;
  for (const RankPlan& rank : plan.ranks) {
    for (const PlanEntry& entry : rank.entries) {
      for (std::size_t s = 0; s < entry.sources.size(); ++s) needed.emplace(entry.sources[s], entry.sourceShapes[s]);
    }
  }
  for (const std::string& name : source.tensorNames()) {
    if (needed.count(name) == 0) {
      badInput(source.describe(name) + ": unknown tensor " + name +
               " (not a parameter the config implies; check the config or the checkpoint)");
    }
  }
  for (const auto& [name, shape] : needed) {
    std::optional<TensorView> view = source.find(name);
    if (!view) badInput("HF checkpoint: missing tensor " + name + " (the config implies it)");
    if (view->shape != shape) badInput(source.describe(name) + ": tensor " + name + " " + shapeMismatch(view->shape, shape));
  }
}

Produced produceShard(const PlanEntry& entry, const HfTensorSource& source) {
  std::vector<TensorView> views;
  for (const std::string& name : entry.sources) views.push_back(*source.find(name));
  const DType dtype = views.front().dtype;
  for (std::size_t s = 1; s < views.size(); ++s) {
    if (views[s].dtype != dtype) {
      badInput(source.describe(entry.sources[s]) + ": " + entry.sources[s] + " is " +
               std::string(shortName(views[s].dtype)) + " but " + entry.sources[0] + " is " +
               std::string(shortName(dtype)) + "; fused tensors need one dtype");
    }
  }
  Produced out;
  const bool cast = entry.castToFp32 && dtype != DType::F32;
  if (!cast && mapping::isContiguousSlice(entry.blocks, views.front().shape)) {
    const mapping::Block& block = entry.blocks.front();
    const std::size_t rowBytes = static_cast<std::size_t>(block.cols) * itemSize(dtype);
    out.view = TensorView{dtype, entry.shape, views.front().data + block.row0 * rowBytes, rowBytes * block.rows};
    return out;
  }
  Tensor gathered(dtype, entry.shape);
  mapping::gatherBlocks(entry.blocks, views, gathered.data());
  if (cast) {
    Tensor widened(DType::F32, entry.shape);
    castElements(dtype, gathered.data(), DType::F32, widened.data(), numelChecked(entry.shape));
    gathered = std::move(widened);
  }
  out.owned = std::move(gathered);
  out.view = out.owned.view();
  return out;
}

}  // namespace

ImportResult executeHfToMegatron(const Plan& plan, const HfTensorSource& source, MegatronStateSink& sink,
                                 const ExecuteOptions& options) {
  checkHfSources(plan, source);
  ImportResult result;
  const std::size_t total = plan.tensorCount();
  std::size_t done = 0;
  for (const RankPlan& rank : plan.ranks) {
    sink.beginRank(rank);
    pipelined(
        rank.entries.size(), options.threads,
        [&](std::size_t i) {
          const PlanEntry& entry = rank.entries[i];
          return entry.value == EntryValue::Tensor ? produceShard(entry, source) : Produced{};
        },
        [&](std::size_t i, Produced produced) {
          const PlanEntry& entry = rank.entries[i];
          ++result.entries;
          if (entry.value != EntryValue::Tensor) {
            sink.put(entry, nullptr, produced.owned);
            return;
          }
          if (entry.castToFp32) {
            DType original = source.find(entry.sources.front())->dtype;
            if (original != DType::F32) result.castSources.emplace(entry.sources.front(), original);
          }
          result.tensorBytes += produced.view.nbytes;
          sink.put(entry, &produced.view, produced.owned);
          if (options.progress) options.progress(++done, total);
        });
    sink.endRank();
  }
  return result;
}

namespace {

void checkMegatronSources(const Plan& plan, const MegatronShardSource& source) {
  // One dtype per tensor across all ranks (replicas included).
  std::unordered_map<std::string, std::pair<DType, const RankPlan*>> dtypes;
  for (const RankPlan& rank : plan.ranks) {
    const std::string where = source.describe(rank.rank);
    if (!source.hasRank(rank.rank)) {
      badInput("missing rank file: " + where + " (" + describeRank(rank.rank) + " of tp " +
               std::to_string(plan.layout.tp) + ", pp " + std::to_string(plan.layout.pp) + ", ep " +
               std::to_string(plan.layout.ep) + ")");
    }
    std::unordered_set<std::string> planned;
    for (const PlanEntry& entry : rank.entries) planned.insert(entry.key);
    std::unordered_set<std::string> present;
    for (const std::string& key : source.keys(rank.rank)) {
      if (planned.count(key) == 0) {
        badInput(where + ": unknown key " + key + " (not in the state dict the config and layout imply)");
      }
      present.insert(key);
    }
    for (const PlanEntry& entry : rank.entries) {
      if (present.count(entry.key) == 0) badInput(where + ": missing key " + entry.key);
      if (entry.value != EntryValue::Tensor) continue;
      std::optional<TensorView> view = source.find(rank.rank, entry.key);
      if (!view) badInput(where + ": key " + entry.key + " holds no tensor");
      if (view->shape != entry.shape) {
        badInput(where + ": tensor " + entry.key + " " + shapeMismatch(view->shape, entry.shape) + " on " +
                 describeRank(rank.rank) + " (shapes disagree with the layout tp " + std::to_string(plan.layout.tp) +
                 ", etp " + std::to_string(plan.layout.etp) + ")");
      }
      auto [seen, first] = dtypes.emplace(entry.globalName, std::make_pair(view->dtype, &rank));
      if (!first && seen->second.first != view->dtype) {
        badInput(where + ": tensor " + entry.key + " is " + std::string(shortName(view->dtype)) + " but " +
                 std::string(shortName(seen->second.first)) + " on " + describeRank(seen->second.second->rank));
      }
    }
  }
}

}  // namespace

uint64_t executeMegatronToHf(const Plan& plan, const MegatronShardSource& source, HfTensorSink& sink,
                             const ExportOptions& options) {
  checkMegatronSources(plan, source);
  const std::vector<ExportTask> tasks = planExport(plan);
  std::size_t total = 0;
  for (const ExportTask& task : tasks) total += task.targets.size();
  std::size_t done = 0;
  uint64_t bytes = 0;

  // Each task yields its HF tensors as views: straight into the single shard when that shard is
  // the whole tensor (tp 1), else into buffers gathered from the shards.
  struct Gathered {
    std::vector<Tensor> tensors;
    std::vector<TensorView> views;
  };
  pipelined(
      tasks.size(), options.threads,
      [&](std::size_t i) {
        const ExportTask& task = tasks[i];
        std::vector<TensorView> shards;
        for (const ShardRef& ref : task.shards) {
          const RankPlan& rank = plan.ranks[ref.rankIndex];
          shards.push_back(*source.find(rank.rank, rank.entries[ref.entryIndex].key));
        }
        const DType dtype = shards.front().dtype;
        for (std::size_t s = 1; s < shards.size(); ++s) {
          if (shards[s].dtype != dtype) {
            const RankPlan& rank = plan.ranks[task.shards[s].rankIndex];
            badInput(source.describe(rank.rank) + ": tensor " + rank.entries[task.shards[s].entryIndex].key + " is " +
                     std::string(shortName(shards[s].dtype)) + " but " + std::string(shortName(dtype)) +
                     " on another rank");
          }
        }
        Gathered gathered;
        const auto& firstBlocks = plan.ranks[task.shards.front().rankIndex].entries[task.shards.front().entryIndex].blocks;
        const bool restoreNeeded = options.restoreDTypes.count(task.targets.front()) > 0 &&
                                   options.restoreDTypes.at(task.targets.front()) != dtype;
        if (task.shards.size() == 1 && task.targets.size() == 1 && !restoreNeeded &&
            mapping::isContiguousSlice(firstBlocks, task.targetShapes.front()) && firstBlocks.front().row0 == 0 &&
            firstBlocks.front().rows == mapping::matrixRows(task.targetShapes.front())) {
          TensorView view = shards.front();
          view.shape = task.targetShapes.front();
          gathered.views.push_back(view);
          return gathered;
        }
        std::vector<std::byte*> targets;
        for (const Shape& shape : task.targetShapes) {
          gathered.tensors.emplace_back(dtype, shape);
          targets.push_back(gathered.tensors.back().data());
        }
        for (std::size_t s = 0; s < shards.size(); ++s) {
          const RankPlan& rank = plan.ranks[task.shards[s].rankIndex];
          mapping::scatterBlocks(rank.entries[task.shards[s].entryIndex].blocks, shards[s], targets,
                                 task.targetShapes);
        }
        for (std::size_t t = 0; t < task.targets.size(); ++t) {
          auto restore = options.restoreDTypes.find(task.targets[t]);
          if (restore == options.restoreDTypes.end() || restore->second == dtype) continue;
          Tensor narrowed(restore->second, task.targetShapes[t]);
          castElements(dtype, gathered.tensors[t].data(), restore->second, narrowed.data(),
                       numelChecked(task.targetShapes[t]));
          gathered.tensors[t] = std::move(narrowed);
        }
        for (const Tensor& tensor : gathered.tensors) gathered.views.push_back(tensor.view());
        return gathered;
      },
      [&](std::size_t i, Gathered gathered) {
        for (std::size_t t = 0; t < tasks[i].targets.size(); ++t) {
          bytes += gathered.views[t].nbytes;
          sink.put(tasks[i].targets[t], gathered.views[t]);
          if (options.progress) options.progress(++done, total);
        }
      });
  return bytes;
}

}  // namespace nhb::convert
