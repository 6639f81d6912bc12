#include "bridge/core/tensor_view.h"

#include <cstring>
#include <limits>

#include "bridge/core/error.h"

namespace nhb {

int64_t numelChecked(const Shape& shape) {
  int64_t total = 1;
  for (int64_t d : shape) {
    if (d < 0) badInput("negative dimension in shape " + shapeToString(shape));
    if (d != 0 && total > std::numeric_limits<int64_t>::max() / d)
      badInput("shape " + shapeToString(shape) + " has more elements than fit in 64 bits");
    total *= d;
  }
  return total;
}

std::string shapeToString(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  bytes_.resize(static_cast<std::size_t>(numelChecked(shape_)) * itemSize(dtype_));
}

Tensor Tensor::copyOf(const TensorView& view) {
  Tensor out(view.dtype, view.shape);
  if (out.nbytes() != view.nbytes)
    fail(ErrorKind::Internal, "tensor view of shape " + shapeToString(view.shape) + " has " +
                                  std::to_string(view.nbytes) + " bytes, expected " +
                                  std::to_string(out.nbytes()));
  if (view.nbytes) std::memcpy(out.data(), view.data, view.nbytes);
  return out;
}

}  // namespace nhb
