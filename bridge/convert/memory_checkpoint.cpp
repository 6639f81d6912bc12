#include "bridge/convert/memory_checkpoint.h"

#include "bridge/core/error.h"

namespace nhb::convert {

void MemoryHfCheckpoint::add(const std::string& name, Tensor tensor) {
  auto [it, inserted] = index_.emplace(name, tensors_.size());
  if (!inserted) {
    tensors_[it->second].second = std::move(tensor);
    return;
  }
  tensors_.emplace_back(name, std::move(tensor));
}

const Tensor* MemoryHfCheckpoint::get(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second].second;
}

std::vector<std::string> MemoryHfCheckpoint::tensorNames() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors_) names.push_back(name);
  return names;
}

std::optional<TensorView> MemoryHfCheckpoint::find(const std::string& name) const {
  const Tensor* tensor = get(name);
  if (tensor == nullptr) return std::nullopt;
  return tensor->view();
}

std::string MemoryHfCheckpoint::describe(const std::string&) const { return "in-memory HF checkpoint"; }

void MemoryHfCheckpoint::put(const std::string& name, const TensorView& tensor) { add(name, Tensor::copyOf(tensor)); }

MemoryMegatronCheckpoint::Value* MemoryMegatronCheckpoint::get(const Rank& rank, const std::string& key) {
  auto it = ranks_.find(rank);
  if (it == ranks_.end()) return nullptr;
  for (auto& [name, value] : it->second) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool MemoryMegatronCheckpoint::hasRank(const Rank& rank) const { return ranks_.count(rank) > 0; }

std::vector<std::string> MemoryMegatronCheckpoint::keys(const Rank& rank) const {
  std::vector<std::string> out;
  auto it = ranks_.find(rank);
  if (it != ranks_.end()) {
    for (const auto& [name, value] : it->second) out.push_back(name);
  }
  return out;
}

std::optional<TensorView> MemoryMegatronCheckpoint::find(const Rank& rank, const std::string& key) const {
  auto it = ranks_.find(rank);
  if (it == ranks_.end()) return std::nullopt;
  for (const auto& [name, value] : it->second) {
    if (name == key) {
      if (value.kind == mapping::EntryValue::None) return std::nullopt;
      return value.tensor.view();
    }
  }
  return std::nullopt;
}

std::string MemoryMegatronCheckpoint::describe(const Rank& rank) const {
  return "in-memory Megatron rank (" + describeRank(rank) + ")";
}

void MemoryMegatronCheckpoint::beginRank(const RankPlan& rank) {
  current_ = rank.rank;
  ranks_[current_].clear();
}

void MemoryMegatronCheckpoint::put(const PlanEntry& entry, const TensorView* tensor, Tensor& owned) {
  Value value;
  value.kind = entry.value;
  if (entry.value == mapping::EntryValue::EmptyBytes) value.tensor = Tensor(DType::U8, {0});
  if (tensor != nullptr && entry.value == mapping::EntryValue::Tensor) {
    value.tensor = owned.nbytes() == tensor->nbytes && owned.data() == tensor->data ? std::move(owned)
                                                                                     : Tensor::copyOf(*tensor);
  }
  ranks_[current_].emplace_back(entry.key, std::move(value));
}

}  // namespace nhb::convert
