// torch.save files: our writer -> our reader (dtypes, 0-d, empty, None, shared storages, strided
// tensors), Python's torch.load of our files, our reading of Python's torch.save files, and the
// damaged-file errors, each naming the file and what is wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/io/torch/pickle_writer.h"
#include "bridge/io/torch/torch_load.h"
#include "bridge/io/torch/torch_save.h"
#include "bridge/io/torch/zip_writer.h"
#include "support/error_messages.h"
#include "support/test_support.h"
#include "torch_python_support.h"

namespace nhb::io {
namespace {

using nhb::testing::errorOf;
using nhb::testing::TempDir;
using nhb::testing::readFile;
using nhb::testing::writeFile;

template <class T>
std::vector<T> valuesOf(const TensorView& view) {
  std::vector<T> out(view.nbytes / sizeof(T));
  if (view.nbytes) std::memcpy(out.data(), view.data, view.nbytes);
  return out;
}

template <class T>
TensorView viewOf(DType dtype, Shape shape, const std::vector<T>& values) {
  return TensorView{dtype, std::move(shape), reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(T)};
}

// bf16 bit patterns of small integers: the top half of the f32 pattern (exact for these values).
// 1.0f = 0x3F800000, 2.0f = 0x40000000, 3.0f = 0x40400000, -1.0f = 0xBF800000.
const std::vector<uint16_t> kBf16 = {0x0000, 0x3F80, 0x4000, 0x4040, 0xBF80, 0x4080};
const std::vector<float> kF32 = {0.f, 1.f, 2.f, 3.f, 4.f, 5.f};
const std::vector<int64_t> kI64 = {-7, 0, 1LL << 40};
const std::vector<uint8_t> kU8Empty = {};
const std::vector<double> kScalar = {2.5};
const std::vector<int8_t> kI8 = {-128, 127};
const std::vector<uint8_t> kBool = {1, 0, 1};
const std::vector<uint16_t> kF16 = {0x3C00, 0xC000};  // 1.0, -2.0
const std::vector<int32_t> kI32 = {123456, -1};

StateDictEntries sampleEntries() {
  return {
      StateDictEntry::of("w.bf16", viewOf(DType::BF16, {2, 3}, kBf16)),
      StateDictEntry::of("w.f32", viewOf(DType::F32, {6}, kF32)),
      StateDictEntry::of("tied.f32", viewOf(DType::F32, {6}, kF32)),  // same bytes: one storage
      StateDictEntry::of("i64", viewOf(DType::I64, {3}, kI64)),
      StateDictEntry::none("linear._extra_state"),
      StateDictEntry::of("te._extra_state", viewOf(DType::U8, {0}, kU8Empty)),
      StateDictEntry::of("scalar", viewOf(DType::F64, {}, kScalar)),
      StateDictEntry::of("i8", viewOf(DType::I8, {2}, kI8)),
      StateDictEntry::of("bool", viewOf(DType::Bool, {3}, kBool)),
      StateDictEntry::of("f16", viewOf(DType::F16, {2, 1}, kF16)),
      StateDictEntry::of("i32", viewOf(DType::I32, {1, 2}, kI32)),
  };
}

TEST(TorchFile, StateDictRoundTripKeepsOrderDtypesShapesAndBytes) {
  TempDir dir;
  const auto path = dir / "sd.pt";
  const StateDictEntries written = sampleEntries();
  saveTorchStateDict(path, written);
  TorchStateDict read = loadTorchStateDict(path);
  ASSERT_EQ(read.entries().size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    const StateDictEntry& a = written[i];
    const StateDictEntry& b = read.entries()[i];
    SCOPED_TRACE(a.key);
    EXPECT_EQ(a.key, b.key);
    ASSERT_EQ(a.isNone(), b.isNone());
    if (a.isNone()) continue;
    EXPECT_EQ(a.tensor->dtype, b.tensor->dtype);
    EXPECT_EQ(a.tensor->shape, b.tensor->shape);
    ASSERT_EQ(a.tensor->nbytes, b.tensor->nbytes);
    if (a.tensor->nbytes) EXPECT_EQ(std::memcmp(a.tensor->data, b.tensor->data, a.tensor->nbytes), 0);
  }
  EXPECT_EQ(read.find("scalar")->tensor->rank(), 0u);
  EXPECT_EQ(valuesOf<double>(*read.find("scalar")->tensor), kScalar);
  EXPECT_TRUE(read.find("linear._extra_state")->isNone());
  EXPECT_EQ(read.find("te._extra_state")->tensor->nbytes, 0u);
  EXPECT_EQ(read.find("te._extra_state")->tensor->dtype, DType::U8);
  // The tied pair shares one storage record, so both views point at the same mapped bytes.
  EXPECT_EQ(read.find("w.f32")->tensor->data, read.find("tied.f32")->tensor->data);
  EXPECT_EQ(read.otherKeys().size(), 0u);
  EXPECT_EQ(read.file()->archiveName(), "archive");
}

TEST(TorchFile, ContiguousTensorsAreViewsIntoTheMappedFile) {
  TempDir dir;
  saveTorchStateDict(dir / "z.pt", sampleEntries());
  TorchStateDict read = loadTorchStateDict(dir / "z.pt");
  const ZipReader& zip = read.file()->zip();
  const TensorView& view = *read.find("w.bf16")->tensor;
  bool insideSomeRecord = false;
  for (const ZipEntry& entry : zip.entries()) {
    std::string_view bytes = zip.data(entry);
    const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
    if (view.data >= begin && view.data + view.nbytes <= begin + bytes.size()) insideSomeRecord = true;
    EXPECT_EQ(entry.dataOffset % 64, 0u) << entry.name;
  }
  EXPECT_TRUE(insideSomeRecord) << "bf16 view was copied instead of pointing into the mapping";
}

TEST(TorchFile, SharedStorageWithOffsetsAndStridedTensors) {
  TempDir dir;
  const std::vector<float> base = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  TorchSaveBuilder builder;
  PickleValue* storage = builder.addStorage(DType::F32, reinterpret_cast<const std::byte*>(base.data()),
                                            base.size() * sizeof(float));
  PickleValue* root = builder.doc().makeDict(true);
  auto add = [&](const char* key, PickleValue* v) { root->entries.emplace_back(builder.doc().makeString(key), v); };
  add("head", builder.tensorOf(storage, 0, {2, 2}));            // 0 1 / 2 3
  add("tail", builder.tensorOf(storage, 8, {4}));               // 8 9 10 11
  add("transposed", builder.tensorOf(storage, 0, {3, 4}, {1, 3}));  // base viewed as 4x3, transposed
  add("column", builder.tensorOf(storage, 1, {3, 1}, {4, 1}));  // 1 5 9: strided but one element per row
  builder.save(dir / "shared.pt", *root);

  TorchStateDict read = loadTorchStateDict(dir / "shared.pt");
  EXPECT_EQ(valuesOf<float>(*read.find("head")->tensor), (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(valuesOf<float>(*read.find("tail")->tensor), (std::vector<float>{8, 9, 10, 11}));
  // Element (i, j) of the transposed view is base[i + 3 j].
  EXPECT_EQ(valuesOf<float>(*read.find("transposed")->tensor),
            (std::vector<float>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}));
  EXPECT_EQ(read.find("transposed")->tensor->shape, (Shape{3, 4}));
  EXPECT_EQ(valuesOf<float>(*read.find("column")->tensor), (std::vector<float>{1, 5, 9}));
  // head and tail are zero-copy views 8 elements apart in one record.
  EXPECT_EQ(read.find("tail")->tensor->data - read.find("head")->tensor->data, 8 * 4);
  EXPECT_EQ(read.file()->zip().entries().size(), 4u) << "data.pkl, byteorder, one storage, version";
}

TEST(TorchFile, ForcedZip64FileLoads) {
  TempDir dir;
  TorchSaveOptions options;
  options.forceZip64 = true;
  options.archiveName = "any_name";
  saveTorchStateDict(dir / "z64.pt", sampleEntries(), options);
  TorchStateDict read = loadTorchStateDict(dir / "z64.pt");
  EXPECT_EQ(read.file()->archiveName(), "any_name");
  EXPECT_EQ(valuesOf<int64_t>(*read.find("i64")->tensor), kI64);
}

// ---- Python interop

TEST(TorchFileInterop, PythonTorchLoadReadsOurFiles) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  saveTorchStateDict(dir / "ours.pt", sampleEntries());
  TorchSaveOptions z64;
  z64.forceZip64 = true;
  saveTorchStateDict(dir / "ours64.pt", sampleEntries(), z64);
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, os, torch
for name in ("ours.pt", "ours64.pt"):
    sd = torch.load(os.path.join(sys.argv[1], name), weights_only=True)
    print(name, type(sd).__name__)
    for k, v in sd.items():
        if v is None:
            print(k, "None")
        else:
            print(k, str(v.dtype), tuple(v.shape), v.float().flatten().tolist())
    print("tied", sd["w.f32"].data_ptr() == sd["tied.f32"].data_ptr())
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  // Values from the arrays above, decoded by hand.
  const std::string body =
      " OrderedDict\n"
      "w.bf16 torch.bfloat16 (2, 3) [0.0, 1.0, 2.0, 3.0, -1.0, 4.0]\n"
      "w.f32 torch.float32 (6,) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]\n"
      "tied.f32 torch.float32 (6,) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]\n"
      "i64 torch.int64 (3,) [-7.0, 0.0, 1099511627776.0]\n"
      "linear._extra_state None\n"
      "te._extra_state torch.uint8 (0,) []\n"
      "scalar torch.float64 () [2.5]\n"
      "i8 torch.int8 (2,) [-128.0, 127.0]\n"
      "bool torch.bool (3,) [1.0, 0.0, 1.0]\n"
      "f16 torch.float16 (2, 1) [1.0, -2.0]\n"
      "i32 torch.int32 (1, 2) [123456.0, -1.0]\n"
      "tied True\n";
  EXPECT_EQ(result.output, "ours.pt" + body + "ours64.pt" + body);
}

TEST(TorchFileInterop, WeReadPythonTorchSaveFiles) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, os, io, torch, collections, argparse
d = sys.argv[1]
base = torch.arange(10, dtype=torch.int64)
m = torch.arange(6, dtype=torch.float32).reshape(2, 3)
sd = collections.OrderedDict()
sd["f32"] = m
sd["f16"] = torch.tensor([1.0, -2.0], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.0, 2.0, 3.0], dtype=torch.bfloat16)
sd["f64"] = torch.tensor(2.5, dtype=torch.float64)
sd["i32"] = torch.tensor([[7, -8]], dtype=torch.int32)
sd["i8"] = torch.tensor([-3], dtype=torch.int8)
sd["u8"] = torch.tensor([255, 0], dtype=torch.uint8)
sd["bool"] = torch.tensor([True, False])
sd["s1"] = base[2:5]
sd["s2"] = base[5:9]
sd["t"] = m.t()
sd["none"] = None
sd["empty"] = torch.empty(0, dtype=torch.uint8)
sd["param"] = torch.nn.Parameter(torch.ones(2))
obj = {"model": sd, "args": argparse.Namespace(num_layers=4, lr=0.5, name="nh", dt=torch.bfloat16, lst=[1, 2]),
       "nested": {"inner": {"x": torch.tensor([9], dtype=torch.int64)}}, "version": 3.0}
torch.save(obj, os.path.join(d, "folder_is_file_stem.pt"))
buf = io.BytesIO()
torch.save(obj, buf)
open(os.path.join(d, "from_bytesio.pt"), "wb").write(buf.getvalue())
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  for (const char* name : {"folder_is_file_stem.pt", "from_bytesio.pt"}) {
    SCOPED_TRACE(name);
    auto file = TorchFile::open(dir / name);
    EXPECT_EQ(file->archiveName(), std::string(name) == "from_bytesio.pt" ? "archive" : "folder_is_file_stem");
    const PickleValue& root = file->root();
    TorchStateDict sd = TorchStateDict::fromDict(file, *root.find("model"));
    ASSERT_EQ(sd.entries().size(), 14u);
    EXPECT_EQ(sd.entries()[0].key, "f32");
    EXPECT_EQ(valuesOf<float>(*sd.find("f32")->tensor), (std::vector<float>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(sd.find("f32")->tensor->shape, (Shape{2, 3}));
    EXPECT_EQ(valuesOf<uint16_t>(*sd.find("f16")->tensor), (std::vector<uint16_t>{0x3C00, 0xC000}));
    EXPECT_EQ(valuesOf<uint16_t>(*sd.find("bf16")->tensor), (std::vector<uint16_t>{0x3F80, 0x4000, 0x4040}));
    EXPECT_EQ(sd.find("f64")->tensor->rank(), 0u);
    EXPECT_EQ(valuesOf<double>(*sd.find("f64")->tensor), (std::vector<double>{2.5}));
    EXPECT_EQ(valuesOf<int32_t>(*sd.find("i32")->tensor), (std::vector<int32_t>{7, -8}));
    EXPECT_EQ(valuesOf<int8_t>(*sd.find("i8")->tensor), (std::vector<int8_t>{-3}));
    EXPECT_EQ(valuesOf<uint8_t>(*sd.find("u8")->tensor), (std::vector<uint8_t>{255, 0}));
    EXPECT_EQ(sd.find("bool")->tensor->dtype, DType::Bool);
    EXPECT_EQ(valuesOf<uint8_t>(*sd.find("bool")->tensor), (std::vector<uint8_t>{1, 0}));
    // Two slices of one storage: different offsets, the same record.
    EXPECT_EQ(valuesOf<int64_t>(*sd.find("s1")->tensor), (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(valuesOf<int64_t>(*sd.find("s2")->tensor), (std::vector<int64_t>{5, 6, 7, 8}));
    EXPECT_EQ(sd.find("s2")->tensor->data - sd.find("s1")->tensor->data, 3 * 8);
    // The transpose of [[0,1,2],[3,4,5]] materialised row-major.
    EXPECT_EQ(sd.find("t")->tensor->shape, (Shape{3, 2}));
    EXPECT_EQ(valuesOf<float>(*sd.find("t")->tensor), (std::vector<float>{0, 3, 1, 4, 2, 5}));
    EXPECT_TRUE(sd.find("none")->isNone());
    EXPECT_EQ(sd.find("empty")->tensor->nbytes, 0u);
    EXPECT_EQ(valuesOf<float>(*sd.find("param")->tensor), (std::vector<float>{1, 1}));

    EXPECT_EQ(pickleToJson(*root.find("args")),
              nlohmann::ordered_json::parse(
                  R"({"num_layers": 4, "lr": 0.5, "name": "nh", "dt": "torch.bfloat16", "lst": [1, 2]})"));
    const PickleValue* inner = root.find("nested")->find("inner");
    ASSERT_NE(inner, nullptr);
    LoadedTensor x = file->loadTensor(*inner->find("x"), "nested.inner.x");
    EXPECT_EQ(valuesOf<int64_t>(x.view), (std::vector<int64_t>{9}));
    EXPECT_EQ(root.find("version")->real, 3.0);
  }
}

// ---- damaged files

// Writes a zip holding <a>/data.pkl = `pickle` plus the given extra records.
void writeArchive(const std::filesystem::path& path, const std::string& pickle,
                  const std::vector<std::pair<std::string, std::string>>& records = {}) {
  ZipWriter zip(path);
  zip.addEntry("a/data.pkl", pickle);
  for (const auto& [name, bytes] : records) zip.addEntry(name, bytes);
  zip.addEntry("a/version", "3\n");
  zip.finish();
}

// The pickle of OrderedDict(w=rebuild_tensor_v2(storage('0', FloatStorage, numel), offset, shape)).
std::string tensorDictPickle(int64_t numel, int64_t offset, Shape shape) {
  PickleDocument doc;
  PickleStorageRef ref{"0", DType::F32, "cpu", numel};
  PickleValue* storage = doc.makeStorage(ref);
  PickleTensorRef t;
  t.storage = storage;
  t.storageOffset = offset;
  t.stride.assign(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) t.stride[i - 1] = t.stride[i] * shape[i];
  t.shape = std::move(shape);
  PickleValue* dict = doc.makeDict(true);
  dict->entries.emplace_back(doc.makeString("w"), doc.makeTensor(t));
  return writePickle(*dict);
}

TEST(TorchFileErrors, TruncatedFile) {
  TempDir dir;
  saveTorchStateDict(dir / "full.pt", sampleEntries());
  const std::string bytes = readFile(dir / "full.pt");
  writeFile(dir / "cut.pt", bytes.substr(0, bytes.size() / 2));
  ErrorKind kind{};
  const std::string message = errorOf([&] { TorchFile::open(dir / "cut.pt"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::BadInput);
  EXPECT_NE(message.find("cut.pt: no zip end-of-central-directory record found (truncated file"), std::string::npos)
      << message;
}

TEST(TorchFileErrors, CorruptCentralDirectory) {
  TempDir dir;
  saveTorchStateDict(dir / "ok.pt", sampleEntries());
  std::string bytes = readFile(dir / "ok.pt");
  const std::size_t central = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  bytes[central + 2] = '\x09';
  writeFile(dir / "corrupt.pt", bytes);
  const std::string message = errorOf([&] { TorchFile::open(dir / "corrupt.pt"); });
  EXPECT_NE(message.find("corrupt.pt: corrupt zip central directory: bad header signature"), std::string::npos)
      << message;
}

TEST(TorchFileErrors, MissingDataPkl) {
  TempDir dir;
  {
    ZipWriter zip(dir / "nopkl.pt");
    zip.addEntry("a/data/0", "1234");
    zip.addEntry("a/version", "3\n");
    zip.finish();
  }
  const std::string message = errorOf([&] { TorchFile::open(dir / "nopkl.pt"); });
  EXPECT_NE(message.find("nopkl.pt: no <archive>/data.pkl record: not a torch.save file"), std::string::npos) << message;
}

TEST(TorchFileErrors, PickleNamingANonAllowedGlobal) {
  TempDir dir;
  // {'x': os.system('touch pwned')}
  std::string pickle = std::string("\x80\x02}(X\x01\x00\x00\x00xcos\nsystem\nX\x0b\x00\x00\x00touch pwned", 35);
  pickle += "\x85Ru.";
  writeArchive(dir / "evil.pt", pickle);
  const std::string message = errorOf([&] { TorchFile::open(dir / "evil.pt"); });
  EXPECT_NE(message.find("pickle in " + (dir / "evil.pt").string() + " (a/data.pkl): at byte 10: names global "
                         "'os.system', which is not allowed"),
            std::string::npos)
      << message;
  EXPECT_FALSE(std::filesystem::exists(dir / "pwned"));
}

TEST(TorchFileErrors, PickleWithAnUnknownOpcode) {
  TempDir dir;
  writeArchive(dir / "op.pt", std::string("\x80\x02}\xfe.", 5));
  const std::string message = errorOf([&] { TorchFile::open(dir / "op.pt"); });
  EXPECT_NE(message.find("op.pt (a/data.pkl): at byte 3: unknown pickle opcode 0xfe"), std::string::npos) << message;
}

TEST(TorchFileErrors, StorageKeyMissingFromTheArchive) {
  TempDir dir;
  writeArchive(dir / "nostorage.pt", tensorDictPickle(4, 0, {4}));
  const std::string message = errorOf([&] { TorchFile::open(dir / "nostorage.pt"); });
  EXPECT_NE(message.find("nostorage.pt: storage '0' referenced by data.pkl is missing from the archive (no record "
                         "'a/data/0')"),
            std::string::npos)
      << message;
}

TEST(TorchFileErrors, StorageRecordShorterThanDeclared) {
  TempDir dir;
  writeArchive(dir / "short.pt", tensorDictPickle(4, 0, {4}), {{"a/data/0", std::string(12, '\0')}});
  const std::string message = errorOf([&] { TorchFile::open(dir / "short.pt"); });
  EXPECT_NE(message.find("short.pt: storage record 'a/data/0' holds 12 bytes but data.pkl declares 4 f32 elements "
                         "(16 bytes)"),
            std::string::npos)
      << message;
}

TEST(TorchFileErrors, TensorExtentBeyondItsStorage) {
  TempDir dir;
  // Storage of 4 floats; a [2, 2] tensor at offset 1 needs elements 1..4.
  writeArchive(dir / "extent.pt", tensorDictPickle(4, 1, {2, 2}), {{"a/data/0", std::string(16, '\0')}});
  auto file = TorchFile::open(dir / "extent.pt");  // structure is fine; the tensor is not
  const std::string message = errorOf([&] { TorchStateDict::fromDict(file, file->root()); });
  EXPECT_NE(message.find("extent.pt: tensor 'w' (size [2, 2], stride [2, 1], offset 1) reaches element 4 but its "
                         "storage '0' holds only 4 elements"),
            std::string::npos)
      << message;
}

TEST(TorchFileErrors, BigEndianByteorderIsUnsupported) {
  TempDir dir;
  writeArchive(dir / "be.pt", tensorDictPickle(1, 0, {1}), {{"a/data/0", std::string(4, '\0')}, {"a/byteorder", "big"}});
  ErrorKind kind{};
  const std::string message = errorOf([&] { TorchFile::open(dir / "be.pt"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Unsupported);
  EXPECT_NE(message.find("be.pt: byteorder record says 'big'"), std::string::npos) << message;
}

TEST(TorchFileErrors, StateDictWithANonStringKey) {
  TempDir dir;
  writeArchive(dir / "key.pt", std::string("\x80\x02}(K\x01Nu.", 9));
  auto file = TorchFile::open(dir / "key.pt");
  const std::string message = errorOf([&] { TorchStateDict::fromDict(file, file->root()); });
  EXPECT_NE(message.find("key.pt: state dict key is a int, not a str"), std::string::npos) << message;
}

TEST(TorchFileErrors, CrcMismatchWhenVerifying) {
  TempDir dir;
  saveTorchStateDict(dir / "crc.pt", sampleEntries());
  std::string bytes = readFile(dir / "crc.pt");
  // Flip one byte of the f32 storage values (1.0f = 00 00 80 3F) without touching the structure.
  const std::string needle("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  const std::size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] = 0x40;
  writeFile(dir / "crc.pt", bytes);
  EXPECT_NO_THROW(TorchFile::open(dir / "crc.pt"));
  TorchLoadOptions options;
  options.verifyCrc = true;
  const std::string message = errorOf([&] { TorchFile::open(dir / "crc.pt", options); });
  EXPECT_NE(message.find("crc.pt: zip entry 'archive/data/1' fails its CRC-32 check"), std::string::npos) << message;
}

}  // namespace
}  // namespace nhb::io

namespace nhb::io {
namespace {

TEST(TorchFileErrors, OverlappingStridesAreRefusedInsteadOfExpanded) {
  TempDir dir;
  // shape [1000000] with stride [0] over a one-element storage: torch's expand().
  PickleDocument doc;
  PickleValue* storage = doc.makeStorage({"0", DType::F32, "cpu", 1});
  PickleTensorRef t;
  t.storage = storage;
  t.shape = {1000000};
  t.stride = {0};
  PickleValue* dict = doc.makeDict(true);
  dict->entries.emplace_back(doc.makeString("w"), doc.makeTensor(t));
  writeArchive(dir / "expand.pt", writePickle(*dict), {{"a/data/0", std::string(4, '\0')}});
  auto file = TorchFile::open(dir / "expand.pt");
  const std::string message = errorOf([&] { TorchStateDict::fromDict(file, file->root()); });
  EXPECT_NE(message.find("expand.pt: tensor 'w' has 1000000 elements but its storage '0' only 1 (overlapping strides "
                         "[0] are not supported)"),
            std::string::npos)
      << message;
}

// Every truncation and many single-byte corruptions of a valid file either load or fail with an
// nhb::Error: never a crash, hang or other exception.
TEST(TorchFileErrors, DamagedFilesNeverCrash) {
  TempDir dir;
  saveTorchStateDict(dir / "good.pt", sampleEntries());
  const std::string good = readFile(dir / "good.pt");
  auto tryLoad = [&](const std::string& bytes) {
    writeFile(dir / "bad.pt", bytes);
    try {
      auto file = TorchFile::open(dir / "bad.pt");
      if (file->root().kind == PickleKind::Dict) TorchStateDict::fromDict(file, file->root());
    } catch (const Error&) {
    }
  };
  for (std::size_t cut = 0; cut < good.size(); cut += 11) tryLoad(good.substr(0, cut));
  uint32_t seed = 12345;
  for (int round = 0; round < 250; ++round) {
    std::string bytes = good;
    seed = seed * 1103515245u + 12345u;
    const std::size_t at = (seed >> 8) % bytes.size();
    seed = seed * 1103515245u + 12345u;
    bytes[at] = static_cast<char>(seed >> 16);
    tryLoad(bytes);
  }
}

}  // namespace
}  // namespace nhb::io
