// The fidelity report's plain data: what `nhbridge verify` found, check by check. Pure C++ (no
// libtorch) so bridge/verify can fill weights/config/tokenizer checks; harness/compare adds forward
// checks and harness/report renders one Report to JSON, Markdown, JUnit XML and HTML.
//
// Conventions every producer follows:
//  - Check::id is stable across runs and unique in a report ("weights.bitwise",
//    "weights.tensor.backbone.layers.3.mixer.in_proj.weight", "config.roundtrip",
//    "tokenizer.special_ids", "forward.logits.hf_vs_megatron", "forward.layer.hf_vs_megatron.7").
//    Baseline comparison matches checks by id and metrics by name.
//  - Metric values are plain doubles; counts are stored as doubles too. Non-finite values are
//    allowed (JSON renders them as strings "nan", "inf", "-inf").
//  - Metric names say the direction, which --baseline uses to spot regressions (metricDirection in
//    harness/report/baseline.h): names containing "diff", "ulp", "nmse", "mismatch", "differing",
//    "missing", "unexpected", "diverged", "changed", "failed", "problem", "disagreement",
//    "undocumented", "out_of_vocab", "zero_row", "error", or starting with "kl" are better when
//    lower; names starting with "cosine" or containing "agreement", "overlap", "identical" or
//    ending in "_rate" are better when higher; anything else ("numel", "positions", "vocab_size",
//    "tensors_compared_count") is informational and never a regression.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhb::verify {

enum class Verdict { Pass, Fail, Warn, Skip };
enum class CheckCategory { Weights, Config, Tokenizer, Forward, Baseline };  // Baseline: --baseline regressions

inline const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::Warn: return "warn";
    case Verdict::Skip: return "skip";
  }
  return "fail";
}

inline const char* categoryName(CheckCategory c) {
  switch (c) {
    case CheckCategory::Weights: return "weights";
    case CheckCategory::Config: return "config";
    case CheckCategory::Tokenizer: return "tokenizer";
    case CheckCategory::Forward: return "forward";
    case CheckCategory::Baseline: return "baseline";
  }
  return "weights";
}

inline std::optional<Verdict> parseVerdict(std::string_view name) {
  if (name == "pass") return Verdict::Pass;
  if (name == "fail") return Verdict::Fail;
  if (name == "warn") return Verdict::Warn;
  if (name == "skip") return Verdict::Skip;
  return std::nullopt;
}

inline std::optional<CheckCategory> parseCategory(std::string_view name) {
  if (name == "weights") return CheckCategory::Weights;
  if (name == "config") return CheckCategory::Config;
  if (name == "tokenizer") return CheckCategory::Tokenizer;
  if (name == "forward") return CheckCategory::Forward;
  if (name == "baseline") return CheckCategory::Baseline;
  return std::nullopt;
}

// Name → number in insertion order (reports show metrics in the order they were computed).
class Metrics {
 public:
  using Entry = std::pair<std::string, double>;

  // Inserts or overwrites, keeping the first insertion position.
  void set(const std::string& name, double value) {
    for (auto& entry : entries_) {
      if (entry.first == name) {
        entry.second = value;
        return;
      }
    }
    entries_.emplace_back(name, value);
  }
  std::optional<double> get(std::string_view name) const {
    for (const auto& entry : entries_)
      if (entry.first == name) return entry.second;
    return std::nullopt;
  }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// Values to chart (HTML: inline SVG line charts): per-layer max diff, per-position cosine.
struct Series {
  std::string name;     // "max_abs_diff_per_layer", "cosine_per_position"
  std::string xLabel;   // "layer", "position"
  std::string yLabel;   // "max |diff|", "cosine"
  bool logScale = false;
  std::vector<std::string> xTicks;  // optional labels per point ("0:M", "1:E"); empty = indices
  std::vector<double> values;
};

struct Check {
  std::string id;                 // stable, unique in the report (see above)
  CheckCategory category = CheckCategory::Weights;
  std::string name;               // short human title
  Verdict verdict = Verdict::Skip;
  std::string message;            // one line: why it passed/failed (names the tensor/field)
  Metrics metrics;                // measured numbers
  Metrics thresholds;             // limits the verdict used ("atol", "rtol", "min_cosine", ...)
  nlohmann::ordered_json details = nlohmann::ordered_json::object();  // free-form evidence
  std::vector<Series> series;     // chart data (optional)
};

// A check with its identity set and no verdict yet (Skip).
inline Check newCheck(CheckCategory category, std::string id, std::string name) {
  Check check;
  check.id = std::move(id);
  check.category = category;
  check.name = std::move(name);
  return check;
}

struct Layout {
  int tp = 1, pp = 1, ep = 1, etp = 1;
};

struct Summary {
  int total = 0, passed = 0, failed = 0, warned = 0, skipped = 0;
  Verdict verdict = Verdict::Skip;  // fail if any fail; else warn if any warn; else pass (skip if
                                    // every check was skipped or there are none)
};

inline constexpr int kReportSchemaVersion = 1;

struct Report {
  int schemaVersion = kReportSchemaVersion;
  std::string toolName = "nhbridge";
  std::string toolVersion;                 // "0.1.0"
  std::string createdAt;                   // ISO 8601 UTC, "2026-11-29T21:40:00Z"
  std::string mode;                        // "roundtrip", "pair-megatron", "pair-hf"
  std::vector<std::pair<std::string, std::string>> inputs;  // "hf" → path, "megatron" → path, ...
  Layout layout;
  std::string dtype;                       // compute dtype of forwards: "float32", "bfloat16"
  std::string device;                      // "cpu", "cuda:0"
  std::vector<Check> checks;
  std::optional<std::string> baselinePath; // set when compared against an earlier report
  double elapsedSeconds = 0;
};

inline Summary summarize(const std::vector<Check>& checks) {
  Summary s;
  for (const Check& check : checks) {
    ++s.total;
    switch (check.verdict) {
      case Verdict::Pass: ++s.passed; break;
      case Verdict::Fail: ++s.failed; break;
      case Verdict::Warn: ++s.warned; break;
      case Verdict::Skip: ++s.skipped; break;
    }
  }
  if (s.failed > 0) s.verdict = Verdict::Fail;
  else if (s.warned > 0) s.verdict = Verdict::Warn;
  else if (s.passed > 0) s.verdict = Verdict::Pass;
  else s.verdict = Verdict::Skip;
  return s;
}

inline Summary summarize(const Report& report) { return summarize(report.checks); }

}  // namespace nhb::verify
