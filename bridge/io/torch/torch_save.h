// Writes torch.save-compatible files (zip format, pickle protocol 2) that Python's torch.load
// reads: <archive>/data.pkl, <archive>/byteorder ("little"), <archive>/data/<key> for every
// storage (64-byte aligned, streamed straight from the caller's views), <archive>/version ("3").
// The file appears atomically (temporary name + rename).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/io/torch/pickle_value.h"
#include "bridge/io/torch/state_dict.h"

namespace nhb::io {

struct TorchSaveOptions {
  std::string archiveName = "archive";  // torch uses the file stem; any name loads
  bool overwrite = true;
  bool forceZip64 = false;              // zip64 records even when not needed (tests)
};

// Collects the pickle tree and the storages it references, then writes the file. Storages are
// numbered "0", "1", ... in the order they are added; their bytes are not copied (the views must
// stay valid until save() returns).
class TorchSaveBuilder {
 public:
  PickleDocument& doc() { return doc_; }

  // A storage holding `bytes` (its size must be a multiple of the item size).
  PickleValue* addStorage(DType dtype, const std::byte* data, std::size_t nbytes);
  // A tensor viewing `storage` (a node from addStorage); an empty stride means contiguous.
  // Internal error when the extent does not fit the storage.
  PickleValue* tensorOf(PickleValue* storage, int64_t storageOffset, Shape shape, std::vector<int64_t> stride = {});
  // A contiguous tensor over a view; views with the same data pointer, dtype and size share one
  // storage (tied weights), other views get a storage each.
  PickleValue* addTensor(const TensorView& view);
  // collections.OrderedDict of the entries (None for entries without a tensor).
  PickleValue* addStateDict(const StateDictEntries& entries);

  void save(const std::filesystem::path& path, const PickleValue& root, const TorchSaveOptions& options = {}) const;

 private:
  struct StorageBytes {
    std::string key;
    const std::byte* data;
    std::size_t nbytes;
  };
  PickleDocument doc_;
  std::vector<StorageBytes> storages_;
  std::map<std::tuple<const std::byte*, DType, std::size_t>, PickleValue*> viewStorages_;
};

// torch.save(OrderedDict(entries)) equivalent.
void saveTorchStateDict(const std::filesystem::path& path, const StateDictEntries& entries,
                        const TorchSaveOptions& options = {});

}  // namespace nhb::io
