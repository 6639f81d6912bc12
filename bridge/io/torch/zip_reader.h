// Reads the zip archives torch.save writes: entries are located through the central directory
// (torch's local headers carry no sizes, the data descriptor follows the data), zip64 records
// are honoured, and stored (uncompressed) entries are returned as zero-copy views into the
// memory-mapped file. Compressed entries are listed but their bytes are refused, naming the
// method: torch never compresses, and we do not carry an inflater.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/io/mapped_file.h"

namespace nhb::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;            // 0 stored, 8 deflate, ...
  uint32_t crc32 = 0;
  uint64_t compressedSize = 0;
  uint64_t uncompressedSize = 0;
  uint64_t localHeaderOffset = 0;
  uint64_t dataOffset = 0;        // resolved from the local header at open()
  bool isStored() const { return method == 0; }
};

struct ZipReadLimits {
  uint64_t maxEntries = 1u << 20;
  std::size_t maxNameLength = 4096;
};

class ZipReader {
 public:
  // BadInput naming the file for: too short / no end-of-central-directory record (truncated),
  // a central directory outside the file or with a bad signature, entry data outside the file, a
  // name that is absolute or contains "..", duplicate names, more entries than the limit.
  static ZipReader open(const std::filesystem::path& path, const ZipReadLimits& limits = {});

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;

  // The bytes of a stored entry, a view into the mapping (valid while this reader lives).
  // Unsupported naming the entry and method for compressed entries.
  std::string_view data(const ZipEntry& entry) const;
  // Recomputes the CRC-32 of a stored entry and compares it with the central directory.
  bool crcMatches(const ZipEntry& entry) const;

 private:
  MappedFile file_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace nhb::io
