#include "bridge/io/torch/torch_save.h"

#include "bridge/core/error.h"
#include "bridge/io/torch/pickle_writer.h"
#include "bridge/io/torch/zip_writer.h"

namespace nhb::io {
namespace {

std::vector<int64_t> contiguousStride(const Shape& shape) {
  std::vector<int64_t> stride(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) stride[i - 1] = stride[i] * std::max<int64_t>(shape[i], 1);
  return stride;
}

}  // namespace

PickleValue* TorchSaveBuilder::addStorage(DType dtype, const std::byte* data, std::size_t nbytes) {
  const std::size_t item = itemSize(dtype);
  if (nbytes % item)
    fail(ErrorKind::Internal, "storage of " + std::to_string(nbytes) + " bytes is not a whole number of " +
                                  std::string(shortName(dtype)) + " elements");
  PickleStorageRef ref;
  ref.key = std::to_string(storages_.size());
  ref.dtype = dtype;
  ref.location = "cpu";
  ref.numel = static_cast<int64_t>(nbytes / item);
  storages_.push_back({ref.key, data, nbytes});
  return doc_.makeStorage(std::move(ref));
}

PickleValue* TorchSaveBuilder::tensorOf(PickleValue* storage, int64_t storageOffset, Shape shape,
                                        std::vector<int64_t> stride) {
  if (!storage || storage->kind != PickleKind::Storage)
    fail(ErrorKind::Internal, "tensorOf() needs a storage node");
  if (stride.empty() && !shape.empty()) stride = contiguousStride(shape);
  if (stride.size() != shape.size())
    fail(ErrorKind::Internal, "tensor shape " + shapeToString(shape) + " and stride " + shapeToString(stride) +
                                  " differ in rank");
  int64_t extent = storageOffset;
  bool empty = false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) empty = true;
    if (shape[i] > 0) extent += (shape[i] - 1) * stride[i];
  }
  if (!empty && extent >= storage->storage.numel)
    fail(ErrorKind::Internal, "tensor " + shapeToString(shape) + " at offset " + std::to_string(storageOffset) +
                                  " exceeds its storage of " + std::to_string(storage->storage.numel) + " elements");
  PickleTensorRef ref;
  ref.storage = storage;
  ref.storageOffset = storageOffset;
  ref.shape = std::move(shape);
  ref.stride = std::move(stride);
  return doc_.makeTensor(std::move(ref));
}

PickleValue* TorchSaveBuilder::addTensor(const TensorView& view) {
  const int64_t numel = numelChecked(view.shape);
  if (static_cast<std::size_t>(numel) * itemSize(view.dtype) != view.nbytes)
    fail(ErrorKind::Internal, "tensor view of shape " + shapeToString(view.shape) + " has " +
                                  std::to_string(view.nbytes) + " bytes, expected " +
                                  std::to_string(numel * itemSize(view.dtype)));
  auto key = std::make_tuple(view.data, view.dtype, view.nbytes);
  PickleValue*& storage = viewStorages_[key];
  if (!storage || view.data == nullptr) storage = addStorage(view.dtype, view.data, view.nbytes);
  return tensorOf(storage, 0, view.shape);
}

PickleValue* TorchSaveBuilder::addStateDict(const StateDictEntries& entries) {
  PickleValue* dict = doc_.makeDict(/*ordered=*/true);
  for (const StateDictEntry& entry : entries)
    dict->entries.emplace_back(doc_.makeString(entry.key),
                               entry.tensor ? addTensor(*entry.tensor) : doc_.makeNone());
  return dict;
}

void TorchSaveBuilder::save(const std::filesystem::path& path, const PickleValue& root,
                            const TorchSaveOptions& options) const {
  ZipWriteOptions zipOptions;
  zipOptions.overwrite = options.overwrite;
  zipOptions.forceZip64 = options.forceZip64;
  ZipWriter zip(path, zipOptions);
  const std::string prefix = options.archiveName + "/";
  zip.addEntry(prefix + "data.pkl", writePickle(root));
  zip.addEntry(prefix + "byteorder", "little");
  for (const StorageBytes& storage : storages_) {
    zip.beginEntry(prefix + "data/" + storage.key, storage.nbytes);
    // Chunks keep each fwrite bounded; the bytes come straight from the caller's buffer.
    constexpr std::size_t kChunk = std::size_t{64} << 20;
    for (std::size_t done = 0; done < storage.nbytes; done += kChunk)
      zip.write(storage.data + done, std::min(kChunk, storage.nbytes - done));
    zip.endEntry();
  }
  zip.addEntry(prefix + "version", "3\n");
  zip.finish();
}

void saveTorchStateDict(const std::filesystem::path& path, const StateDictEntries& entries,
                        const TorchSaveOptions& options) {
  TorchSaveBuilder builder;
  PickleValue* root = builder.addStateDict(entries);
  builder.save(path, *root, options);
}

}  // namespace nhb::io
