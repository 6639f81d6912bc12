// Streaming writer for one .safetensors file: the header (all names, dtypes, shapes) is written
// first, then each tensor's bytes in the announced order, so memory stays bounded by one tensor.
// Output goes to a temporary sibling and is renamed into place by finish().
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/atomic_output.h"
#include "bridge/io/safetensors_header.h"

namespace nhb::io {

class SafetensorsWriter {
 public:
  // `specs` in the order write() will be called; `metadata` becomes "__metadata__" (an object of
  // strings, e.g. {"format": "pt"}). Refuses an existing `path` unless `overwrite`.
  SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorSpec> specs,
                    const Json& metadata = Json::object(), bool overwrite = false);
  ~SafetensorsWriter();  // without finish(): the temporary file is removed
  SafetensorsWriter(SafetensorsWriter&&) noexcept;
  SafetensorsWriter& operator=(SafetensorsWriter&&) noexcept;
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // The next tensor in spec order; checks name, dtype, shape and byte size (BadInput/Internal).
  void write(const std::string& name, const TensorView& view);
  // All tensors written: flushes, closes and renames the file into place.
  void finish();

  const std::filesystem::path& path() const { return output_.finalPath(); }
  const std::vector<TensorSpec>& specs() const { return specs_; }
  std::size_t tensorsWritten() const { return next_; }
  std::uint64_t bytesWritten() const { return bytesWritten_; }

 private:
  void writeBytes(const void* data, std::size_t size, const std::string& what);
  void closeFile();

  AtomicOutputFile output_;
  std::vector<TensorSpec> specs_;
  std::size_t next_ = 0;
  std::uint64_t bytesWritten_ = 0;
  int fd_ = -1;
};

}  // namespace nhb::io
