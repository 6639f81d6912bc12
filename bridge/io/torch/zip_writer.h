// Writes zip archives the way torch.save does: every entry stored (uncompressed), its data
// 64-byte aligned through padding in a local-header extra field ("FB" + 'Z' bytes), CRC-32 and
// sizes in the local header, zip64 records only where a size, offset or count needs them.
// Entries are streamed (a tensor's bytes go straight to the file; only the CRC is patched into
// the header afterwards) and the archive appears atomically: it is written under a temporary
// sibling name and renamed over the final path by finish().
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace nhb::io {

struct ZipWriteOptions {
  uint32_t alignment = 64;  // torch's kFieldAlignment; 1 disables padding
  bool overwrite = true;    // replace an existing file at finish(); false: BadInput at construction
  bool forceZip64 = false;  // zip64 records even for small archives (tests exercise that path)
};

class ZipWriter {
 public:
  explicit ZipWriter(std::filesystem::path finalPath, ZipWriteOptions options = {});
  ~ZipWriter();  // without finish(): closes and removes the temporary file
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  void addEntry(std::string_view name, std::string_view bytes);

  // Streaming: announce the exact size, write() the bytes in any chunks, endEntry().
  void beginEntry(std::string_view name, uint64_t size);
  void write(const void* data, std::size_t size);
  void endEntry();

  // Central directory, end records, fsync-free close, rename into place.
  void finish();

  const std::filesystem::path& finalPath() const { return finalPath_; }
  const std::filesystem::path& temporaryPath() const { return tempPath_; }

 private:
  struct Record {
    std::string name;
    uint64_t size = 0;
    uint64_t localHeaderOffset = 0;
    uint32_t crc32 = 0;
  };

  void put(const void* data, std::size_t size);
  void putU16(uint16_t v);
  void putU32(uint32_t v);
  void putU64(uint64_t v);
  [[noreturn]] void ioFailure(const std::string& what) const;

  std::filesystem::path finalPath_;
  std::filesystem::path tempPath_;
  ZipWriteOptions options_;
  std::FILE* file_ = nullptr;
  uint64_t offset_ = 0;
  std::vector<Record> records_;
  std::unordered_set<std::string> names_;
  bool inEntry_ = false;
  uint64_t entryWritten_ = 0;
  uint32_t entryCrc_ = 0;
  bool finished_ = false;
};

}  // namespace nhb::io
