#include "bridge/core/dtype.h"

#include <cctype>
#include <string>

namespace nhb {
namespace {

struct DTypeInfo {
  DType dtype;
  std::size_t size;
  bool floating;
  std::string_view safetensors;
  std::string_view torchStorage;
  std::string_view shortName;
  std::string_view longName;
};

constexpr DTypeInfo kInfo[] = {
    {DType::Bool, 1, false, "BOOL", "BoolStorage", "bool", "bool"},
    {DType::U8, 1, false, "U8", "ByteStorage", "u8", "uint8"},
    {DType::I8, 1, false, "I8", "CharStorage", "i8", "int8"},
    {DType::I16, 2, false, "I16", "ShortStorage", "i16", "int16"},
    {DType::U16, 2, false, "U16", "UInt16Storage", "u16", "uint16"},
    {DType::I32, 4, false, "I32", "IntStorage", "i32", "int32"},
    {DType::U32, 4, false, "U32", "UInt32Storage", "u32", "uint32"},
    {DType::I64, 8, false, "I64", "LongStorage", "i64", "int64"},
    {DType::U64, 8, false, "U64", "UInt64Storage", "u64", "uint64"},
    {DType::F16, 2, true, "F16", "HalfStorage", "f16", "float16"},
    {DType::BF16, 2, true, "BF16", "BFloat16Storage", "bf16", "bfloat16"},
    {DType::F32, 4, true, "F32", "FloatStorage", "f32", "float32"},
    {DType::F64, 8, true, "F64", "DoubleStorage", "f64", "float64"},
    {DType::F8E4M3, 1, true, "F8_E4M3", "Float8_e4m3fnStorage", "f8e4m3", "float8_e4m3fn"},
    {DType::F8E5M2, 1, true, "F8_E5M2", "Float8_e5m2Storage", "f8e5m2", "float8_e5m2"},
};

const DTypeInfo& info(DType dtype) { return kInfo[static_cast<int>(dtype)]; }

}  // namespace

std::size_t itemSize(DType dtype) { return info(dtype).size; }
bool isFloatingPoint(DType dtype) { return info(dtype).floating; }
std::string_view safetensorsName(DType dtype) { return info(dtype).safetensors; }
std::string_view torchStorageName(DType dtype) { return info(dtype).torchStorage; }
std::string_view shortName(DType dtype) { return info(dtype).shortName; }

std::optional<DType> dtypeFromSafetensorsName(std::string_view name) {
  for (const auto& entry : kInfo)
    if (entry.safetensors == name) return entry.dtype;
  return std::nullopt;
}

std::optional<DType> dtypeFromTorchStorageName(std::string_view name) {
  for (const auto& entry : kInfo)
    if (entry.torchStorage == name) return entry.dtype;
  return std::nullopt;
}

std::optional<DType> dtypeFromUserName(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "float" || lower == "fp32") return DType::F32;
  if (lower == "half" || lower == "fp16") return DType::F16;
  for (const auto& entry : kInfo)
    if (entry.shortName == lower || entry.longName == lower) return entry.dtype;
  return std::nullopt;
}

}  // namespace nhb
