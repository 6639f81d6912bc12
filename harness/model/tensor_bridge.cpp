#include "harness/model/tensor_bridge.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace nhb::harness {

at::ScalarType toTorchScalarType(DType dtype) {
  switch (dtype) {
    case DType::Bool: return at::kBool;
    case DType::U8: return at::kByte;
    case DType::I8: return at::kChar;
    case DType::I16: return at::kShort;
    case DType::I32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F32: return at::kFloat;
    case DType::F64: return at::kDouble;
    case DType::U16:
    case DType::U32:
    case DType::U64:
    case DType::F8E4M3:
    case DType::F8E5M2:
      break;
  }
  fail(ErrorKind::Unsupported, "dtype " + std::string(safetensorsName(dtype)) +
                                   " has no libtorch 1.13 equivalent");
}

at::Tensor toTorch(const TensorView& view) {
  const at::ScalarType scalarType = toTorchScalarType(view.dtype);
  const int64_t numel = view.numel();
  const std::size_t expectedBytes = static_cast<std::size_t>(numel) * itemSize(view.dtype);
  if (expectedBytes != view.nbytes) {
    badInput("dtype " + std::string(safetensorsName(view.dtype)) + " and shape " +
             shapeToString(view.shape) + " need " + std::to_string(expectedBytes) +
             " bytes, the view has " + std::to_string(view.nbytes));
  }
  const std::vector<int64_t> sizes(view.shape.begin(), view.shape.end());
  const auto options = at::TensorOptions().dtype(scalarType).device(at::kCPU);
  if (numel == 0) return at::empty(sizes, options);
  if (view.data == nullptr) badInput("view of " + shapeToString(view.shape) + " has no data");

  const auto address = reinterpret_cast<std::uintptr_t>(view.data);
  if (address % itemSize(view.dtype) != 0) {
    // Misaligned element access is undefined behaviour for the kernels: copy once.
    at::Tensor owned = at::empty(sizes, options);
    std::memcpy(owned.data_ptr(), view.data, view.nbytes);
    return owned;
  }
  // from_blob wants a mutable pointer; the documented contract is read-only use.
  return at::from_blob(const_cast<std::byte*>(view.data), sizes, options);
}

}  // namespace nhb::harness
