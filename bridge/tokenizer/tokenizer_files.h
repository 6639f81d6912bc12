// The non-weight files a conversion must carry over unchanged (tokenizer files, chat template,
// generation config, remote code), compared byte for byte between a source and an exported
// directory; the fast-tokenizer requirement; and the all-zero embedding rows of special tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/hf_checkpoint.h"

namespace nhb::tokenizer {

enum class FileStatus { Identical, Different, Missing, Unexpected };
const char* fileStatusName(FileStatus status);  // "identical", "different", "missing", "unexpected"

struct FileComparison {
  std::string name;
  io::ExtraFileKind kind = io::ExtraFileKind::Other;
  FileStatus status = FileStatus::Identical;
  uint64_t expectedSize = 0, actualSize = 0;
};

// Every extra file (io::listExtraFiles) of `sourceDir` against `exportedDir`, by name.
std::vector<FileComparison> compareExtraFiles(const std::filesystem::path& sourceDir,
                                              const std::filesystem::path& exportedDir);

// True when the two files have the same bytes (streamed in blocks). Io when one cannot be read.
bool sameFileBytes(const std::filesystem::path& a, const std::filesystem::path& b);

// Problems with the fast-tokenizer requirement in `dir`, one line each: tokenizer.json missing;
// tokenizer_config.json "use_fast" present and not true. Empty when satisfied.
std::vector<std::string> fastTokenizerProblems(const std::filesystem::path& dir);

// Whether row `row` of a [rows, ...] embedding is all zero bytes (any dtype; -0.0 is not zero
// bytes and counts as trained). Internal when the row is out of range.
bool isZeroRow(const TensorView& embedding, int64_t row);

}  // namespace nhb::tokenizer
