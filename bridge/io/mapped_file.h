// A read-only memory mapping of a whole file: tensor views point straight into it, so reading a
// checkpoint costs no copies and no more resident memory than the pages actually touched.
#pragma once

#include <cstddef>
#include <filesystem>

namespace nhb::io {

class MappedFile {
 public:
  // Maps the whole file read-only. Zero-length files are fine (data() is then nullptr).
  // Throws nhb::Error (Io) naming the file when it cannot be opened, stat'ed or mapped.
  static MappedFile open(const std::filesystem::path& path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace nhb::io
