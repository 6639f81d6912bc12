// The byte-level core of every mapping: a Megatron shard is the vertical concatenation of
// rectangular blocks cut from the source tensors, each source seen as a 2-D [dim0, rest] matrix.
// The same block list drives both directions, so export is the exact inverse of import by
// construction. No libtorch: bytes are moved verbatim.
#pragma once

#include <cstdint>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/mapping/mapping_kind.h"

namespace nhb::mapping {

inline constexpr int kZeroSource = -1;  // padding rows: zeros on import, dropped on export

struct Block {
  int source = 0;        // index into the mapping's sources (q=0, k=1, v=2), or kZeroSource
  int64_t row0 = 0;      // first source row
  int64_t rows = 0;
  int64_t col0 = 0;      // first element within a source row (2-D view)
  int64_t cols = 0;      // elements per row; equal for every block of one shard
  bool operator==(const Block& other) const {
    return source == other.source && row0 == other.row0 && rows == other.rows && col0 == other.col0 &&
           cols == other.cols;
  }
};

// Rows and row width of `shape` seen as a matrix: [n] -> [n, 1], [a, b, c] -> [a, b*c].
int64_t matrixRows(const Shape& shape);
int64_t matrixCols(const Shape& shape);

// Blocks of shard `index` of `parts` for the given source shapes. Throws BadInput when a size does
// not divide (the message names the sizes; callers add the tensor name).
std::vector<Block> shardBlocks(const MappingSpec& spec, const std::vector<Shape>& sourceShapes,
                               int64_t parts, int64_t index);

// Shape of the shard the blocks produce: dim 0 is the sum of block rows; a full-width shard keeps
// the source's trailing dims, a dim-1 split becomes [rows, cols].
Shape shardShape(const std::vector<Block>& blocks, const Shape& firstSourceShape);

// True when the shard is one contiguous byte range of source 0 (zero-copy view possible).
bool isContiguousSlice(const std::vector<Block>& blocks, const Shape& sourceShape);

// Import: fills `dst` (the shard's bytes, sized item*rows*cols) from the sources.
void gatherBlocks(const std::vector<Block>& blocks, const std::vector<TensorView>& sources, std::byte* dst);

// Export: writes the shard's blocks back into the full source-shaped buffers `targets` (blocks
// from kZeroSource are skipped).
void scatterBlocks(const std::vector<Block>& blocks, const TensorView& shard, const std::vector<std::byte*>& targets,
                   const std::vector<Shape>& targetShapes);

}  // namespace nhb::mapping
