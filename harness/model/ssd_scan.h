// The Mamba-2 selective scan (hf-nemotron-h.md §3.4 step 6), in two forms: the chunked SSD
// algorithm used by the forward passes, and the plain sequential recurrence kept as the test
// oracle. Both compute, per batch b, head h, channel p, state n (g(h) = h / (H / G)):
//   S_t[p, n] = exp(dt_t[h] * A[h]) * S_{t-1}[p, n] + dt_t[h] * x_t[h, p] * B_t[g(h), n]
//   y_t[h, p] = sum_n C_t[g(h), n] * S_t[p, n]
// The D skip is not part of the scan (the mixer adds D * x).
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace nhb::harness {

struct ScanResult {
  at::Tensor y;           // [B, T, H, P]
  at::Tensor finalState;  // [B, H, P, N], the recurrent cache after the last step
};

// Inputs: x [B, T, H, P]; dt [B, T, H] (already softplus'ed and clamped); A [H] (negative);
// B, C [B, T, G, N] with H divisible by G; initialState [B, H, P, N] or undefined (zeros).
// All math in fp32 (fp64 if x is fp64, which the tests use for a tighter oracle); outputs are in
// that compute dtype.

// Chunked SSD: within a chunk of chunkSize steps the quadratic (attention-like) form, across
// chunks a recurrence on the chunk-final states. T need not be a multiple of chunkSize (zero dt
// padding at the end changes nothing).
ScanResult ssdChunkedScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C, int64_t chunkSize,
                          const at::Tensor& initialState = at::Tensor());

// One step at a time, exactly the recurrence above. O(T) sequential kernel launches: slow, simple,
// obviously right.
ScanResult sequentialScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C,
                          const at::Tensor& initialState = at::Tensor());

}  // namespace nhb::harness
