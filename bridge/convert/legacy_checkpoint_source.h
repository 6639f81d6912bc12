// A legacy Megatron checkpoint (one model_optim_rng.pt per rank) as a MegatronShardSource: rank
// files are loaded on first use and kept mapped, so the views handed out stay valid. Thread-safe,
// for the parallel export workers. Used by convertMegatronToHf and by verify's comparison.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bridge/convert/tensor_access.h"
#include "bridge/io/megatron_legacy.h"

namespace nhb::convert {

class LegacyCheckpointSource : public MegatronShardSource {
 public:
  explicit LegacyCheckpointSource(const io::MegatronLegacyCheckpoint& checkpoint) : checkpoint_(checkpoint) {}

  bool hasRank(const Rank& rank) const override;
  std::vector<std::string> keys(const Rank& rank) const override;
  std::optional<TensorView> find(const Rank& rank, const std::string& key) const override;
  std::string describe(const Rank& rank) const override;

 private:
  const io::MegatronRankState& load(const Rank& rank) const;

  const io::MegatronLegacyCheckpoint& checkpoint_;
  mutable std::mutex mutex_;
  mutable std::map<Rank, io::MegatronRankState> loaded_;  // mapped files, views stay valid
};

}  // namespace nhb::convert
