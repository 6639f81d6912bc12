#include "bridge/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

[[noreturn]] void ioFailure(const std::filesystem::path& path, const char* what, int err) {
  fail(ErrorKind::Io, path.string() + ": cannot " + what + ": " + std::strerror(err));
}

// Closes the descriptor on every path out of open(); the mapping stays valid without it.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile MappedFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ioFailure(path, "open for reading", errno);
  FdCloser closer{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0) ioFailure(path, "stat", errno);
  if (!S_ISREG(info.st_mode))
    fail(ErrorKind::BadInput, path.string() + ": not a regular file");

  MappedFile mapped;
  mapped.path_ = path;
  mapped.size_ = static_cast<std::size_t>(info.st_size);
  if (mapped.size_ == 0) return mapped;  // mmap rejects length 0; an empty view is enough

  void* address = ::mmap(nullptr, mapped.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (address == MAP_FAILED) ioFailure(path, "memory-map", errno);
  mapped.data_ = static_cast<const std::byte*>(address);
  return mapped;
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::release() noexcept {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace nhb::io
