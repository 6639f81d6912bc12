// One entry of a PyTorch state dict as the converter sees it: a key and either a tensor (a view;
// never owned here) or Python None (Megatron's ColumnParallelLinear/RowParallelLinear store
// `_extra_state` = None; TransformerEngine stores an empty uint8 tensor instead).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/tensor_view.h"

namespace nhb::io {

struct StateDictEntry {
  std::string key;
  std::optional<TensorView> tensor;  // nullopt: the value is None

  static StateDictEntry none(std::string key) { return {std::move(key), std::nullopt}; }
  static StateDictEntry of(std::string key, TensorView view) { return {std::move(key), std::move(view)}; }
  bool isNone() const { return !tensor.has_value(); }
};

using StateDictEntries = std::vector<StateDictEntry>;

// "<module>._extra_state": TransformerEngine / Megatron module state rather than a weight.
inline bool isExtraStateKey(std::string_view key) {
  constexpr std::string_view kSuffix = "_extra_state";
  if (key.size() < kSuffix.size() || key.substr(key.size() - kSuffix.size()) != kSuffix) return false;
  return key.size() == kSuffix.size() || key[key.size() - kSuffix.size() - 1] == '.';
}

}  // namespace nhb::io
