// How the human-readable renderers (Markdown, HTML) group a report: the categories in display
// order, which checks are per-layer detail, and a short metrics digest per check.
#pragma once

#include <string>
#include <vector>

#include "bridge/verify/report_model.h"

namespace nhb::harness::detail {

inline constexpr verify::CheckCategory kCategoryOrder[] = {
    verify::CheckCategory::Weights, verify::CheckCategory::Config, verify::CheckCategory::Tokenizer,
    verify::CheckCategory::Forward, verify::CheckCategory::Baseline};

// Per-layer forward checks ("forward.layer.<pair>.<layer>") are shown in their own table.
bool isLayerCheck(const verify::Check& check);

std::vector<const verify::Check*> checksIn(const verify::Report& report, verify::CheckCategory category,
                                           bool layerChecks);

// "max_abs_diff=3.2e-07, cosine_min=1" for at most `limit` metrics ("..." when more).
std::string metricsDigest(const verify::Metrics& metrics, size_t limit);

// Columns for the forward logits table, in order.
inline constexpr const char* kLogitsColumns[] = {"max_abs_diff", "mean_abs_diff", "cosine_min",
                                                 "cosine_mean",  "kl_mean",       "kl_max",
                                                 "top1_agreement", "top5_overlap", "nmse"};

// "2026-11-29T21:40:00Z, 3.2 s" style run description lines, shared by Markdown and HTML.
std::vector<std::pair<std::string, std::string>> runFacts(const verify::Report& report);

}  // namespace nhb::harness::detail
