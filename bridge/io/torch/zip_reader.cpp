#include "bridge/io/torch/zip_reader.h"

#include <cstring>

#include "bridge/core/error.h"
#include "bridge/io/torch/crc32.h"

namespace nhb::io {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kEndRecordSize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EndRecordSize = 56;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;

// Little-endian field reads with the bounds already checked by the caller.
uint16_t u16(const std::byte* p) {
  return static_cast<uint16_t>(std::to_integer<uint16_t>(p[0]) | std::to_integer<uint16_t>(p[1]) << 8);
}
uint32_t u32(const std::byte* p) { return uint32_t{u16(p)} | uint32_t{u16(p + 2)} << 16; }
uint64_t u64(const std::byte* p) { return uint64_t{u32(p)} | uint64_t{u32(p + 4)} << 32; }

bool unsafeName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.front() == '\\') return true;
  if (name.find('\0') != std::string::npos || name.find('\\') != std::string::npos) return true;
  if (name.size() >= 2 && name[1] == ':') return true;  // "C:..."
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

ZipReader ZipReader::open(const std::filesystem::path& path, const ZipReadLimits& limits) {
  ZipReader reader;
  reader.file_ = MappedFile::open(path);
  const std::byte* base = reader.file_.data();
  const uint64_t size = reader.file_.size();
  const std::string where = path.string();
  auto bad = [&](const std::string& what) { badInput(where + ": " + what); };

  if (size < kEndRecordSize)
    bad("not a zip archive: " + std::to_string(size) + " bytes is too short (truncated file?)");

  // The end record sits in the last 22 + (comment <= 65535) bytes; scan backwards.
  uint64_t endOffset = 0;
  bool foundEnd = false;
  const uint64_t scanStop = size >= kEndRecordSize + 0xFFFF ? size - kEndRecordSize - 0xFFFF : 0;
  for (uint64_t off = size - kEndRecordSize + 1; off-- > scanStop;) {
    if (u32(base + off) == kEndSignature && off + kEndRecordSize + u16(base + off + 20) == size) {
      endOffset = off;
      foundEnd = true;
      break;
    }
  }
  if (!foundEnd)
    bad("no zip end-of-central-directory record found (truncated file or not a torch.save archive)");

  const std::byte* end = base + endOffset;
  uint64_t entryCount = u16(end + 10);
  uint64_t directorySize = u32(end + 12);
  uint64_t directoryOffset = u32(end + 16);

  if (endOffset >= kZip64LocatorSize && u32(base + endOffset - kZip64LocatorSize) == kZip64LocatorSignature) {
    const uint64_t zip64Offset = u64(base + endOffset - kZip64LocatorSize + 8);
    if (zip64Offset > endOffset - kZip64LocatorSize || endOffset - kZip64LocatorSize - zip64Offset < kZip64EndRecordSize ||
        u32(base + zip64Offset) != kZip64EndSignature)
      bad("corrupt zip64 end-of-central-directory record at offset " + std::to_string(zip64Offset));
    entryCount = u64(base + zip64Offset + 32);
    directorySize = u64(base + zip64Offset + 40);
    directoryOffset = u64(base + zip64Offset + 48);
  }

  if (entryCount > limits.maxEntries)
    bad("zip archive has " + std::to_string(entryCount) + " entries, more than the limit of " +
        std::to_string(limits.maxEntries));
  if (directoryOffset > endOffset || directorySize > endOffset - directoryOffset)
    bad("corrupt zip central directory: offset " + std::to_string(directoryOffset) + " size " +
        std::to_string(directorySize) + " lies outside the file");

  // Every entry needs a 46-byte central header: a count the directory cannot hold is a lie, refused
  // before it sizes any allocation.
  if (entryCount > directorySize / kCentralHeaderSize)
    bad("corrupt zip central directory: " + std::to_string(entryCount) + " entries cannot fit in its " +
        std::to_string(directorySize) + " bytes");
  reader.entries_.reserve(static_cast<std::size_t>(entryCount));
  uint64_t cursor = directoryOffset;
  const uint64_t directoryEnd = directoryOffset + directorySize;
  for (uint64_t i = 0; i < entryCount; ++i) {
    if (directoryEnd - cursor < kCentralHeaderSize || u32(base + cursor) != kCentralHeaderSignature)
      bad("corrupt zip central directory: bad header signature for entry " + std::to_string(i) +
          " at offset " + std::to_string(cursor));
    const std::byte* h = base + cursor;
    ZipEntry entry;
    entry.method = u16(h + 10);
    entry.crc32 = u32(h + 16);
    entry.compressedSize = u32(h + 20);
    entry.uncompressedSize = u32(h + 24);
    const uint16_t nameLength = u16(h + 28);
    const uint16_t extraLength = u16(h + 30);
    const uint16_t commentLength = u16(h + 32);
    entry.localHeaderOffset = u32(h + 42);
    const uint64_t recordSize = kCentralHeaderSize + uint64_t{nameLength} + extraLength + commentLength;
    if (directoryEnd - cursor < recordSize)
      bad("corrupt zip central directory: entry " + std::to_string(i) + " runs past its end");
    if (nameLength > limits.maxNameLength)
      bad("zip entry " + std::to_string(i) + " has a name of " + std::to_string(nameLength) +
          " bytes, more than the limit of " + std::to_string(limits.maxNameLength));
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), nameLength);
    if (unsafeName(entry.name))
      bad("zip entry name '" + entry.name + "' is absolute or contains '..'; refusing it");

    // zip64 extended information: only the fields saturated in the fixed header, in this order.
    const std::byte* extra = h + kCentralHeaderSize + nameLength;
    for (uint32_t e = 0; e + 4 <= extraLength;) {
      const uint16_t id = u16(extra + e);
      const uint16_t length = u16(extra + e + 2);
      if (e + 4u + length > extraLength) bad("zip entry '" + entry.name + "' has a malformed extra field");
      if (id == 0x0001) {
        const std::byte* field = extra + e + 4;
        uint32_t left = length;
        auto take = [&](uint64_t& target) {
          if (left < 8) bad("zip entry '" + entry.name + "' has a short zip64 extra field");
          target = u64(field);
          field += 8;
          left -= 8;
        };
        if (entry.uncompressedSize == 0xFFFFFFFF) take(entry.uncompressedSize);
        if (entry.compressedSize == 0xFFFFFFFF) take(entry.compressedSize);
        if (entry.localHeaderOffset == 0xFFFFFFFF) take(entry.localHeaderOffset);
      }
      e += 4u + length;
    }

    // Locate the data through the local header (its own name and extra lengths may differ).
    const uint64_t local = entry.localHeaderOffset;
    if (local > size || size - local < kLocalHeaderSize || u32(base + local) != kLocalHeaderSignature)
      bad("zip entry '" + entry.name + "': bad local header at offset " + std::to_string(local));
    entry.dataOffset = local + kLocalHeaderSize + u16(base + local + 26) + u16(base + local + 28);
    if (entry.dataOffset > size || size - entry.dataOffset < entry.compressedSize)
      bad("zip entry '" + entry.name + "': its " + std::to_string(entry.compressedSize) +
          " bytes at offset " + std::to_string(entry.dataOffset) + " run past the end of the file (truncated?)");
    if (entry.isStored() && entry.compressedSize != entry.uncompressedSize)
      bad("zip entry '" + entry.name + "' is stored but its compressed and uncompressed sizes differ");

    if (!reader.index_.emplace(entry.name, reader.entries_.size()).second)
      bad("zip archive has two entries named '" + entry.name + "'");
    reader.entries_.push_back(std::move(entry));
    cursor += recordSize;
  }
  return reader;
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string_view ZipReader::data(const ZipEntry& entry) const {
  if (!entry.isStored())
    fail(ErrorKind::Unsupported, path().string() + ": zip entry '" + entry.name + "' is compressed (method " +
                                     std::to_string(entry.method) +
                                     "); only stored entries are supported, as torch.save writes them");
  return {reinterpret_cast<const char*>(file_.data()) + entry.dataOffset,
          static_cast<std::size_t>(entry.compressedSize)};
}

bool ZipReader::crcMatches(const ZipEntry& entry) const {
  std::string_view bytes = data(entry);
  return zipCrc32(bytes.data(), bytes.size()) == entry.crc32;
}

}  // namespace nhb::io
