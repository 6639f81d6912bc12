#include "bridge/io/hf_checkpoint.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "bridge/core/error.h"
#include "bridge/io/path_safety.h"
#include "bridge/io/sharded_safetensors.h"

namespace nhb::io {
namespace fs = std::filesystem;
namespace {

bool endsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string_view extraFileKindName(ExtraFileKind kind) {
  switch (kind) {
    case ExtraFileKind::Tokenizer: return "tokenizer";
    case ExtraFileKind::TokenizerConfig: return "tokenizer_config";
    case ExtraFileKind::SpecialTokensMap: return "special_tokens_map";
    case ExtraFileKind::ChatTemplate: return "chat_template";
    case ExtraFileKind::GenerationConfig: return "generation_config";
    case ExtraFileKind::ReasoningParser: return "reasoning_parser";
    case ExtraFileKind::Other: return "other";
  }
  return "other";
}

ExtraFileKind classifyExtraFile(const std::string& fileName) {
  if (fileName == "tokenizer.json") return ExtraFileKind::Tokenizer;
  if (fileName == "tokenizer_config.json") return ExtraFileKind::TokenizerConfig;
  if (fileName == "special_tokens_map.json") return ExtraFileKind::SpecialTokensMap;
  if (fileName == "chat_template.jinja") return ExtraFileKind::ChatTemplate;
  if (fileName == "generation_config.json") return ExtraFileKind::GenerationConfig;
  if (endsWith(fileName, "reasoning_parser.py")) return ExtraFileKind::ReasoningParser;
  return ExtraFileKind::Other;
}

bool isWeightFileName(const std::string& fileName) {
  return endsWith(fileName, ".safetensors") || fileName == kSafetensorsIndexName ||
         (startsWith(fileName, "pytorch_model") &&
          (endsWith(fileName, ".bin") || endsWith(fileName, ".bin.index.json")));
}

std::vector<ExtraFile> listExtraFiles(const fs::path& dir) {
  std::vector<ExtraFile> files;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) fail(ErrorKind::Io, dir.string() + ": cannot list directory: " + error.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    // Hidden files are repository plumbing (.gitattributes) or our own temporaries.
    if (name.empty() || name[0] == '.' || name == "config.json" || isWeightFileName(name)) continue;
    std::error_code statError;
    if (!entry.is_regular_file(statError)) continue;  // subdirectories, sockets, dangling links
    // A symlink is followed when the file is compared or copied: it must not lead out of `dir`.
    if (entry.is_symlink(statError)) (void)resolveInside(dir, name, dir.string());
    files.push_back(ExtraFile{name, classifyExtraFile(name), entry.file_size(statError)});
  }
  std::sort(files.begin(), files.end(),
            [](const ExtraFile& a, const ExtraFile& b) { return a.name < b.name; });
  return files;
}

HfCheckpoint::HfCheckpoint(fs::path dir, config::HfConfig config, SafetensorsCheckpoint tensors,
                           std::vector<ExtraFile> extraFiles)
    : dir_(std::move(dir)),
      config_(std::move(config)),
      tensors_(std::move(tensors)),
      extraFiles_(std::move(extraFiles)) {}

HfCheckpoint HfCheckpoint::open(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error))
    badInput(dir.string() + ": not a directory (expected a Hugging Face checkpoint directory)");
  const fs::path configPath = dir / "config.json";
  if (!fs::is_regular_file(configPath, error)) badInput(configPath.string() + ": missing");
  config::HfConfig config = config::loadHfConfig(configPath);
  SafetensorsCheckpoint tensors = SafetensorsCheckpoint::open(dir);
  return HfCheckpoint(dir, std::move(config), std::move(tensors), listExtraFiles(dir));
}

const ExtraFile* HfCheckpoint::findExtraFile(ExtraFileKind kind) const {
  for (const auto& file : extraFiles_)
    if (file.kind == kind) return &file;
  return nullptr;
}

}  // namespace nhb::io
