// Megatron-LM's legacy `torch` checkpoint format (--ckpt-format torch): one torch.save file per
// (tp, pp, ep) rank holding the rank's local state dict. See
// ../shared/reference/megatron-core-hybrid.md §5.1 (layout, top-level keys) and §3.1 (_extra_state).
//
//   <root>/latest_checkpointed_iteration.txt      "<iteration>" or "release"
//   <root>/iter_0000100/ or <root>/release/
//       mp_rank_TT/model_optim_rng.pt               pp == 1, ep == 1
//       mp_rank_TT_PPP/model_optim_rng.pt           pp  > 1, ep == 1
//       mp_rank_TT_EEE/model_optim_rng.pt           pp == 1, ep  > 1
//       mp_rank_TT_PPP_EEE/model_optim_rng.pt       pp  > 1, ep  > 1
//
// Each file is {"model": OrderedDict[str, Tensor|None], "checkpoint_version": 3.0,
// "iteration": N, "args": argparse.Namespace(...)} (args optional). We write only these keys (no
// optimizer / RNG state), which Megatron loads with --finetune / --no-load-optim / --no-load-rng,
// or without flags for release checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/io/torch/state_dict.h"
#include "bridge/io/torch/torch_load.h"

namespace nhb::io {

struct MegatronRankId {
  int tp = 0;
  int pp = 0;
  int ep = 0;
  friend bool operator==(const MegatronRankId& a, const MegatronRankId& b) {
    return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep;
  }
  friend bool operator!=(const MegatronRankId& a, const MegatronRankId& b) { return !(a == b); }
};

struct MegatronParallelSizes {
  int tp = 1;
  int pp = 1;
  int ep = 1;
  int64_t rankCount() const { return int64_t{tp} * pp * ep; }
  friend bool operator==(const MegatronParallelSizes& a, const MegatronParallelSizes& b) {
    return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep;
  }
};

// "mp_rank_01", "mp_rank_01_002", "mp_rank_01_003" (ep), "mp_rank_01_002_003"; the suffixes
// appear only for the parallel dimensions that are > 1. BadInput when rank is out of range.
std::string megatronRankDirName(const MegatronRankId& rank, const MegatronParallelSizes& sizes);

// "iter_0000100" (7 digits, more when needed) or "release" for nullopt.
std::string megatronIterationDirName(std::optional<int64_t> iteration);

// Every rank of a layout, tp fastest, then ep, then pp (the order files are usually written in).
std::vector<MegatronRankId> allMegatronRanks(const MegatronParallelSizes& sizes);

inline constexpr const char* kMegatronRankFileName = "model_optim_rng.pt";
inline constexpr const char* kMegatronTrackerFileName = "latest_checkpointed_iteration.txt";

struct MegatronLegacyWriteOptions {
  std::filesystem::path root;              // the --save directory; created if missing
  std::optional<int64_t> iteration;        // nullopt: a release checkpoint ("release/", iteration 0)
  MegatronParallelSizes sizes;
  // Training args stored as argparse.Namespace: name -> int / float / bool / string / null /
  // list (nested lists and objects allowed). Null or absent: no "args" key. When an object, the
  // writer adds tensor_model_parallel_size / pipeline_model_parallel_size /
  // expert_model_parallel_size if missing and rejects (BadInput) values that contradict `sizes`.
  nlohmann::ordered_json args;
  bool overwrite = false;                  // replace rank files / tracker that already exist
};

// Streams a checkpoint one rank file at a time: the caller builds a rank's tensors, calls
// writeRank (which writes <rank dir>/model_optim_rng.pt atomically: temporary name + rename) and
// may free them afterwards. finish() checks that every rank was written and then writes the
// tracker file last, so an interrupted conversion never looks like a complete checkpoint.
class MegatronLegacyWriter {
 public:
  explicit MegatronLegacyWriter(MegatronLegacyWriteOptions options);

  // Entries keep their order in the "model" OrderedDict. Views that share one data pointer, dtype
  // and size are written once (one shared storage), like tied weights in torch.save.
  void writeRank(const MegatronRankId& rank, const StateDictEntries& entries);

  // BadInput naming the missing rank directories if any rank was not written.
  void finish();

  std::filesystem::path iterationDir() const;  // root / "iter_XXXXXXX" or root / "release"
  std::filesystem::path rankFilePath(const MegatronRankId& rank) const;

 private:
  MegatronLegacyWriteOptions options_;
  std::vector<bool> written_;
};

// One rank file, loaded: the file stays memory-mapped while this object lives; contiguous tensors
// are views straight into the mapping, non-contiguous ones are materialised copies owned here.
class MegatronRankState {
 public:
  // The "model" state dict (or "model<chunk>" for virtual-pipeline files), entries in file order.
  const StateDictEntries& entries(std::size_t chunk = 0) const { return chunk_(chunk).entries(); }
  std::size_t modelChunkCount() const { return chunks_.size(); }
  const StateDictEntry* find(std::string_view key, std::size_t chunk = 0) const { return chunk_(chunk).find(key); }
  // Keys whose value is neither a tensor nor None (e.g. an old TransformerEngine BytesIO
  // _extra_state); they are kept out of entries().
  const std::vector<std::string>& otherKeys(std::size_t chunk = 0) const { return chunk_(chunk).otherKeys(); }
  // The whole decoded file, for anything beyond the model (optimizer, rng_state, ...).
  const TorchFile& file() const { return *file_; }

  double checkpointVersion() const { return checkpointVersion_; }
  int64_t iteration() const { return iteration_; }
  const nlohmann::ordered_json& args() const { return args_; }  // null when the file has none
  const std::filesystem::path& path() const { return path_; }

 private:
  friend MegatronRankState loadMegatronRankFile(const std::filesystem::path& path);
  const TorchStateDict& chunk_(std::size_t chunk) const;

  std::filesystem::path path_;
  std::shared_ptr<const TorchFile> file_;
  std::vector<TorchStateDict> chunks_;  // "model", or "model0", "model1", ... (virtual pipeline)
  double checkpointVersion_ = 0.0;
  int64_t iteration_ = 0;
  nlohmann::ordered_json args_;
};

class MegatronLegacyCheckpoint {
 public:
  // `root` is the --save directory (with latest_checkpointed_iteration.txt) or an iteration
  // directory (iter_XXXXXXX / release) itself. Parallel sizes come from the rank directory names,
  // disambiguated and cross-checked with the args of rank 0 (a two-part name mp_rank_TT_XXX is
  // pp when args say pipeline_model_parallel_size > 1, ep when they say
  // expert_model_parallel_size > 1, pp when there are no args). BadInput naming the path for a
  // missing or malformed tracker, missing iteration directory, or any missing rank file.
  static MegatronLegacyCheckpoint open(const std::filesystem::path& root);

  const MegatronParallelSizes& sizes() const { return sizes_; }
  bool isRelease() const { return !iteration_.has_value(); }
  int64_t iteration() const { return iteration_.value_or(0); }
  const std::filesystem::path& iterationDir() const { return iterationDir_; }
  // Rank 0's args as JSON (see pickleToJson: numbers, strings, bools, null, lists, dicts; torch
  // dtypes as "torch.bfloat16"; other objects as "<module.Class ...>" strings); null when absent.
  const nlohmann::ordered_json& args() const { return args_; }

  std::filesystem::path rankFilePath(const MegatronRankId& rank) const;
  MegatronRankState loadRank(const MegatronRankId& rank) const;

 private:
  std::filesystem::path iterationDir_;
  std::optional<int64_t> iteration_;
  MegatronParallelSizes sizes_;
  bool namesPp_ = false;  // rank directory names carry a pipeline / expert part
  bool namesEp_ = false;
  nlohmann::ordered_json args_;
};

// Loads one model_optim_rng.pt file directly (no directory structure needed).
MegatronRankState loadMegatronRankFile(const std::filesystem::path& path);

}  // namespace nhb::io
