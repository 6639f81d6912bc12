#include "harness/compare/compare_rows.h"

#include <algorithm>
#include <sstream>

#include "bridge/core/error.h"

namespace nhb::harness::detail {
namespace {

std::string shapeString(const at::Tensor& t) {
  std::ostringstream out;
  out << '[';
  for (int64_t i = 0; i < t.dim(); ++i) out << (i ? ", " : "") << t.size(i);
  out << ']';
  return out.str();
}

}  // namespace

SelectedRows selectRows(const at::Tensor& reference, const at::Tensor& test, const at::Tensor& mask,
                        const std::string& what) {
  if (!reference.defined() || !test.defined()) badInput(what + ": a compared tensor is missing");
  if (reference.sizes() != test.sizes())
    badInput(what + ": reference shape " + shapeString(reference) + " differs from test shape " +
             shapeString(test));
  if (reference.dim() != 2 && reference.dim() != 3)
    badInput(what + ": expected [B, T, V] or [T, V], got shape " + shapeString(reference));
  if (!at::isFloatingType(reference.scalar_type()) || !at::isFloatingType(test.scalar_type()))
    badInput(what + ": expected floating-point tensors");

  const int64_t batch = reference.dim() == 3 ? reference.size(0) : 1;
  const int64_t length = reference.size(reference.dim() - 2);
  const int64_t width = reference.size(reference.dim() - 1);
  at::Tensor ref2 = reference.reshape({batch * length, width}).contiguous();
  at::Tensor test2 = test.reshape({batch * length, width}).contiguous();

  SelectedRows rows;
  std::vector<int64_t> keep;
  if (mask.defined()) {
    if (mask.numel() != batch * length)
      badInput(what + ": mask shape " + shapeString(mask) + " does not match [" +
               std::to_string(batch) + ", " + std::to_string(length) + "]");
    at::Tensor flat = mask.reshape({batch * length}).ne(0).to(at::kCPU).contiguous();
    const bool* selected = flat.data_ptr<bool>();
    for (int64_t i = 0; i < batch * length; ++i)
      if (selected[i]) keep.push_back(i);
  } else {
    keep.resize(static_cast<size_t>(batch * length));
    for (int64_t i = 0; i < batch * length; ++i) keep[static_cast<size_t>(i)] = i;
  }
  if (keep.empty()) badInput(what + ": no position selected (mask is all zero or the tensors are empty)");
  if (width == 0) badInput(what + ": last dimension is empty");

  for (int64_t index : keep) {
    rows.batch.push_back(index / length);
    rows.position.push_back(index % length);
  }
  if (static_cast<int64_t>(keep.size()) == batch * length) {
    rows.reference = ref2;
    rows.test = test2;
  } else {
    at::Tensor indices = at::tensor(keep, at::kLong).to(ref2.device());
    rows.reference = ref2.index_select(0, indices);
    rows.test = test2.index_select(0, indices);
  }
  return rows;
}

int64_t rowsPerChunk(int64_t width) {
  constexpr int64_t kElementsPerChunk = int64_t{4} << 20;
  return std::max<int64_t>(1, kElementsPerChunk / std::max<int64_t>(1, width));
}

int64_t countNotClose(const at::Tensor& ref, const at::Tensor& test, double rtol, double atol) {
  at::Tensor allowed = ref.abs().mul(rtol).add(atol);
  at::Tensor close = (test - ref).abs().le(allowed).logical_or(test.eq(ref));
  return close.numel() - close.sum().item<int64_t>();
}

}  // namespace nhb::harness::detail
