#include "bridge/mapping/registry.h"

#include "bridge/core/error.h"

namespace nhb::mapping {

void Registry::add(MappingRow row) {
  bool wildcard = row.megatron.hasWildcards();
  for (const NamePattern& hf : row.hf) wildcard = wildcard || hf.hasWildcards();
  if (!row.hf.empty() && row.hf.size() != row.hfShapes.size()) {
    fail(ErrorKind::Internal, "registry row " + row.megatron.text() + ": one shape per HF source required");
  }
  std::size_t index = rows_.size();
  if (wildcard) {
    wildcardRows_.push_back(index);
  } else {
    exactMegatron_.emplace(row.megatron.text(), index);  // emplace keeps the first registration
    for (const NamePattern& hf : row.hf) exactHf_.emplace(hf.text(), index);
  }
  rows_.push_back(std::move(row));
}

ResolvedMapping Registry::resolve(std::size_t rowIndex, const Captures& captures) const {
  const MappingRow& row = rows_.at(rowIndex);
  ResolvedMapping resolved{&row, rowIndex, captures, row.megatron.fill(captures), {}};
  for (const NamePattern& hf : row.hf) resolved.hf.push_back(hf.fill(captures));
  return resolved;
}

std::optional<ResolvedMapping> Registry::megatronToHf(std::string_view name) const {
  std::size_t best = rows_.size();
  Captures bestCaptures;
  if (auto it = exactMegatron_.find(std::string(name)); it != exactMegatron_.end() && !rows_[it->second].hf.empty()) {
    best = it->second;
  }
  for (std::size_t index : wildcardRows_) {
    if (index >= best) break;
    if (rows_[index].hf.empty()) continue;
    if (auto captures = rows_[index].megatron.match(name)) {
      best = index;
      bestCaptures = std::move(*captures);
      break;
    }
  }
  if (best == rows_.size()) return std::nullopt;
  return resolve(best, bestCaptures);
}

std::optional<ResolvedMapping> Registry::hfToMegatron(std::string_view name) const {
  std::size_t best = rows_.size();
  Captures bestCaptures;
  if (auto it = exactHf_.find(std::string(name)); it != exactHf_.end()) best = it->second;
  for (std::size_t index : wildcardRows_) {
    if (index >= best) break;
    for (const NamePattern& hf : rows_[index].hf) {
      if (auto captures = hf.match(name)) {
        best = index;
        bestCaptures = std::move(*captures);
        break;
      }
    }
    if (best == index) break;
  }
  if (best == rows_.size()) return std::nullopt;
  return resolve(best, bestCaptures);
}

std::vector<ResolvedMapping> Registry::expand() const {
  std::vector<ResolvedMapping> out;
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].instances == 0) {
      out.push_back(resolve(i, {}));
      continue;
    }
    for (int64_t e = 0; e < rows_[i].instances; ++e) out.push_back(resolve(i, {std::to_string(e)}));
  }
  return out;
}

}  // namespace nhb::mapping
