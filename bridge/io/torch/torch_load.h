// Reads files written by torch.save (zip format, PyTorch >= 1.6): the archive is memory-mapped,
// <archive>/data.pkl is decoded with the non-executing pickle reader, and tensors become views
// into the mapped storage records (zero copy when contiguous; a materialised copy for strided,
// e.g. transposed, tensors). The archive folder name may be anything.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/torch/pickle_reader.h"
#include "bridge/io/torch/pickle_value.h"
#include "bridge/io/torch/state_dict.h"
#include "bridge/io/torch/zip_reader.h"

namespace nhb::io {

struct TorchLoadOptions {
  ZipReadLimits zip;
  PickleReadLimits pickle;
  std::vector<std::string> extraAllowedGlobals;
  bool verifyCrc = false;  // recompute every record's CRC-32 at open (reads every byte)
};

// A tensor as loaded: `view` is valid while the TorchFile and `owned` live; `owned` is set only
// when the bytes had to be copied (non-contiguous strides).
struct LoadedTensor {
  TensorView view;
  std::shared_ptr<const Tensor> owned;
};

class TorchFile {
 public:
  // BadInput naming the file for: not a zip / truncated / corrupt central directory, no
  // <archive>/data.pkl (or several), a big-endian byteorder record, any pickle error, a storage
  // referenced by data.pkl with no <archive>/data/<key> record or a record shorter than the
  // storage; Unsupported for compressed records.
  static std::shared_ptr<const TorchFile> open(const std::filesystem::path& path, const TorchLoadOptions& options = {});

  const std::filesystem::path& path() const { return zip_.path(); }
  const std::string& archiveName() const { return archiveName_; }
  const ZipReader& zip() const { return zip_; }
  const PickleDocument& document() const { return document_; }
  const PickleValue& root() const { return *document_.root(); }

  // The bytes of a storage record (numel * item size of them), zero copy.
  std::string_view storageBytes(const PickleStorageRef& storage) const;

  // `tensor` must be a Tensor node of this file's document; `name` labels errors (the state-dict
  // key). BadInput when the tensor's extent (offset + sum((size-1)*stride)) lies beyond its storage
  // or a stride is negative.
  LoadedTensor loadTensor(const PickleValue& tensor, std::string_view name) const;

 private:
  TorchFile() = default;
  ZipReader zip_;
  std::string archiveName_;
  PickleDocument document_;
};

// The tensors (and None values) of one dict in a loaded file, in order, with their backing kept
// alive. Values that are neither tensors nor None (objects, numbers) are listed in otherKeys.
class TorchStateDict {
 public:
  // BadInput when `dict` is not a dict, has a non-string key or a key twice.
  static TorchStateDict fromDict(std::shared_ptr<const TorchFile> file, const PickleValue& dict);

  const StateDictEntries& entries() const { return entries_; }
  const std::vector<std::string>& otherKeys() const { return otherKeys_; }
  const StateDictEntry* find(std::string_view key) const;
  const std::shared_ptr<const TorchFile>& file() const { return file_; }

 private:
  std::shared_ptr<const TorchFile> file_;
  std::vector<std::shared_ptr<const Tensor>> copies_;
  StateDictEntries entries_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::string> otherKeys_;
};

// A file whose top-level object is the state dict itself (torch.save(model.state_dict())).
TorchStateDict loadTorchStateDict(const std::filesystem::path& path, const TorchLoadOptions& options = {});

}  // namespace nhb::io
