#include "harness/model/ssd_scan.h"

#include <string>
#include <vector>

#include "bridge/core/error.h"

namespace nhb::harness {
namespace {

struct ScanInputs {
  at::Tensor x, dt, A, B, C, state;  // compute dtype; B and C per group, or per head if expanded
  int64_t batch, time, heads, headDim, stateSize;
};

// Validates shapes, casts to the compute dtype and, if asked, maps groups onto heads (head h uses
// group h / (H / G): repeat-interleave semantics).
ScanInputs prepare(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                   const at::Tensor& B, const at::Tensor& C, const at::Tensor& initialState,
                   bool expandGroups) {
  const at::ScalarType computeType = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  ScanInputs in;
  if (x.dim() != 4 || dt.dim() != 3 || A.dim() != 1 || B.dim() != 4 || C.dim() != 4) {
    fail(ErrorKind::Internal, "scan: expected x [B,T,H,P], dt [B,T,H], A [H], B/C [B,T,G,N]");
  }
  in.batch = x.size(0);
  in.time = x.size(1);
  in.heads = x.size(2);
  in.headDim = x.size(3);
  in.stateSize = B.size(3);
  const int64_t groups = B.size(2);
  if (groups <= 0 || in.heads % groups != 0 || C.sizes() != B.sizes() ||
      dt.size(2) != in.heads || A.size(0) != in.heads || B.size(1) != in.time || dt.size(1) != in.time) {
    fail(ErrorKind::Internal, "scan: inconsistent shapes x " + std::string(c10::str(x.sizes())) +
                                  " dt " + c10::str(dt.sizes()) + " B " + c10::str(B.sizes()) +
                                  " C " + c10::str(C.sizes()) + " A " + c10::str(A.sizes()));
  }
  const at::Tensor headToGroup =
      at::arange(in.heads, x.options().dtype(at::kLong)).div(in.heads / groups, "floor");
  in.x = x.to(computeType);
  in.dt = dt.to(computeType);
  in.A = A.to(computeType);
  in.B = B.to(computeType);
  in.C = C.to(computeType);
  if (expandGroups) {
    in.B = in.B.index_select(2, headToGroup);
    in.C = in.C.index_select(2, headToGroup);
  }
  const std::vector<int64_t> stateShape{in.batch, in.heads, in.headDim, in.stateSize};
  if (initialState.defined()) {
    if (initialState.sizes() != at::IntArrayRef(stateShape)) {
      fail(ErrorKind::Internal, "scan: initial state " + std::string(c10::str(initialState.sizes())) +
                                    " does not match " + c10::str(at::IntArrayRef(stateShape)));
    }
    in.state = initialState.to(computeType);
  } else {
    in.state = at::zeros(stateShape, in.x.options());
  }
  return in;
}

}  // namespace

ScanResult ssdChunkedScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C, int64_t chunkSize,
                          const at::Tensor& initialState) {
  if (chunkSize <= 0) fail(ErrorKind::Internal, "scan: chunk size must be positive");
  ScanInputs in = prepare(x, dt, A, B, C, initialState, /*expandGroups=*/false);
  const int64_t q = chunkSize;
  const int64_t chunks = (in.time + q - 1) / q;
  const int64_t pad = chunks * q - in.time;
  const int64_t b = in.batch, h = in.heads, p = in.headDim, n = in.stateSize;
  const int64_t g = in.B.size(2), r = h / g;  // head h = group (h / r), member (h % r)

  // Layout [B, G, chunk, head-in-group, step, ...]: B and C stay per group, so C.B^T is computed
  // once per group rather than once per head, and the heads of a group can share one matmul.
  // Time is padded with zeros (dt = 0: decay 1 and no input).
  const at::Tensor xs = at::constant_pad_nd(in.x, {0, 0, 0, 0, 0, pad})
                            .reshape({b, chunks, q, g, r, p})
                            .permute({0, 3, 1, 4, 2, 5});  // [B, G, c, r, q, P]
  const at::Tensor dts = at::constant_pad_nd(in.dt, {0, 0, 0, pad})
                             .reshape({b, chunks, q, g, r})
                             .permute({0, 3, 1, 4, 2});  // [B, G, c, r, q]
  auto groupChunks = [&](const at::Tensor& t) {          // [B, T, G, N] -> [B, G, c, q, N]
    return at::constant_pad_nd(t, {0, 0, 0, 0, 0, pad}).reshape({b, chunks, q, g, n}).permute({0, 3, 1, 2, 4});
  };
  const at::Tensor bs = groupChunks(in.B).contiguous();
  const at::Tensor cs = groupChunks(in.C).contiguous();

  const at::Tensor dA = dts * in.A.view({1, g, 1, r, 1});  // [B, G, c, r, q]
  const at::Tensor aCum = dA.cumsum(-1);
  const at::Tensor xdt = xs * dts.unsqueeze(-1);            // [B, G, c, r, q, P]

  // Within a chunk: y_i = sum_{j <= i} exp(Acum_i - Acum_j) (C_i . B_j) dt_j x_j. The decay is
  // a difference of prefix sums (as Mamba's own kernels compute it; the sums restart every chunk,
  // so they stay small enough for fp32); entries above the diagonal may overflow to inf before
  // tril_ zeroes them, and no inf survives into a product.
  const at::Tensor cb = at::matmul(cs, bs.transpose(-1, -2));  // [B, G, c, q, q]
  const at::Tensor scores = (aCum.unsqueeze(-1) - aCum.unsqueeze(-2))
                                .exp_()
                                .tril_()
                                .mul_(cb.unsqueeze(3));  // [B, G, c, r, q, q]
  const at::Tensor yDiag = at::matmul(scores, xdt);                        // [B, G, c, r, q, P]

  // State each chunk contributes at its end: sum_j exp(Acum_last - Acum_j) (dt_j x_j) (x) B_j,
  // the heads of a group stacked as rows of one [r * P, q] x [q, N] product.
  const at::Tensor decayToEnd = at::exp(aCum.narrow(-1, q - 1, 1) - aCum);  // [B, G, c, r, q]
  const at::Tensor weighted = (xdt * decayToEnd.unsqueeze(-1)).transpose(-1, -2).reshape({b, g, chunks, r * p, q});
  const at::Tensor chunkStates = at::matmul(weighted, bs).view({b, g, chunks, r, p, n});
  const at::Tensor chunkDecay = at::exp(aCum.select(-1, q - 1)).view({b, g, chunks, r, 1, 1});

  // Across chunks: a short recurrence on [B, G, r, P, N] states (T / q steps).
  at::Tensor stateIn = at::empty({b, g, chunks, r, p, n}, in.x.options());
  at::Tensor state = in.state.reshape({b, g, r, p, n});
  for (int64_t c = 0; c < chunks; ++c) {
    stateIn.select(2, c).copy_(state);
    state = chunkDecay.select(2, c) * state + chunkStates.select(2, c);
  }

  // Contribution of the state entering the chunk: exp(Acum_i) C_i . S_in, one [q, N] x [N, r * P]
  // product per group and chunk.
  const at::Tensor yOff = at::matmul(cs, stateIn.view({b, g, chunks, r * p, n}).transpose(-1, -2))
                              .view({b, g, chunks, q, r, p})
                              .mul_(at::exp(aCum).transpose(-1, -2).unsqueeze(-1));  // [B, G, c, q, r, P]

  const at::Tensor y = yOff.add_(yDiag.transpose(3, 4))  // [B, G, c, q, r, P]
                           .permute({0, 2, 3, 1, 4, 5})
                           .reshape({b, chunks * q, h, p});
  return ScanResult{y.narrow(1, 0, in.time).contiguous(), state.reshape({b, h, p, n})};
}

ScanResult sequentialScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C, const at::Tensor& initialState) {
  ScanInputs in = prepare(x, dt, A, B, C, initialState, /*expandGroups=*/true);
  at::Tensor state = in.state;  // [B, H, P, N]
  std::vector<at::Tensor> outputs;
  outputs.reserve(static_cast<std::size_t>(in.time));
  for (int64_t t = 0; t < in.time; ++t) {
    const at::Tensor dtT = in.dt.select(1, t);                          // [B, H]
    const at::Tensor decay = at::exp(dtT * in.A).unsqueeze(-1).unsqueeze(-1);
    const at::Tensor input = (dtT.unsqueeze(-1) * in.x.select(1, t)).unsqueeze(-1) *
                             in.B.select(1, t).unsqueeze(-2);          // [B, H, P, N]
    state = decay * state + input;
    outputs.push_back(at::matmul(state, in.C.select(1, t).unsqueeze(-1)).squeeze(-1));  // [B, H, P]
  }
  at::Tensor y = outputs.empty() ? at::zeros({in.batch, 0, in.heads, in.headDim}, in.x.options())
                                 : at::stack(outputs, 1);
  return ScanResult{y, state};
}

}  // namespace nhb::harness
