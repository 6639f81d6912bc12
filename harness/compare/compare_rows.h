// Shared plumbing of the comparisons: validates a (reference, test, mask) triple and flattens the
// selected positions to [N, V] rows, remembering where each row came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace nhb::harness::detail {

struct SelectedRows {
  at::Tensor reference;  // [N, V], original dtype, contiguous
  at::Tensor test;       // [N, V]
  std::vector<int64_t> batch, position;  // source of row i
};

// `what` names the compared thing in errors ("logits", "layer layers.3").
SelectedRows selectRows(const at::Tensor& reference, const at::Tensor& test, const at::Tensor& mask,
                        const std::string& what);

// Rows per chunk so that a float64 chunk stays near 32 MiB.
int64_t rowsPerChunk(int64_t width);

// Elements not close under |t - r| <= atol + rtol |r| (r == t also counts as close: equal
// infinities). Inputs are float64 chunks.
int64_t countNotClose(const at::Tensor& ref, const at::Tensor& test, double rtol, double atol);

}  // namespace nhb::harness::detail
