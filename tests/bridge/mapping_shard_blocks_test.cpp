// Golden orderings written from the reference formulas (megatron-bridge-conversion.md §2.6-2.7,
// megatron-core-hybrid.md §3.5), not from the code under test: each source row holds its own
// index, so a shard is just the list of source rows it contains.
#include <gtest/gtest.h>

#include <cstring>

#include "bridge/core/error.h"
#include "bridge/mapping/shard_blocks.h"

namespace nhb::mapping {
namespace {

// A tensor of int32 whose element (row, col) is base + row*100 + col.
Tensor numbered(Shape shape, int32_t base) {
  Tensor tensor(DType::I32, shape);
  int64_t cols = matrixCols(shape);
  auto* data = reinterpret_cast<int32_t*>(tensor.data());
  for (int64_t r = 0; r < matrixRows(shape); ++r) {
    for (int64_t c = 0; c < cols; ++c) data[r * cols + c] = static_cast<int32_t>(base + r * 100 + c);
  }
  return tensor;
}

std::vector<int32_t> gather(const MappingSpec& spec, const std::vector<Tensor>& sources, int64_t parts, int64_t index,
                            Shape* shapeOut = nullptr) {
  std::vector<Shape> shapes;
  std::vector<TensorView> views;
  for (const Tensor& source : sources) {
    shapes.push_back(source.shape());
    views.push_back(source.view());
  }
  auto blocks = shardBlocks(spec, shapes, parts, index);
  Shape shape = shardShape(blocks, shapes[0]);
  if (shapeOut) *shapeOut = shape;
  std::vector<int32_t> out(numelChecked(shape));
  gatherBlocks(blocks, views, reinterpret_cast<std::byte*>(out.data()));
  return out;
}

// First element of each row: identifies which source row landed there.
std::vector<int32_t> rowIds(const std::vector<int32_t>& data, int64_t cols) {
  std::vector<int32_t> ids;
  for (std::size_t i = 0; i < data.size(); i += cols) ids.push_back(data[i]);
  return ids;
}

TEST(ShardBlocks, QkvInterleavePerQueryGroupAtTp2) {
  // H=4 heads, G=2 groups, d=1, hidden 1: n = H/G = 2.
  // qkv row (g*(n+2)+j)*d+e = q[(g*n+j)*d+e], row (g*(n+2)+n) = k[g], row (g*(n+2)+n+1) = v[g]:
  // full = [q0 q1 k0 v0 | q2 q3 k1 v1]; TP=2 gives rank 0 the first group, rank 1 the second.
  MappingSpec spec{MappingKind::Qkv};
  spec.qkvHeads = 4;
  spec.qkvGroups = 2;
  spec.qkvHeadDim = 1;
  std::vector<Tensor> qkv = {numbered({4, 1}, 1000), numbered({2, 1}, 2000), numbered({2, 1}, 3000)};
  EXPECT_EQ(gather(spec, qkv, 1, 0), (std::vector<int32_t>{1000, 1100, 2000, 3000, 1200, 1300, 2100, 3100}));
  EXPECT_EQ(gather(spec, qkv, 2, 0), (std::vector<int32_t>{1000, 1100, 2000, 3000}));
  EXPECT_EQ(gather(spec, qkv, 2, 1), (std::vector<int32_t>{1200, 1300, 2100, 3100}));
}

TEST(ShardBlocks, QkvWithHeadDim2) {
  // H=2, G=1, d=2: [q rows 0..3, k rows 0..1, v rows 0..1].
  MappingSpec spec{MappingKind::Qkv};
  spec.qkvHeads = 2;
  spec.qkvGroups = 1;
  spec.qkvHeadDim = 2;
  std::vector<Tensor> qkv = {numbered({4, 3}, 1000), numbered({2, 3}, 2000), numbered({2, 3}, 3000)};
  Shape shape;
  auto out = gather(spec, qkv, 1, 0, &shape);
  EXPECT_EQ(shape, (Shape{8, 3}));
  EXPECT_EQ(rowIds(out, 3), (std::vector<int32_t>{1000, 1100, 1200, 1300, 2000, 2100, 3000, 3100}));
  EXPECT_THROW(gather(spec, qkv, 2, 0), Error);  // G=1 not divisible by tp 2
}

TEST(ShardBlocks, MambaInProjRegroupedRankMajorAtTp2) {
  // Di=4, G*N=2, H=2: rows z0..z3 | x0..x3 | B0 B1 | C0 C1 | dt0 dt1 (source rows 0..13).
  // Rank r holds [z_r; x_r; B_r; C_r; dt_r] with halves of each component.
  MappingSpec spec{MappingKind::MambaInProj};
  spec.componentRows = {4, 4, 2, 2, 2};
  std::vector<Tensor> source = {numbered({14, 2}, 0)};
  Shape shape;
  auto rank0 = gather(spec, source, 2, 0, &shape);
  EXPECT_EQ(shape, (Shape{7, 2}));
  // z rows 0,1; x rows 4,5; B row 8; C row 10; dt row 12.
  EXPECT_EQ(rowIds(rank0, 2), (std::vector<int32_t>{0, 100, 400, 500, 800, 1000, 1200}));
  auto rank1 = gather(spec, source, 2, 1);
  EXPECT_EQ(rowIds(rank1, 2), (std::vector<int32_t>{200, 300, 600, 700, 900, 1100, 1300}));
}

TEST(ShardBlocks, Tp1ComponentMappingsAreOneContiguousSlice) {
  MappingSpec spec{MappingKind::MambaInProj};
  spec.componentRows = {4, 4, 2, 2, 2};
  auto blocks = shardBlocks(spec, {{14, 2}}, 1, 0);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(isContiguousSlice(blocks, {14, 2}));
  MappingSpec qkv{MappingKind::Qkv};
  qkv.qkvHeads = 4;
  qkv.qkvGroups = 2;
  qkv.qkvHeadDim = 1;
  EXPECT_EQ(shardBlocks(qkv, {{4, 1}, {2, 1}, {2, 1}}, 1, 0).size(), 6u);  // interleaving needs a copy
}

TEST(ShardBlocks, MambaConv1dWeightAndBiasAtTp2) {
  // Di=4, G*N=2: channels x0..x3 | B0 B1 | C0 C1 (8 channels), kernel 3.
  MappingSpec spec{MappingKind::MambaConv1d};
  spec.componentRows = {4, 2, 2};
  std::vector<Tensor> weight = {numbered({8, 1, 3}, 0)};
  Shape shape;
  auto rank1 = gather(spec, weight, 2, 1, &shape);
  EXPECT_EQ(shape, (Shape{4, 1, 3}));
  EXPECT_EQ(rowIds(rank1, 3), (std::vector<int32_t>{200, 300, 500, 700}));
  EXPECT_EQ(rank1[1], 201);  // kernel taps stay together
  std::vector<Tensor> bias = {numbered({8}, 0)};
  auto biasRank0 = gather(spec, bias, 2, 0, &shape);
  EXPECT_EQ(shape, (Shape{4}));
  EXPECT_EQ(biasRank0, (std::vector<int32_t>{0, 100, 400, 600}));
}

TEST(ShardBlocks, RowSplitsDim1AndReplicates1D) {
  MappingSpec spec{MappingKind::Row};
  std::vector<Tensor> source = {numbered({2, 4}, 0)};
  Shape shape;
  auto rank1 = gather(spec, source, 2, 1, &shape);
  EXPECT_EQ(shape, (Shape{2, 2}));
  EXPECT_EQ(rank1, (std::vector<int32_t>{2, 3, 102, 103}));
  std::vector<Tensor> vector = {numbered({4}, 0)};
  EXPECT_EQ(gather(spec, vector, 2, 1, &shape), (std::vector<int32_t>{0, 100, 200, 300}));
}

TEST(ShardBlocks, ColumnPadsVocabRowsWithZeros) {
  // 5 vocab rows padded to 8 over tp 2: rank 0 rows 0..3, rank 1 row 4 then 3 zero rows.
  MappingSpec spec{MappingKind::Column};
  spec.paddedRows = 8;
  std::vector<Tensor> source = {numbered({5, 2}, 1)};
  EXPECT_EQ(gather(spec, source, 2, 0), (std::vector<int32_t>{1, 2, 101, 102, 201, 202, 301, 302}));
  EXPECT_EQ(gather(spec, source, 2, 1), (std::vector<int32_t>{401, 402, 0, 0, 0, 0, 0, 0}));
}

TEST(ShardBlocks, IndivisibleSizesAreBadInput) {
  MappingSpec column{MappingKind::Column};
  try {
    shardBlocks(column, {{6, 2}}, 4, 0);
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("not divisible by 4"), std::string::npos);
  }
}

TEST(ShardBlocks, ScatterIsTheExactInverseOfGather) {
  MappingSpec spec{MappingKind::MambaInProj};
  spec.componentRows = {4, 4, 2, 2, 2};
  Tensor source = numbered({14, 3}, 7);
  Tensor rebuilt(DType::I32, {14, 3});
  std::vector<std::byte*> targets = {rebuilt.data()};
  for (int64_t r = 0; r < 2; ++r) {
    auto blocks = shardBlocks(spec, {source.shape()}, 2, r);
    Tensor shard(DType::I32, shardShape(blocks, source.shape()));
    gatherBlocks(blocks, {source.view()}, shard.data());
    scatterBlocks(blocks, shard.view(), targets, {source.shape()});
  }
  EXPECT_EQ(std::memcmp(source.data(), rebuilt.data(), source.nbytes()), 0);
}

}  // namespace
}  // namespace nhb::mapping
