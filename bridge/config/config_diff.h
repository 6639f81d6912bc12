// What an HF -> Megatron -> HF config round trip changes, key by key, and why. The documented
// differences are a table in config_diff.cpp, each with its reason; anything else is a real
// discrepancy (documented == false).
#pragma once

#include <string>
#include <vector>

#include "bridge/config/hf_config.h"

namespace nhb::config {

enum class DifferenceKind {
  Renamed,           // carried through a Megatron field (possibly of the same name), value preserved
  FromReference,     // not carried by Megatron; restored from the reference config.json
  DroppedOnPurpose,  // HF-only key the exporter does not write (with the reason)
  DefaultFilled,     // key the exporter adds that the original lacked
  ValueChanged,      // present on both sides with different values
};

const char* differenceKindName(DifferenceKind kind);  // "renamed", "from-reference", ...

struct ConfigDifference {
  std::string hfKey;
  std::string megatronField;  // carrying field, "" when none
  DifferenceKind kind = DifferenceKind::Renamed;
  Json before;                // original value; null when absent
  Json after;                 // round-tripped value; null when absent
  bool documented = false;    // an expected, explained difference
  std::string reason;
};

// The Megatron field that carries an HF key on the way through ("" when none).
std::string megatronFieldForHfKey(const std::string& hfKey);

// Classifies every key of `before` and `after` (before's order, then keys only in after).
// `withReference`: `after` was conformed to `before`, so uncarried keys count as FromReference.
std::vector<ConfigDifference> diffHfConfigs(const Json& before, const Json& after, bool withReference);

// HF -> provider -> HF (conformed to the original when `withReference`), then diffHfConfigs.
std::vector<ConfigDifference> diffRoundTrip(const HfConfig& original, bool withReference);

// True when every entry is documented.
bool onlyDocumentedDifferences(const std::vector<ConfigDifference>& differences);

// The kinds that are changes (everything except Renamed and FromReference).
bool isChange(DifferenceKind kind);

}  // namespace nhb::config
