#include "bridge/io/torch/torch_load.h"

#include <cstring>
#include <unordered_set>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

constexpr std::string_view kPickleRecord = "data.pkl";

// The folder holding data.pkl: torch names it after the file stem, but any name is valid.
std::string findArchiveName(const ZipReader& zip) {
  std::vector<std::string> folders;
  for (const ZipEntry& entry : zip.entries()) {
    const std::string& name = entry.name;
    const std::size_t slash = name.find('/');
    if (slash != std::string::npos && slash > 0 && name.compare(slash + 1, std::string::npos, kPickleRecord) == 0)
      folders.push_back(name.substr(0, slash));
  }
  if (folders.empty())
    badInput(zip.path().string() + ": no <archive>/data.pkl record: not a torch.save file (or a TorchScript / legacy tar archive)");
  if (folders.size() > 1)
    badInput(zip.path().string() + ": several data.pkl records ('" + folders[0] + "/data.pkl', '" + folders[1] +
             "/data.pkl')");
  return folders.front();
}

// Largest element index the tensor touches + 1 (0 for an empty tensor), overflow-checked.
int64_t elementExtent(const PickleTensorRef& t, const std::string& where) {
  for (int64_t d : t.shape)
    if (d == 0) return 0;
  if (t.storageOffset < 0) badInput(where + ": negative storage offset " + std::to_string(t.storageOffset));
  int64_t last = t.storageOffset;
  for (std::size_t i = 0; i < t.shape.size(); ++i) {
    if (t.shape[i] < 0) badInput(where + ": negative size in " + shapeToString(t.shape));
    if (t.stride[i] < 0) badInput(where + ": negative stride in " + shapeToString(t.stride) + " is not supported");
    if (t.stride[i] != 0 && t.shape[i] - 1 > (INT64_MAX - last) / t.stride[i])
      badInput(where + ": extent of size " + shapeToString(t.shape) + " stride " + shapeToString(t.stride) +
               " overflows 64 bits");
    last += (t.shape[i] - 1) * t.stride[i];
  }
  return last + 1;
}

bool isContiguous(const PickleTensorRef& t) {
  int64_t expected = 1;
  for (std::size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] == 1) continue;  // any stride is fine for a dimension of one
    if (t.stride[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

// Gathers a strided tensor into a contiguous row-major buffer.
void gatherStrided(const std::byte* base, std::size_t itemSize, const PickleTensorRef& t, std::byte* out) {
  const std::size_t rank = t.shape.size();
  std::vector<int64_t> index(rank, 0);
  const int64_t total = numelChecked(t.shape);
  for (int64_t n = 0; n < total; ++n) {
    int64_t element = t.storageOffset;
    for (std::size_t d = 0; d < rank; ++d) element += index[d] * t.stride[d];
    std::memcpy(out + static_cast<std::size_t>(n) * itemSize, base + static_cast<std::size_t>(element) * itemSize, itemSize);
    for (std::size_t d = rank; d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace

std::shared_ptr<const TorchFile> TorchFile::open(const std::filesystem::path& path, const TorchLoadOptions& options) {
  std::shared_ptr<TorchFile> file(new TorchFile());
  file->zip_ = ZipReader::open(path, options.zip);
  const ZipReader& zip = file->zip_;
  file->archiveName_ = findArchiveName(zip);
  const std::string prefix = file->archiveName_ + "/";

  if (const ZipEntry* byteorder = zip.find(prefix + "byteorder")) {
    std::string_view order = zip.data(*byteorder);
    if (order != "little")
      fail(ErrorKind::Unsupported, path.string() + ": byteorder record says '" + std::string(order) +
                                       "'; only little-endian checkpoints are supported");
  }
  if (options.verifyCrc)
    for (const ZipEntry& entry : zip.entries())
      if (entry.isStored() && !zip.crcMatches(entry))
        badInput(path.string() + ": zip entry '" + entry.name + "' fails its CRC-32 check (corrupt file)");

  const ZipEntry* pickle = zip.find(prefix + std::string(kPickleRecord));
  PickleReadOptions pickleOptions;
  pickleOptions.source = path.string() + " (" + pickle->name + ")";
  pickleOptions.limits = options.pickle;
  pickleOptions.extraAllowedGlobals = options.extraAllowedGlobals;
  file->document_ = readPickle(zip.data(*pickle), pickleOptions);

  // Every storage data.pkl names must be a record large enough to hold it.
  std::string failure;
  file->document_.forEachNode([&](const PickleValue& node) {
    if (!failure.empty() || node.kind != PickleKind::Storage) return;
    const PickleStorageRef& s = node.storage;
    const std::string record = prefix + "data/" + s.key;
    const ZipEntry* entry = zip.find(record);
    if (!entry) {
      failure = "storage '" + s.key + "' referenced by data.pkl is missing from the archive (no record '" + record + "')";
      return;
    }
    const uint64_t needed = static_cast<uint64_t>(s.numel) * itemSize(s.dtype);
    if (static_cast<uint64_t>(s.numel) > UINT64_MAX / 8 || entry->uncompressedSize < needed)
      failure = "storage record '" + record + "' holds " + std::to_string(entry->uncompressedSize) +
                " bytes but data.pkl declares " + std::to_string(s.numel) + " " + std::string(shortName(s.dtype)) +
                " elements (" + std::to_string(needed) + " bytes)";
  });
  if (!failure.empty()) badInput(path.string() + ": " + failure);
  return file;
}

std::string_view TorchFile::storageBytes(const PickleStorageRef& storage) const {
  const std::string record = archiveName_ + "/data/" + storage.key;
  const ZipEntry* entry = zip_.find(record);
  if (!entry) badInput(path().string() + ": no storage record '" + record + "'");
  return zip_.data(*entry).substr(0, static_cast<std::size_t>(storage.numel) * itemSize(storage.dtype));
}

LoadedTensor TorchFile::loadTensor(const PickleValue& value, std::string_view name) const {
  const std::string where = path().string() + ": tensor '" + std::string(name) + "'";
  if (value.kind != PickleKind::Tensor) badInput(where + " is a " + value.describe() + ", not a tensor");
  const PickleTensorRef& t = value.tensor;
  const PickleStorageRef& storage = t.storage->storage;
  const int64_t extent = elementExtent(t, where);
  if (extent > storage.numel)
    badInput(where + " (size " + shapeToString(t.shape) + ", stride " + shapeToString(t.stride) + ", offset " +
             std::to_string(t.storageOffset) + ") reaches element " + std::to_string(extent - 1) + " but its storage '" +
             storage.key + "' holds only " + std::to_string(storage.numel) + " elements");
  const std::string_view bytes = storageBytes(storage);
  const std::size_t item = itemSize(storage.dtype);
  const int64_t numel = numelChecked(t.shape);

  LoadedTensor out;
  out.view.dtype = storage.dtype;
  out.view.shape = t.shape;
  out.view.nbytes = static_cast<std::size_t>(numel) * item;
  const auto* base = reinterpret_cast<const std::byte*>(bytes.data());
  if (numel == 0) {
    out.view.data = base;
  } else if (isContiguous(t)) {
    out.view.data = base + static_cast<std::size_t>(t.storageOffset) * item;
  } else {
    // A tensor with more elements than its storage overlaps itself (a zero stride, expand()):
    // copying it could allocate without bound, and checkpoints never hold one.
    if (numel > storage.numel)
      badInput(where + " has " + std::to_string(numel) + " elements but its storage '" + storage.key + "' only " +
               std::to_string(storage.numel) + " (overlapping strides " + shapeToString(t.stride) +
               " are not supported)");
    auto copy = std::make_shared<Tensor>(storage.dtype, t.shape);
    gatherStrided(base, item, t, copy->data());
    out.view.data = copy->data();
    out.owned = std::move(copy);
  }
  return out;
}

TorchStateDict TorchStateDict::fromDict(std::shared_ptr<const TorchFile> file, const PickleValue& dict) {
  if (dict.kind != PickleKind::Dict)
    badInput(file->path().string() + ": expected a state dict, found a " + dict.describe());
  TorchStateDict out;
  std::unordered_set<std::string> seen;
  for (const auto& [key, value] : dict.entries) {
    if (key->kind != PickleKind::String)
      badInput(file->path().string() + ": state dict key is a " + key->describe() + ", not a str");
    if (!seen.insert(key->text).second)
      badInput(file->path().string() + ": state dict key '" + key->text + "' appears twice");
    if (value->kind != PickleKind::None && value->kind != PickleKind::Tensor) {
      out.otherKeys_.push_back(key->text);
      continue;
    }
    out.index_.emplace(key->text, out.entries_.size());
    if (value->kind == PickleKind::None) {
      out.entries_.push_back(StateDictEntry::none(key->text));
    } else if (value->kind == PickleKind::Tensor) {
      LoadedTensor tensor = file->loadTensor(*value, key->text);
      if (tensor.owned) out.copies_.push_back(std::move(tensor.owned));
      out.entries_.push_back(StateDictEntry::of(key->text, std::move(tensor.view)));
    }
  }
  out.file_ = std::move(file);
  return out;
}

const StateDictEntry* TorchStateDict::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

TorchStateDict loadTorchStateDict(const std::filesystem::path& path, const TorchLoadOptions& options) {
  std::shared_ptr<const TorchFile> file = TorchFile::open(path, options);
  const PickleValue& root = file->root();
  return TorchStateDict::fromDict(file, root);
}

}  // namespace nhb::io
