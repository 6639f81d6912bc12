// A non-owning, contiguous, row-major view of one tensor's bytes, and an owning Tensor for the
// cases where a copy cannot be avoided (a gathered or re-ordered output).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bridge/core/dtype.h"

namespace nhb {

using Shape = std::vector<int64_t>;

// Product of the dims; throws BadInput on a negative dim or on overflow of int64.
int64_t numelChecked(const Shape& shape);
std::string shapeToString(const Shape& shape);  // "[4, 8]"

struct TensorView {
  DType dtype = DType::U8;
  Shape shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  int64_t numel() const { return numelChecked(shape); }
  int64_t dim(std::size_t i) const { return shape.at(i); }
  std::size_t rank() const { return shape.size(); }
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled
  static Tensor copyOf(const TensorView& view);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::byte* data() { return bytes_.data(); }
  const std::byte* data() const { return bytes_.data(); }
  std::size_t nbytes() const { return bytes_.size(); }
  TensorView view() const { return TensorView{dtype_, shape_, bytes_.data(), bytes_.size()}; }

 private:
  DType dtype_ = DType::U8;
  Shape shape_;
  std::vector<std::byte> bytes_;
};

}  // namespace nhb
