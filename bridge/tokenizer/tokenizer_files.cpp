#include "bridge/tokenizer/tokenizer_files.h"

#include <algorithm>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "bridge/core/error.h"

namespace nhb::tokenizer {
namespace fs = std::filesystem;

const char* fileStatusName(FileStatus status) {
  switch (status) {
    case FileStatus::Identical: return "identical";
    case FileStatus::Different: return "different";
    case FileStatus::Missing: return "missing";
    case FileStatus::Unexpected: return "unexpected";
  }
  return "unknown";
}

bool sameFileBytes(const fs::path& a, const fs::path& b) {
  std::error_code error;
  const auto sizeA = fs::file_size(a, error);
  if (error) fail(ErrorKind::Io, a.string() + ": cannot read size: " + error.message());
  const auto sizeB = fs::file_size(b, error);
  if (error) fail(ErrorKind::Io, b.string() + ": cannot read size: " + error.message());
  if (sizeA != sizeB) return false;
  std::ifstream inA(a, std::ios::binary), inB(b, std::ios::binary);
  if (!inA) fail(ErrorKind::Io, a.string() + ": cannot open");
  if (!inB) fail(ErrorKind::Io, b.string() + ": cannot open");
  std::vector<char> bufA(1 << 16), bufB(1 << 16);
  while (inA && inB) {
    inA.read(bufA.data(), static_cast<std::streamsize>(bufA.size()));
    inB.read(bufB.data(), static_cast<std::streamsize>(bufB.size()));
    if (inA.gcount() != inB.gcount()) return false;
    if (!std::equal(bufA.begin(), bufA.begin() + inA.gcount(), bufB.begin())) return false;
  }
  return true;
}

std::vector<FileComparison> compareExtraFiles(const fs::path& sourceDir, const fs::path& exportedDir) {
  std::map<std::string, FileComparison> byName;
  for (const io::ExtraFile& file : io::listExtraFiles(sourceDir)) {
    FileComparison& c = byName[file.name];
    c.name = file.name;
    c.kind = file.kind;
    c.expectedSize = file.size;
    c.status = FileStatus::Missing;
  }
  if (fs::is_directory(exportedDir)) {
    for (const io::ExtraFile& file : io::listExtraFiles(exportedDir)) {
      auto it = byName.find(file.name);
      if (it == byName.end()) {
        FileComparison c;
        c.name = file.name;
        c.kind = file.kind;
        c.actualSize = file.size;
        c.status = FileStatus::Unexpected;
        byName.emplace(file.name, c);
        continue;
      }
      it->second.actualSize = file.size;
      it->second.status = sameFileBytes(sourceDir / file.name, exportedDir / file.name) ? FileStatus::Identical
                                                                                         : FileStatus::Different;
    }
  }
  std::vector<FileComparison> out;
  for (auto& [name, c] : byName) out.push_back(std::move(c));
  return out;
}

std::vector<std::string> fastTokenizerProblems(const fs::path& dir) {
  std::vector<std::string> problems;
  if (!fs::exists(dir / "tokenizer.json"))
    problems.push_back((dir / "tokenizer.json").string() + ": missing (Nemotron-H ships only a fast tokenizer)");
  const fs::path configPath = dir / "tokenizer_config.json";
  if (fs::exists(configPath)) {
    std::ifstream in(configPath);
    nlohmann::ordered_json config;
    try {
      config = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception& error) {
      badInput(configPath.string() + ": not valid JSON: " + error.what());
    }
    if (config.is_object() && config.contains("use_fast") &&
        !(config["use_fast"].is_boolean() && config["use_fast"].get<bool>()))
      problems.push_back(configPath.string() + ": use_fast is " + config["use_fast"].dump() +
                         " (the fast tokenizer is required)");
  }
  return problems;
}

bool isZeroRow(const TensorView& embedding, int64_t row) {
  if (embedding.rank() == 0 || row < 0 || row >= embedding.dim(0))
    fail(ErrorKind::Internal, "isZeroRow: row " + std::to_string(row) + " outside " + shapeToString(embedding.shape));
  const std::size_t rowBytes = embedding.nbytes / static_cast<std::size_t>(embedding.dim(0));
  const std::byte* begin = embedding.data + static_cast<std::size_t>(row) * rowBytes;
  return std::all_of(begin, begin + rowBytes, [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace nhb::tokenizer
