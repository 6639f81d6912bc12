// Element types of checkpoint tensors. Bytes are moved verbatim, so every safetensors dtype is
// representable here even where libtorch has no matching scalar type.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nhb {

enum class DType {
  Bool, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, F8E4M3, F8E5M2,
};

inline constexpr DType kAllDTypes[] = {
    DType::Bool, DType::U8,  DType::I8,  DType::I16,  DType::U16,    DType::I32,   DType::U32, DType::I64,
    DType::U64,  DType::F16, DType::BF16, DType::F32, DType::F64, DType::F8E4M3, DType::F8E5M2,
};

std::size_t itemSize(DType dtype);
bool isFloatingPoint(DType dtype);

// safetensors header spelling: "BF16", "F8_E4M3", ...
std::string_view safetensorsName(DType dtype);
std::optional<DType> dtypeFromSafetensorsName(std::string_view name);

// PyTorch legacy storage class names used in pickles: "BFloat16Storage", "FloatStorage", ...
// U16/U32/U64 have names only in torch >= 2.3; they are accepted on read.
std::string_view torchStorageName(DType dtype);
std::optional<DType> dtypeFromTorchStorageName(std::string_view name);

// Short user-facing spelling: "bf16", "f32", ... (also accepts "bfloat16", "float32", ...).
std::string_view shortName(DType dtype);
std::optional<DType> dtypeFromUserName(std::string_view name);

}  // namespace nhb
