#include "bridge/mapping/shard_blocks.h"

#include <algorithm>
#include <cstring>

#include "bridge/core/error.h"

namespace nhb::mapping {

std::string_view mappingKindName(MappingKind kind) {
  switch (kind) {
    case MappingKind::Replicated: return "replicated";
    case MappingKind::Column: return "column";
    case MappingKind::Row: return "row";
    case MappingKind::Qkv: return "qkv";
    case MappingKind::MambaInProj: return "mamba_in_proj";
    case MappingKind::MambaConv1d: return "mamba_conv1d";
  }
  return "?";
}

int64_t matrixRows(const Shape& shape) { return shape.empty() ? 1 : shape[0]; }

int64_t matrixCols(const Shape& shape) {
  int64_t cols = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) cols *= shape[i];
  return cols;
}

namespace {

int64_t splitSize(int64_t total, int64_t parts, const char* what) {
  if (parts <= 0 || total % parts != 0) {
    badInput(std::string(what) + " of size " + std::to_string(total) + " is not divisible by " +
             std::to_string(parts) + " parallel ranks");
  }
  return total / parts;
}

void requireSources(const std::vector<Shape>& shapes, std::size_t count, MappingKind kind) {
  if (shapes.size() != count) {
    fail(ErrorKind::Internal, std::string(mappingKindName(kind)) + " mapping expects " + std::to_string(count) +
                                  " sources, got " + std::to_string(shapes.size()));
  }
}

std::vector<Block> componentBlocks(const MappingSpec& spec, const Shape& shape, int64_t parts, int64_t index) {
  int64_t total = 0;
  for (int64_t rows : spec.componentRows) total += rows;
  if (total != matrixRows(shape)) {
    badInput("component sizes sum to " + std::to_string(total) + " rows but the tensor has shape " +
             shapeToString(shape));
  }
  std::vector<Block> blocks;
  int64_t offset = 0;
  for (int64_t rows : spec.componentRows) {
    int64_t local = splitSize(rows, parts, "component");
    blocks.push_back({0, offset + index * local, local, 0, matrixCols(shape)});
    offset += rows;
  }
  return blocks;
}

// Joins blocks that continue each other (same source, full rows, adjacent): at tp 1 the
// component-wise mappings become one contiguous slice, i.e. a zero-copy view.
std::vector<Block> coalesce(std::vector<Block> blocks) {
  std::vector<Block> out;
  for (const Block& block : blocks) {
    if (!out.empty()) {
      Block& last = out.back();
      if (last.source == block.source && last.col0 == 0 && block.col0 == 0 && last.cols == block.cols &&
          last.row0 + last.rows == block.row0) {
        last.rows += block.rows;
        continue;
      }
    }
    out.push_back(block);
  }
  return out;
}

std::vector<Block> uncoalescedBlocks(const MappingSpec& spec, const std::vector<Shape>& shapes, int64_t parts,
                                     int64_t index);

}  // namespace

std::vector<Block> shardBlocks(const MappingSpec& spec, const std::vector<Shape>& shapes, int64_t parts,
                               int64_t index) {
  return coalesce(uncoalescedBlocks(spec, shapes, parts, index));
}

namespace {

std::vector<Block> uncoalescedBlocks(const MappingSpec& spec, const std::vector<Shape>& shapes, int64_t parts,
                                     int64_t index) {
  if (index < 0 || index >= parts) fail(ErrorKind::Internal, "shard index out of range");
  switch (spec.kind) {
    case MappingKind::Replicated: {
      requireSources(shapes, 1, spec.kind);
      return {{0, 0, matrixRows(shapes[0]), 0, matrixCols(shapes[0])}};
    }
    case MappingKind::Column: {
      requireSources(shapes, 1, spec.kind);
      int64_t rows = matrixRows(shapes[0]), cols = matrixCols(shapes[0]);
      int64_t padded = spec.paddedRows > 0 ? spec.paddedRows : rows;
      if (padded < rows) badInput("padded rows " + std::to_string(padded) + " < rows " + std::to_string(rows));
      int64_t local = splitSize(padded, parts, "dim 0");
      int64_t begin = index * local, end = begin + local;
      std::vector<Block> blocks;
      if (begin < rows) blocks.push_back({0, begin, std::min(end, rows) - begin, 0, cols});
      if (end > rows) {
        int64_t zeroBegin = std::max(begin, rows);
        blocks.push_back({kZeroSource, zeroBegin, end - zeroBegin, 0, cols});
      }
      return blocks;
    }
    case MappingKind::Row: {
      requireSources(shapes, 1, spec.kind);
      const Shape& shape = shapes[0];
      if (shape.size() < 2) return {{0, 0, matrixRows(shape), 0, matrixCols(shape)}};
      if (shape.size() != 2) badInput("row-parallel split of a " + std::to_string(shape.size()) + "-D tensor");
      int64_t local = splitSize(shape[1], parts, "dim 1");
      return {{0, 0, shape[0], index * local, local}};
    }
    case MappingKind::Qkv: {
      requireSources(shapes, 3, spec.kind);
      int64_t heads = spec.qkvHeads, groups = spec.qkvGroups, d = spec.qkvHeadDim;
      if (groups <= 0 || heads % groups != 0) badInput("attention heads not divisible by query groups");
      int64_t perGroup = heads / groups;
      int64_t cols = matrixCols(shapes[0]);
      if (matrixRows(shapes[0]) != heads * d || matrixRows(shapes[1]) != groups * d ||
          matrixRows(shapes[2]) != groups * d || matrixCols(shapes[1]) != cols || matrixCols(shapes[2]) != cols) {
        badInput("q/k/v shapes " + shapeToString(shapes[0]) + ", " + shapeToString(shapes[1]) + ", " +
                 shapeToString(shapes[2]) + " disagree with " + std::to_string(heads) + " heads, " +
                 std::to_string(groups) + " query groups, head dim " + std::to_string(d));
      }
      int64_t localGroups = splitSize(groups, parts, "num_query_groups");
      std::vector<Block> blocks;
      for (int64_t g = index * localGroups; g < (index + 1) * localGroups; ++g) {
        blocks.push_back({0, g * perGroup * d, perGroup * d, 0, cols});
        blocks.push_back({1, g * d, d, 0, cols});
        blocks.push_back({2, g * d, d, 0, cols});
      }
      return blocks;
    }
    case MappingKind::MambaInProj:
    case MappingKind::MambaConv1d:
      requireSources(shapes, 1, spec.kind);
      return componentBlocks(spec, shapes[0], parts, index);
  }
  fail(ErrorKind::Internal, "unknown mapping kind");
}

}  // namespace

Shape shardShape(const std::vector<Block>& blocks, const Shape& firstSourceShape) {
  int64_t rows = 0;
  for (const Block& block : blocks) rows += block.rows;
  int64_t cols = blocks.empty() ? matrixCols(firstSourceShape) : blocks.front().cols;
  if (cols == matrixCols(firstSourceShape)) {
    Shape shape = firstSourceShape;
    if (shape.empty()) return shape;
    shape[0] = rows;
    return shape;
  }
  return {rows, cols};
}

bool isContiguousSlice(const std::vector<Block>& blocks, const Shape& sourceShape) {
  return blocks.size() == 1 && blocks[0].source == 0 && blocks[0].col0 == 0 &&
         blocks[0].cols == matrixCols(sourceShape);
}

void gatherBlocks(const std::vector<Block>& blocks, const std::vector<TensorView>& sources, std::byte* dst) {
  std::size_t item = 0;
  for (const TensorView& view : sources) item = std::max(item, itemSize(view.dtype));
  for (const Block& block : blocks) {
    std::size_t rowBytes = static_cast<std::size_t>(block.cols) * item;
    if (block.source == kZeroSource) {
      std::memset(dst, 0, rowBytes * block.rows);
      dst += rowBytes * block.rows;
      continue;
    }
    const TensorView& src = sources.at(block.source);
    int64_t srcCols = matrixCols(src.shape);
    const std::byte* from = src.data + (block.row0 * srcCols + block.col0) * item;
    if (block.cols == srcCols) {
      std::memcpy(dst, from, rowBytes * block.rows);
      dst += rowBytes * block.rows;
    } else {
      for (int64_t r = 0; r < block.rows; ++r) {
        std::memcpy(dst, from + r * srcCols * item, rowBytes);
        dst += rowBytes;
      }
    }
  }
}

void scatterBlocks(const std::vector<Block>& blocks, const TensorView& shard, const std::vector<std::byte*>& targets,
                   const std::vector<Shape>& targetShapes) {
  std::size_t item = itemSize(shard.dtype);
  const std::byte* from = shard.data;
  for (const Block& block : blocks) {
    std::size_t rowBytes = static_cast<std::size_t>(block.cols) * item;
    if (block.source == kZeroSource) {
      from += rowBytes * block.rows;
      continue;
    }
    int64_t dstCols = matrixCols(targetShapes.at(block.source));
    std::byte* to = targets.at(block.source) + (block.row0 * dstCols + block.col0) * item;
    if (block.cols == dstCols) {
      std::memcpy(to, from, rowBytes * block.rows);
      from += rowBytes * block.rows;
    } else {
      for (int64_t r = 0; r < block.rows; ++r) {
        std::memcpy(to + r * dstCols * item, from, rowBytes);
        from += rowBytes;
      }
    }
  }
}

}  // namespace nhb::mapping
