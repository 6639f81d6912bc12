#include "bridge/io/torch/zip_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "bridge/core/error.h"
#include "bridge/io/temp_registry.h"
#include "bridge/io/torch/crc32.h"
#include "bridge/io/write_fault.h"

namespace nhb::io {
namespace {

constexpr uint32_t kMax32 = 0xFFFFFFFF;
constexpr uint16_t kMax16 = 0xFFFF;
constexpr uint16_t kPaddingExtraId = 0x4246;  // "FB", torch's alignment padding field
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // fixed timestamps: reproducible files

std::filesystem::path siblingTemporary(const std::filesystem::path& finalPath) {
  std::random_device device;
  return finalPath.parent_path() /
         ("." + finalPath.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
          std::to_string(device()));
}

}  // namespace

ZipWriter::ZipWriter(std::filesystem::path finalPath, ZipWriteOptions options)
    : finalPath_(std::move(finalPath)), options_(options) {
  if (options_.alignment == 0) options_.alignment = 1;
  if (!options_.overwrite && std::filesystem::exists(finalPath_))
    badInput(finalPath_.string() + ": output file already exists");
  TemporaryOutputCommitLock registering;  // created and registered as one step
  tempPath_ = siblingTemporary(finalPath_);
  registerTemporaryOutput(tempPath_);  // removed by the signal guard on SIGINT/SIGTERM
  file_ = std::fopen(tempPath_.c_str(), "wb");
  if (!file_) ioFailure("cannot create temporary file " + tempPath_.string());
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

ZipWriter::~ZipWriter() {
  if (file_) std::fclose(file_);
  if (!finished_) {
    std::error_code ignored;
    std::filesystem::remove(tempPath_, ignored);
  }
  unregisterTemporaryOutput(tempPath_);
}

void ZipWriter::ioFailure(const std::string& what) const {
  fail(ErrorKind::Io, finalPath_.string() + ": " + what + ": " + std::strerror(errno));
}

void ZipWriter::put(const void* data, std::size_t size) {
  chargeSimulatedWriteBudget(size, finalPath_.string());
  if (size && std::fwrite(data, 1, size, file_) != size) ioFailure("write failed");
  offset_ += size;
}
void ZipWriter::putU16(uint16_t v) {
  unsigned char b[2] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8)};
  put(b, 2);
}
void ZipWriter::putU32(uint32_t v) {
  putU16(static_cast<uint16_t>(v));
  putU16(static_cast<uint16_t>(v >> 16));
}
void ZipWriter::putU64(uint64_t v) {
  putU32(static_cast<uint32_t>(v));
  putU32(static_cast<uint32_t>(v >> 32));
}

void ZipWriter::addEntry(std::string_view name, std::string_view bytes) {
  beginEntry(name, bytes.size());
  write(bytes.data(), bytes.size());
  endEntry();
}

void ZipWriter::beginEntry(std::string_view name, uint64_t size) {
  if (inEntry_ || finished_)
    fail(ErrorKind::Internal, finalPath_.string() + ": zip entry '" + std::string(name) +
                                  "' begun while another is open or after finish()");
  if (name.empty() || name.size() > kMax16)
    fail(ErrorKind::Internal, finalPath_.string() + ": bad zip entry name length " + std::to_string(name.size()));
  if (!names_.insert(std::string(name)).second)
    fail(ErrorKind::Internal, finalPath_.string() + ": duplicate zip entry '" + std::string(name) + "'");

  Record record{std::string(name), size, offset_, 0};
  const bool zip64 = options_.forceZip64 || size >= kMax32;
  const uint64_t zip64ExtraSize = zip64 ? 4 + 16 : 0;
  const uint64_t unpaddedStart = offset_ + 30 + name.size() + zip64ExtraSize + 4;
  const uint64_t padding = (options_.alignment - unpaddedStart % options_.alignment) % options_.alignment;

  putU32(0x04034b50);
  putU16(zip64 ? 45 : 20);  // version needed to extract
  putU16(0);                // flags: sizes and CRC are in this header (CRC patched at endEntry)
  putU16(0);                // stored
  putU16(0);                // time 00:00
  putU16(kDosDate1980);
  putU32(0);                // CRC-32, patched
  putU32(zip64 ? kMax32 : static_cast<uint32_t>(size));
  putU32(zip64 ? kMax32 : static_cast<uint32_t>(size));
  putU16(static_cast<uint16_t>(name.size()));
  putU16(static_cast<uint16_t>(zip64ExtraSize + 4 + padding));
  put(name.data(), name.size());
  if (zip64) {
    putU16(0x0001);
    putU16(16);
    putU64(size);
    putU64(size);
  }
  putU16(kPaddingExtraId);
  putU16(static_cast<uint16_t>(padding));
  static const std::string kPad(64 * 1024, 'Z');
  for (uint64_t left = padding; left;) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(left, kPad.size()));
    put(kPad.data(), chunk);
    left -= chunk;
  }
  records_.push_back(std::move(record));
  inEntry_ = true;
  entryWritten_ = 0;
  entryCrc_ = 0;
}

void ZipWriter::write(const void* data, std::size_t size) {
  if (!inEntry_) fail(ErrorKind::Internal, finalPath_.string() + ": zip write() outside an entry");
  Record& record = records_.back();
  if (size > record.size - entryWritten_)
    fail(ErrorKind::Internal, finalPath_.string() + ": zip entry '" + record.name + "' announced " +
                                  std::to_string(record.size) + " bytes but more were written");
  entryCrc_ = zipCrc32Update(entryCrc_, data, size);
  put(data, size);
  entryWritten_ += size;
}

void ZipWriter::endEntry() {
  if (!inEntry_) fail(ErrorKind::Internal, finalPath_.string() + ": zip endEntry() without an entry");
  Record& record = records_.back();
  if (entryWritten_ != record.size)
    fail(ErrorKind::Internal, finalPath_.string() + ": zip entry '" + record.name + "' announced " +
                                  std::to_string(record.size) + " bytes but " +
                                  std::to_string(entryWritten_) + " were written");
  record.crc32 = entryCrc_;
  // Patch the CRC into the local header, then continue at the end of the file.
  if (::fseeko(file_, static_cast<off_t>(record.localHeaderOffset + 14), SEEK_SET) != 0)
    ioFailure("seek failed");
  const unsigned char crc[4] = {static_cast<unsigned char>(entryCrc_), static_cast<unsigned char>(entryCrc_ >> 8),
                                static_cast<unsigned char>(entryCrc_ >> 16),
                                static_cast<unsigned char>(entryCrc_ >> 24)};
  if (std::fwrite(crc, 1, 4, file_) != 4) ioFailure("write failed");
  if (::fseeko(file_, static_cast<off_t>(offset_), SEEK_SET) != 0) ioFailure("seek failed");
  inEntry_ = false;
}

void ZipWriter::finish() {
  if (inEntry_) fail(ErrorKind::Internal, finalPath_.string() + ": zip finish() with an open entry");
  if (finished_) return;
  const uint64_t directoryOffset = offset_;
  for (const Record& r : records_) {
    const bool bigSize = options_.forceZip64 || r.size >= kMax32;
    const bool bigOffset = options_.forceZip64 || r.localHeaderOffset >= kMax32;
    const uint16_t zip64Size = static_cast<uint16_t>((bigSize ? 16 : 0) + (bigOffset ? 8 : 0));
    putU32(0x02014b50);
    putU16(0x0300 | 45);  // made by: unix, spec 4.5
    putU16(zip64Size ? 45 : 20);
    putU16(0);
    putU16(0);
    putU16(0);
    putU16(kDosDate1980);
    putU32(r.crc32);
    putU32(bigSize ? kMax32 : static_cast<uint32_t>(r.size));
    putU32(bigSize ? kMax32 : static_cast<uint32_t>(r.size));
    putU16(static_cast<uint16_t>(r.name.size()));
    putU16(zip64Size ? static_cast<uint16_t>(4 + zip64Size) : 0);
    putU16(0);  // comment
    putU16(0);  // disk
    putU16(0);  // internal attributes
    putU32(0100644u << 16);  // external attributes: regular file rw-r--r--
    putU32(bigOffset ? kMax32 : static_cast<uint32_t>(r.localHeaderOffset));
    put(r.name.data(), r.name.size());
    if (zip64Size) {
      putU16(0x0001);
      putU16(zip64Size);
      if (bigSize) {
        putU64(r.size);
        putU64(r.size);
      }
      if (bigOffset) putU64(r.localHeaderOffset);
    }
  }
  const uint64_t directorySize = offset_ - directoryOffset;
  const uint64_t count = records_.size();
  const bool zip64End = options_.forceZip64 || count >= kMax16 || directoryOffset >= kMax32 ||
                        directorySize >= kMax32;
  if (zip64End) {
    const uint64_t zip64EndOffset = offset_;
    putU32(0x06064b50);
    putU64(44);  // size of the rest of this record
    putU16(0x0300 | 45);
    putU16(45);
    putU32(0);
    putU32(0);
    putU64(count);
    putU64(count);
    putU64(directorySize);
    putU64(directoryOffset);
    putU32(0x07064b50);  // locator
    putU32(0);
    putU64(zip64EndOffset);
    putU32(1);
  }
  putU32(0x06054b50);
  putU16(0);
  putU16(0);
  putU16(zip64End ? kMax16 : static_cast<uint16_t>(count));
  putU16(zip64End ? kMax16 : static_cast<uint16_t>(count));
  putU32(zip64End ? kMax32 : static_cast<uint32_t>(directorySize));
  putU32(zip64End ? kMax32 : static_cast<uint32_t>(directoryOffset));
  putU16(0);

  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) ioFailure("close failed");
  TemporaryOutputCommitLock commitLock;  // a signal's cleanup waits for the rename
  std::error_code error;
  std::filesystem::rename(tempPath_, finalPath_, error);
  if (error)
    fail(ErrorKind::Io, finalPath_.string() + ": cannot rename " + tempPath_.string() + " into place: " +
                            error.message());
  finished_ = true;
}

}  // namespace nhb::io
