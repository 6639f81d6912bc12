#include "bridge/config/pattern.h"

#include <algorithm>
#include <cstdio>

#include "bridge/core/error.h"

namespace nhb::config {

namespace {

std::string describeSymbol(char symbol) {
  if (symbol >= 0x20 && symbol < 0x7f) return std::string("'") + symbol + "'";
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02x", static_cast<unsigned char>(symbol));
  return buffer;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

void checkPipelineSize(int pp, const std::string& context) {
  if (pp < 1) badInput(context + ": pipeline-parallel size must be >= 1, got " + std::to_string(pp));
}

}  // namespace

bool isLayerSymbol(char symbol) {
  return symbol == 'M' || symbol == '*' || symbol == '-' || symbol == 'E';
}

LayerKind layerKindOf(char symbol) {
  if (!isLayerSymbol(symbol)) fail(ErrorKind::Internal, "not a layer symbol: " + describeSymbol(symbol));
  return static_cast<LayerKind>(symbol);
}

const char* layerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::Mamba: return "mamba";
    case LayerKind::Attention: return "attention";
    case LayerKind::Mlp: return "mlp";
    case LayerKind::Moe: return "moe";
  }
  return "?";
}

std::string blockTypeName(char symbol, BlockTypeScheme scheme) {
  bool linear = scheme == BlockTypeScheme::LinearFullAttention;
  switch (layerKindOf(symbol)) {
    case LayerKind::Mamba: return linear ? "linear_attention" : "mamba";
    case LayerKind::Attention: return linear ? "full_attention" : "attention";
    case LayerKind::Mlp: return "mlp";
    case LayerKind::Moe: return "moe";
  }
  return "";
}

char symbolOfBlockType(std::string_view name) {
  if (name == "mamba" || name == "linear_attention") return 'M';
  if (name == "attention" || name == "full_attention") return '*';
  if (name == "mlp") return '-';
  if (name == "moe") return 'E';
  return 0;
}

void validateLayerSymbols(std::string_view layers, const std::string& context) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!isLayerSymbol(layers[i])) {
      badInput(context + ": unknown layer symbol " + describeSymbol(layers[i]) + " at position " +
               std::to_string(i) + " of pattern \"" + std::string(layers) +
               "\" (expected M, *, - or E)");
    }
  }
}

int64_t HybridPattern::count(char symbol) const {
  return static_cast<int64_t>(std::count(layers.begin(), layers.end(), symbol));
}

std::string HybridPattern::unified() const {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '|';
    out += segments[i];
  }
  for (int64_t d = 0; d < mtpDepths; ++d) out += "/" + mtp;
  return out;
}

std::vector<int64_t> HybridPattern::layersPerStage(int pp) const {
  const std::string context = "pattern \"" + unified() + "\"";
  checkPipelineSize(pp, context);
  std::vector<int64_t> counts;
  if (hasPipelineSeparators()) {
    if (static_cast<int>(segments.size()) != pp) {
      badInput(context + ": has " + std::to_string(segments.size()) +
               " pipeline segments ('|') but pipeline-parallel size is " + std::to_string(pp));
    }
    for (const auto& segment : segments) counts.push_back(static_cast<int64_t>(segment.size()));
    return counts;
  }
  if (numLayers() % pp != 0) {
    badInput(context + ": " + std::to_string(numLayers()) +
             " layers do not split evenly over pipeline-parallel size " + std::to_string(pp));
  }
  counts.assign(static_cast<size_t>(pp), numLayers() / pp);
  return counts;
}

std::vector<int64_t> HybridPattern::stageLayerOffsets(int pp) const {
  std::vector<int64_t> counts = layersPerStage(pp);
  std::vector<int64_t> offsets(counts.size(), 0);
  for (size_t s = 1; s < counts.size(); ++s) offsets[s] = offsets[s - 1] + counts[s - 1];
  return offsets;
}

std::vector<int> HybridPattern::stageOfLayer(int pp) const {
  std::vector<int64_t> counts = layersPerStage(pp);
  std::vector<int> stages;
  stages.reserve(layers.size());
  for (size_t s = 0; s < counts.size(); ++s) stages.insert(stages.end(), counts[s], static_cast<int>(s));
  return stages;
}

HybridPattern parseHybridPattern(std::string_view unified, const std::string& context) {
  HybridPattern pattern;
  std::vector<std::string> parts = split(unified, '/');
  const std::string& main = parts.front();
  if (main.empty()) badInput(context + ": pattern \"" + std::string(unified) + "\" has an empty main part");

  pattern.segments = split(main, '|');
  for (size_t s = 0; s < pattern.segments.size(); ++s) {
    if (pattern.segments[s].empty()) {
      badInput(context + ": pattern \"" + std::string(unified) + "\" has an empty pipeline segment (" +
               std::to_string(s) + ")");
    }
  }
  // Validate the main part symbol by symbol, reporting positions within the main part as written.
  for (size_t i = 0; i < main.size(); ++i) {
    if (main[i] != '|' && !isLayerSymbol(main[i])) {
      badInput(context + ": unknown layer symbol " + describeSymbol(main[i]) + " at position " +
               std::to_string(i) + " of pattern \"" + std::string(unified) + "\" (expected M, *, - or E)");
    }
    if (main[i] != '|') pattern.layers += main[i];
  }

  for (size_t p = 1; p < parts.size(); ++p) {
    const std::string& part = parts[p];
    const std::string partContext = context + ": MTP part " + std::to_string(p) + " of pattern \"" +
                                    std::string(unified) + "\"";
    if (part.empty()) badInput(partContext + " is empty");
    if (part.find('|') != std::string::npos) badInput(partContext + " contains '|' (only the main part may)");
    validateLayerSymbols(part, partContext);
    if (p > 1 && part != parts[1]) {
      badInput(partContext + " (\"" + part + "\") differs from the first MTP part (\"" + parts[1] +
               "\"); all MTP parts must be identical");
    }
  }
  if (parts.size() > 1) {
    pattern.mtp = parts[1];
    pattern.mtpDepths = static_cast<int64_t>(parts.size() - 1);
  }
  return pattern;
}

std::string buildUnifiedPattern(std::string_view main, std::string_view mtp, int64_t depths) {
  std::string out(main.substr(0, main.find('/')));
  for (int64_t d = 0; d < depths; ++d) {
    out += '/';
    out += mtp;
  }
  return out;
}

std::string stripToLayers(std::string_view unified) {
  std::string out;
  for (char c : unified.substr(0, unified.find('/'))) {
    if (c != '|') out += c;
  }
  return out;
}

std::string withPipelineSeparators(std::string_view unified, int pp, const std::string& context) {
  checkPipelineSize(pp, context);
  HybridPattern pattern = parseHybridPattern(unified, context);
  if (pattern.numLayers() % pp != 0) {
    badInput(context + ": " + std::to_string(pattern.numLayers()) +
             " layers do not split evenly over pipeline-parallel size " + std::to_string(pp));
  }
  const int64_t perStage = pattern.numLayers() / pp;
  pattern.segments.clear();
  for (int s = 0; s < pp; ++s) pattern.segments.push_back(pattern.layers.substr(s * perStage, perStage));
  return pattern.unified();
}

}  // namespace nhb::config
