// The hybrid layer pattern: one parser for every place a pattern string appears.
// Unified syntax (megatron-core-hybrid.md §1.1-1.4, megatron-bridge-conversion.md §1.6):
//   main["|"main...]["/"mtp]["/"mtp]...
// One symbol = one layer: M Mamba-2, * attention, - dense MLP, E MoE. `|` splits the main part into
// pipeline segments; each `/` part is one MTP depth, all identical, never containing `|`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nhb::config {

enum class LayerKind : char { Mamba = 'M', Attention = '*', Mlp = '-', Moe = 'E' };

bool isLayerSymbol(char symbol);          // M * - E
LayerKind layerKindOf(char symbol);       // Internal error for non-symbols
const char* layerKindName(LayerKind kind);  // "mamba", "attention", "mlp", "moe"

// HF `layers_block_type` names. Scheme A (remote code R3): mamba/attention/mlp/moe;
// scheme B (transformers native): linear_attention/full_attention/mlp/moe.
enum class BlockTypeScheme { MambaAttention, LinearFullAttention };
std::string blockTypeName(char symbol, BlockTypeScheme scheme);
// Accepts either scheme; returns 0 when `name` is not a block type.
char symbolOfBlockType(std::string_view name);

struct HybridPattern {
  std::string layers;                 // main symbols, `|` removed: layers[i] is global layer i
  std::vector<std::string> segments;  // pipeline segments from `|`; one segment when there is none
  std::string mtp;                    // one MTP depth; empty when none
  int64_t mtpDepths = 0;              // number of `/` parts

  int64_t numLayers() const { return static_cast<int64_t>(layers.size()); }
  bool hasPipelineSeparators() const { return segments.size() > 1; }
  bool hasMtp() const { return mtpDepths > 0; }
  int64_t count(char symbol) const;   // in the main part
  bool contains(char symbol) const { return count(symbol) > 0; }

  // Main part with its `|` separators, then "/mtp" mtpDepths times.
  std::string unified() const;

  // Pipeline stage (0-based) owning each main layer: from the `|` segments when present (their
  // count must equal pp), an even split otherwise (num layers must divide by pp). BadInput otherwise.
  std::vector<int> stageOfLayer(int pp) const;
  // Number of main layers on each stage, same rules.
  std::vector<int64_t> layersPerStage(int pp) const;
  // Global index of the first layer of each stage, same rules.
  std::vector<int64_t> stageLayerOffsets(int pp) const;
};

// Parses and validates a unified pattern. `context` names where it came from (file and field) and
// is prepended to every error: unknown symbol (named with its 0-based position), empty main part,
// empty segment, `|` in an MTP part, differing MTP parts.
HybridPattern parseHybridPattern(std::string_view unified, const std::string& context);

// Validates a plain layer string (no `|`, no `/`): only M * - E. Errors name the symbol and position.
void validateLayerSymbols(std::string_view layers, const std::string& context);

// main + ("/" + mtp) * depths; `main` may already carry `|` (any `/` tail of main is dropped, as
// Megatron's finalize does).
std::string buildUnifiedPattern(std::string_view main, std::string_view mtp, int64_t depths);

// Re-splits the main part of `unified` into pp even segments joined by `|` (existing `|` removed),
// keeping the MTP tail. pp == 1 removes separators. BadInput when layers don't divide by pp.
std::string withPipelineSeparators(std::string_view unified, int pp, const std::string& context);

// Removes every `|` and the MTP tail: the main layer symbols.
std::string stripToLayers(std::string_view unified);

}  // namespace nhb::config
