#include "bridge/convert/legacy_checkpoint_source.h"

#include <filesystem>

namespace nhb::convert {
namespace {

io::MegatronRankId rankId(const Rank& rank) {
  return {static_cast<int>(rank.tp), static_cast<int>(rank.pp), static_cast<int>(rank.ep)};
}

}  // namespace

bool LegacyCheckpointSource::hasRank(const Rank& rank) const {
  return std::filesystem::exists(checkpoint_.rankFilePath(rankId(rank)));
}

std::vector<std::string> LegacyCheckpointSource::keys(const Rank& rank) const {
  std::vector<std::string> out;
  const io::MegatronRankState& state = load(rank);
  for (const io::StateDictEntry& entry : state.entries()) out.push_back(entry.key);
  for (const std::string& key : state.otherKeys()) out.push_back(key);
  return out;
}

std::optional<TensorView> LegacyCheckpointSource::find(const Rank& rank, const std::string& key) const {
  const io::StateDictEntry* entry = load(rank).find(key);
  if (entry == nullptr || entry->isNone()) return std::nullopt;
  return *entry->tensor;
}

std::string LegacyCheckpointSource::describe(const Rank& rank) const {
  return checkpoint_.rankFilePath(rankId(rank)).string();
}

const io::MegatronRankState& LegacyCheckpointSource::load(const Rank& rank) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = loaded_.find(rank);
  if (it == loaded_.end()) it = loaded_.emplace(rank, checkpoint_.loadRank(rankId(rank))).first;
  return it->second;
}

}  // namespace nhb::convert
