// A Hugging Face NemotronHForCausalLM checkpoint directory: config.json, the safetensors
// weights, and an inventory of everything else (tokenizer files, chat template, remote code)
// that a conversion back to HF should carry over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config/hf_config.h"
#include "bridge/io/safetensors_checkpoint.h"

namespace nhb::io {

enum class ExtraFileKind {
  Tokenizer,         // tokenizer.json
  TokenizerConfig,   // tokenizer_config.json
  SpecialTokensMap,  // special_tokens_map.json
  ChatTemplate,      // chat_template.jinja
  GenerationConfig,  // generation_config.json
  ReasoningParser,   // *reasoning_parser.py
  Other,             // README.md, modeling_*.py, LICENSE, ...
};

std::string_view extraFileKindName(ExtraFileKind kind);  // "tokenizer", ..., "other"
// Kind of a top-level file name (not meaningful for weight files, config.json or hidden files).
ExtraFileKind classifyExtraFile(const std::string& fileName);
// *.safetensors, the safetensors index, and legacy pytorch_model*.bin / *.bin.index.json.
bool isWeightFileName(const std::string& fileName);

struct ExtraFile {
  std::string name;  // relative to the checkpoint directory
  ExtraFileKind kind = ExtraFileKind::Other;
  std::uint64_t size = 0;
};

class HfCheckpoint {
 public:
  static HfCheckpoint open(const std::filesystem::path& dir);

  HfCheckpoint(HfCheckpoint&&) = default;
  HfCheckpoint& operator=(HfCheckpoint&&) = default;

  const std::filesystem::path& dir() const { return dir_; }
  const config::HfConfig& config() const { return config_; }
  const SafetensorsCheckpoint& tensors() const { return tensors_; }
  // Top-level regular files other than config.json, weight files and hidden files, sorted by name.
  const std::vector<ExtraFile>& extraFiles() const { return extraFiles_; }
  const ExtraFile* findExtraFile(ExtraFileKind kind) const;  // first of that kind, or nullptr

 private:
  HfCheckpoint(std::filesystem::path dir, config::HfConfig config, SafetensorsCheckpoint tensors,
               std::vector<ExtraFile> extraFiles);

  std::filesystem::path dir_;
  config::HfConfig config_;
  SafetensorsCheckpoint tensors_;
  std::vector<ExtraFile> extraFiles_;
};

// The inventory alone (no config or weights needed); used by HfCheckpoint::open.
std::vector<ExtraFile> listExtraFiles(const std::filesystem::path& dir);

}  // namespace nhb::io
