#include "bridge/io/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "bridge/core/error.h"
#include "bridge/io/write_fault.h"

namespace nhb::io {

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path,
                                     std::vector<TensorSpec> specs, const Json& metadata,
                                     bool overwrite)
    : output_(path, overwrite), specs_(std::move(specs)) {
  const std::string header =
      withContext(path.string(), [&] { return serializeSafetensorsHeader(specs_, metadata); });
  fd_ = ::open(output_.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail(ErrorKind::Io, path.string() + ": cannot create temporary file " +
                            output_.path().string() + ": " + std::strerror(errno));
  writeBytes(header.data(), header.size(), "header");
}

SafetensorsWriter::~SafetensorsWriter() { closeFile(); }  // output_ then removes the temporary

SafetensorsWriter::SafetensorsWriter(SafetensorsWriter&& other) noexcept
    : output_(std::move(other.output_)),
      specs_(std::move(other.specs_)),
      next_(other.next_),
      bytesWritten_(other.bytesWritten_),
      fd_(std::exchange(other.fd_, -1)) {}

SafetensorsWriter& SafetensorsWriter::operator=(SafetensorsWriter&& other) noexcept {
  if (this != &other) {
    closeFile();
    output_ = std::move(other.output_);
    specs_ = std::move(other.specs_);
    next_ = other.next_;
    bytesWritten_ = other.bytesWritten_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void SafetensorsWriter::write(const std::string& name, const TensorView& view) {
  const std::string file = path().string();
  if (fd_ < 0) fail(ErrorKind::Internal, file + ": write('" + name + "') after finish or failure");
  if (next_ >= specs_.size())
    fail(ErrorKind::Internal, file + ": tensor '" + name + "' written but all " +
                                  std::to_string(specs_.size()) + " announced tensors are done");
  const TensorSpec& spec = specs_[next_];
  if (name != spec.name)
    fail(ErrorKind::Internal, file + ": expected tensor '" + spec.name + "' next, got '" + name + "'");
  if (view.dtype != spec.dtype)
    fail(ErrorKind::Internal, file + ": tensor '" + name + "' announced as " +
                                  std::string(safetensorsName(spec.dtype)) + " but written as " +
                                  std::string(safetensorsName(view.dtype)));
  if (view.shape != spec.shape)
    fail(ErrorKind::Internal, file + ": tensor '" + name + "' announced with shape " +
                                  shapeToString(spec.shape) + " but written with " +
                                  shapeToString(view.shape));
  if (view.nbytes != spec.nbytes())
    fail(ErrorKind::Internal, file + ": tensor '" + name + "' needs " +
                                  std::to_string(spec.nbytes()) + " bytes, the view has " +
                                  std::to_string(view.nbytes));
  if (view.nbytes && !view.data)
    fail(ErrorKind::Internal, file + ": tensor '" + name + "' has no data");
  writeBytes(view.data, view.nbytes, "tensor '" + name + "'");
  ++next_;
}

void SafetensorsWriter::finish() {
  const std::string file = path().string();
  if (fd_ < 0) fail(ErrorKind::Internal, file + ": finish() after finish or failure");
  if (next_ != specs_.size())
    fail(ErrorKind::Internal, file + ": finish() after " + std::to_string(next_) + " of " +
                                  std::to_string(specs_.size()) + " tensors; next is '" +
                                  specs_[next_].name + "'");
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0)
    fail(ErrorKind::Io, file + ": cannot close " + output_.path().string() + ": " +
                            std::strerror(errno));
  output_.commit();
}

void SafetensorsWriter::writeBytes(const void* data, std::size_t size, const std::string& what) {
  const char* cursor = static_cast<const char*>(data);
  try {
    chargeSimulatedWriteBudget(size, path().string());
  } catch (...) {
    closeFile();
    throw;
  }
  while (size > 0) {
    // Linux writes at most ~2 GiB per call; large tensors take several.
    const ssize_t written = ::write(fd_, cursor, std::min<std::size_t>(size, 1u << 30));
    if (written < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      closeFile();
      fail(ErrorKind::Io, path().string() + ": cannot write " + what + ": " + std::strerror(err));
    }
    cursor += written;
    size -= static_cast<std::size_t>(written);
    bytesWritten_ += static_cast<std::uint64_t>(written);
  }
}

void SafetensorsWriter::closeFile() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace nhb::io
