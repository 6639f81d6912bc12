// Config fidelity as report checks: the field-by-field HF -> Megatron -> HF diff with its
// classifications (config_diff.h), the exported config.json against the source, and (pair mode) the
// Megatron side's stored configs against the HF config.json.
#pragma once

#include <filesystem>
#include <string>

#include "bridge/config/config_diff.h"
#include "bridge/config/hf_config.h"
#include "bridge/verify/report_model.h"

namespace nhb::verify {

// "config.roundtrip": HF -> provider -> HF (conformed to the source) in memory. Fail on any
// undocumented difference (a "value changed" or dropped key without a documented reason), Warn on
// documented changes, Pass otherwise. Every difference is listed in details.
Check configRoundTripCheck(const config::HfConfig& source);

// "config.exported": the exported config.json (as read from `exportedLabel`) against the source,
// classified like the round trip (withReference: keys Megatron does not carry must come back from
// the source unchanged). Same verdict rule.
Check exportedConfigCheck(const config::HfConfig& source, const config::Json& exported, const std::string& exportedLabel);

// "config.megatron": the Megatron checkpoint's nhbridge_conversion.json "hf_config" against the HF
// config.json (undocumented difference: Fail) and its megatron_config.json against the provider
// config the HF config translates to (any field that differs: Fail, naming the field). Skip when
// the directory holds neither file.
Check megatronConfigCheck(const config::HfConfig& hf, const std::filesystem::path& megatronDir);

// Shared verdict and evidence for a list of differences (exposed for tests and the CLI).
void judgeConfigDifferences(const std::vector<config::ConfigDifference>& differences, Check& check);

}  // namespace nhb::verify
