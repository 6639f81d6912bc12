// What `nhbridge inspect` reports about a Hugging Face checkpoint directory: every tensor with
// dtype, shape and shard; totals; a per-layer-type summary; and the problems found by comparing
// the tensors with the inventory its config.json implies (hf_parameters.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/core/dtype.h"
#include "bridge/core/tensor_view.h"

namespace nhb::model {

struct InspectedTensor {
  std::string name;
  DType dtype = DType::U8;
  Shape shape;
  std::string file;  // shard file, relative to the checkpoint directory
  std::uint64_t nbytes = 0;
};

// One row of the per-layer-type summary. `symbol` is M * - E for backbone layers, 'T' for all
// MTP layers together and 'G' for global tensors (embeddings, norm_f, lm_head).
struct LayerTypeSummary {
  char symbol = 0;
  std::string kind;        // "mamba", "attention", "mlp", "moe", "mtp", "global"
  int64_t layers = 0;      // layers of that type in the config (0 for global)
  int64_t tensors = 0;     // on-disk tensors belonging to them
  int64_t parameters = 0;  // their elements
};

enum class ProblemKind {
  MissingTensor,       // implied by the config, absent on disk
  UnexpectedTensor,    // on disk, not implied by the config
  ShapeMismatch,
  DTypeMismatch,
  CorrectionBiasNotFp32,  // e_score_correction_bias must be F32
  MissingTokenizerFile,   // tokenizer.json, tokenizer_config.json, special_tokens_map.json
};
const char* problemKindName(ProblemKind kind);  // "missing_tensor", ...

struct Problem {
  ProblemKind kind;
  std::string subject;  // the tensor or file concerned
  std::string message;  // full sentence naming the subject, expected and found
};

struct Inspection {
  std::filesystem::path dir;
  std::string pattern;     // main layers in symbol form
  std::string mtpPattern;  // one MTP depth, empty when none
  int64_t mtpDepths = 0;
  DType modelDType = DType::BF16;
  std::vector<std::string> shardFiles;
  bool hasIndex = false;
  std::vector<InspectedTensor> tensors;  // sorted by name
  int64_t totalTensors = 0;
  int64_t totalParameters = 0;
  std::uint64_t totalBytes = 0;
  std::vector<LayerTypeSummary> layerTypes;  // M * - E present in the config, then MTP, then global
  std::vector<Problem> problems;
};

// Opens the directory (config.json + safetensors, index validated against the shards) and
// compares it with the inventory. BadInput when the directory, config or weights cannot be read;
// mismatches are not errors but problems in the result.
Inspection inspectHfCheckpoint(const std::filesystem::path& dir);

nlohmann::ordered_json inspectionToJson(const Inspection& inspection);
std::string inspectionToText(const Inspection& inspection);

}  // namespace nhb::model
