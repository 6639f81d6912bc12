#include "harness/model/ssd_scan.h"

#include <limits>
#include <string>
#include <vector>

#include "bridge/core/error.h"

namespace nhb::harness {
namespace {

struct ScanInputs {
  at::Tensor x, dt, A, B, C, state;  // compute dtype; B and C expanded to one row per head
  int64_t batch, time, heads, headDim, stateSize;
};

// Validates shapes, casts to the compute dtype and maps groups onto heads (head h uses group
// h / (H / G): repeat-interleave semantics).
ScanInputs prepare(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                   const at::Tensor& B, const at::Tensor& C, const at::Tensor& initialState) {
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
  in.B = B.to(computeType).index_select(2, headToGroup);
  in.C = C.to(computeType).index_select(2, headToGroup);
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

// segsum[..., i, j] = sum_{k=j+1}^{i} v[..., k] for i >= j, -inf above the diagonal. Built by a
// masked cumulative sum rather than a difference of prefix sums, so it stays exact for long
// chunks with strong decay.
at::Tensor segmentSum(const at::Tensor& v) {
  const int64_t q = v.size(-1);
  const auto boolOptions = v.options().dtype(at::kBool);
  const at::Tensor strictlyLower = at::ones({q, q}, boolOptions).tril(-1);
  const at::Tensor lower = at::ones({q, q}, boolOptions).tril(0);
  std::vector<int64_t> expanded(v.sizes().begin(), v.sizes().end());
  expanded.push_back(q);
  // rep[..., i, j] = v[..., i]
  const at::Tensor rep = v.unsqueeze(-1).expand(expanded).masked_fill(strictlyLower.logical_not(), 0);
  return rep.cumsum(-2).masked_fill(lower.logical_not(), -std::numeric_limits<double>::infinity());
}

}  // namespace

ScanResult ssdChunkedScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C, int64_t chunkSize,
                          const at::Tensor& initialState) {
  if (chunkSize <= 0) fail(ErrorKind::Internal, "scan: chunk size must be positive");
  ScanInputs in = prepare(x, dt, A, B, C, initialState);
  const int64_t q = chunkSize;
  const int64_t chunks = (in.time + q - 1) / q;
  const int64_t pad = chunks * q - in.time;
  const int64_t b = in.batch, h = in.heads, p = in.headDim;

  // Pad time with zeros (dt = 0: decay 1 and no input), then lay out as [B, H, chunk, step, ...].
  auto chunked = [&](const at::Tensor& t) {  // [B, T, H, D] -> [B, H, c, q, D]
    const at::Tensor padded = at::constant_pad_nd(t, {0, 0, 0, 0, 0, pad});
    return padded.reshape({b, chunks, q, h, t.size(3)}).permute({0, 3, 1, 2, 4});
  };
  const at::Tensor xs = chunked(in.x);
  const at::Tensor bs = chunked(in.B);
  const at::Tensor cs = chunked(in.C);
  const at::Tensor dts =
      at::constant_pad_nd(in.dt, {0, 0, 0, pad}).reshape({b, chunks, q, h}).permute({0, 3, 1, 2});

  const at::Tensor dA = dts * in.A.view({1, h, 1, 1});  // [B, H, c, q]
  const at::Tensor aCum = dA.cumsum(-1);
  const at::Tensor xdt = xs * dts.unsqueeze(-1);         // [B, H, c, q, P]

  // Within a chunk: y_i = sum_{j <= i} exp(Acum_i - Acum_j) (C_i . B_j) dt_j x_j.
  const at::Tensor decayMatrix = at::exp(segmentSum(dA));  // [B, H, c, q, q]
  const at::Tensor yDiag = at::matmul(at::matmul(cs, bs.transpose(-1, -2)) * decayMatrix, xdt);

  // State each chunk contributes at its end: sum_j exp(Acum_last - Acum_j) (dt_j x_j) (x) B_j.
  const at::Tensor decayToEnd = at::exp(aCum.narrow(-1, q - 1, 1) - aCum);  // [B, H, c, q]
  const at::Tensor chunkStates =
      at::matmul((xdt * decayToEnd.unsqueeze(-1)).transpose(-1, -2), bs);  // [B, H, c, P, N]
  const at::Tensor chunkDecay = at::exp(aCum.select(-1, q - 1));          // [B, H, c]

  // Across chunks: a short recurrence on [B, H, P, N] states (T / q steps), contracting over the
  // source chunk explicitly.
  std::vector<at::Tensor> statesIn;
  statesIn.reserve(static_cast<std::size_t>(chunks));
  at::Tensor state = in.state;
  for (int64_t c = 0; c < chunks; ++c) {
    statesIn.push_back(state);
    state = chunkDecay.select(2, c).view({b, h, 1, 1}) * state + chunkStates.select(2, c);
  }
  const at::Tensor stateIn = at::stack(statesIn, 2);  // [B, H, c, P, N]

  // Contribution of the state entering the chunk: exp(Acum_i) C_i . S_in.
  const at::Tensor yOff = at::matmul(cs, stateIn.transpose(-1, -2)) * at::exp(aCum).unsqueeze(-1);

  const at::Tensor y = (yDiag + yOff).permute({0, 2, 3, 1, 4}).reshape({b, chunks * q, h, p});
  return ScanResult{y.narrow(1, 0, in.time).contiguous(), state};
}

ScanResult sequentialScan(const at::Tensor& x, const at::Tensor& dt, const at::Tensor& A,
                          const at::Tensor& B, const at::Tensor& C, const at::Tensor& initialState) {
  ScanInputs in = prepare(x, dt, A, B, C, initialState);
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
