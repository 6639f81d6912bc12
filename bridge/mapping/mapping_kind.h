// How one Hugging Face tensor (or the q/k/v triple) becomes per-rank Megatron shards, as plain
// data (megatron-bridge-conversion.md §2.2, §2.6, §2.7; megatron-core-hybrid.md §3.5).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace nhb::mapping {

enum class MappingKind {
  Replicated,   // every rank holds the whole tensor (norms, router, latent projections)
  Column,       // contiguous split of dim 0 (vocab rows, fc1, A_log, D, dt_bias, mixer.norm)
  Row,          // contiguous split of dim 1; 1-D tensors are replicated (out_proj, fc2, o_proj)
  Qkv,          // q, k, v interleaved per query group [q × H/G, k, v], then split like Column
  MambaInProj,  // components z|x|B|C|dt, each split along dim 0, regrouped rank-major
  MambaConv1d,  // components x|B|C of conv1d weight [C,1,K] or bias [C], regrouped rank-major
};

std::string_view mappingKindName(MappingKind kind);

// Which parallel group splits the tensor: the tensor-parallel group, or the expert-tensor-
// parallel group for routed experts.
enum class SplitGroup { Tensor, ExpertTensor };

struct MappingSpec {
  MappingKind kind = MappingKind::Replicated;
  SplitGroup group = SplitGroup::Tensor;
  // MambaInProj / MambaConv1d: dim-0 sizes of the components in order.
  std::vector<int64_t> componentRows;
  // Qkv: attention heads H, query groups G, head dim d.
  int64_t qkvHeads = 0, qkvGroups = 0, qkvHeadDim = 0;
  // Column only: Megatron rows when larger than the source (vocab padding); the extra rows at the
  // end are zeros on import and dropped on export. 0 = same as the source.
  int64_t paddedRows = 0;
};

}  // namespace nhb::mapping
