// Rank-simulation pieces of the Megatron-layout forward on hand-made tensors, with expectations
// computed by hand from megatron-core-hybrid.md §2.1 (vocab-parallel embedding), §2.5 (qkv split
// per query group) and §2.7 (sigmoid router with expert bias and group-limited top-k).
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "harness/model/megatron_layers.h"

namespace nhb::harness {
namespace {

TEST(MegatronLayers, VocabParallelEmbeddingLooksUpOnTheOwningRank) {
  // V = 4 over tp 2: rank 0 rows 0-1, rank 1 rows 2-3; row v = [v, 10 v].
  const at::Tensor table = at::tensor(std::vector<float>{0, 0, 1, 10, 2, 20, 3, 30}).view({4, 2});
  const std::vector<at::Tensor> shards = {table.narrow(0, 0, 2), table.narrow(0, 2, 2)};
  const at::Tensor tokens = at::tensor(std::vector<int64_t>{3, 0, 2, 1}).view({2, 2});
  const at::Tensor out = vocabParallelEmbedding(shards, tokens);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 2, 2}));
  const std::vector<float> expected = {3, 30, 0, 0, 2, 20, 1, 10};
  for (int64_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(out.reshape({-1})[i].item<float>(), expected[i]) << i;
}

TEST(MegatronLayers, ColumnParallelOutputsAreConcatenatedInRankOrder) {
  const at::Tensor x = at::tensor(std::vector<float>{1, 2}).view({1, 2});
  const std::vector<at::Tensor> shards = {at::tensor(std::vector<float>{1, 0}).view({1, 2}),
                                          at::tensor(std::vector<float>{0, 1, 1, 1}).view({2, 2})};
  const at::Tensor y = columnParallelGathered(x, shards);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_FLOAT_EQ(y[0][0].item<float>(), 1);
  EXPECT_FLOAT_EQ(y[0][1].item<float>(), 2);
  EXPECT_FLOAT_EQ(y[0][2].item<float>(), 3);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(MegatronLayers, RouterSelectsOnBiasedScoresWithinKeptGroupsAndWeighsUnbiased) {
  // Identity router weight: logits = x = [0, 1, 2, -1]; expert bias [0, 0, 0, 3].
  // Biased scores: s0 = .5, s1 = .731, s2 = .881, s3 = .269 + 3. Groups {0,1} and {2,3} score the
  // sum of their top k / group_topk = 2: group 1 wins (4.15 vs 1.23), so experts 2 and 3, with
  // weights s2, s3 (unbiased) normalised, times 2.
  MegatronMoeWeights moe;
  moe.router = at::eye(4, at::kFloat);
  moe.expertBias = at::tensor(std::vector<float>{0, 0, 0, 3});
  MegatronDims dims;
  dims.topK = 2;
  dims.routerGroups = 2;
  dims.routerGroupTopK = 1;
  dims.routerScaling = 2.0;
  const at::Tensor x = at::tensor(std::vector<float>{0, 1, 2, -1}).view({1, 4});
  const MegatronRouting routing = megatronRoute(moe, dims, x);
  const at::Tensor order = std::get<1>(routing.experts.sort(-1));
  const at::Tensor experts = routing.experts.gather(1, order);
  const at::Tensor probs = routing.probs.gather(1, order);
  EXPECT_EQ(experts[0][0].item<int64_t>(), 2);
  EXPECT_EQ(experts[0][1].item<int64_t>(), 3);
  const double s2 = sigmoid(2), s3 = sigmoid(-1);
  EXPECT_NEAR(probs[0][0].item<double>(), 2 * s2 / (s2 + s3), 1e-6);
  EXPECT_NEAR(probs[0][1].item<double>(), 2 * s3 / (s2 + s3), 1e-6);

  // Without the bias and groups: the two best plain scores, experts 2 and 1.
  moe.expertBias = at::Tensor();
  dims.routerGroups = 0;
  const MegatronRouting plain = megatronRoute(moe, dims, x);
  const at::Tensor plainExperts = std::get<0>(plain.experts.sort(-1));
  EXPECT_EQ(plainExperts[0][0].item<int64_t>(), 1);
  EXPECT_EQ(plainExperts[0][1].item<int64_t>(), 2);
}

TEST(MegatronLayers, QkvRowsAreSplitPerQueryGroup) {
  // One rank, A = 2 heads, Q = 1 group, dh = 1, h = 1: linear_qkv rows [q0, q1, k, v] = [1, 2, 3, 4]
  // times x. With one token the softmax is 1, so each head's context is v = 4x; linear_proj sums
  // them with weights [1, 10]: out = 44 x, whatever q and k are.
  MegatronDims dims;
  dims.tp = 1;
  dims.heads = 2;
  dims.queryGroups = 1;
  dims.headDim = 1;
  const std::vector<MegatronAttentionShard> shards = {
      {at::tensor(std::vector<float>{1, 2, 3, 4}).view({4, 1}), at::tensor(std::vector<float>{1, 10}).view({1, 2})}};
  const at::Tensor x = at::full({1, 1, 1}, 0.5f);
  EXPECT_FLOAT_EQ(megatronAttention(shards, dims, x, at::Tensor()).item<float>(), 22.0f);
  // Two tokens: token 1 attends to both; with q1 = 2 x, k = 3 x the scores are q.k for keys 0, 1.
  const at::Tensor two = at::tensor(std::vector<float>{1, 2}).view({1, 2, 1});
  const at::Tensor out = megatronAttention(shards, dims, two, at::Tensor());
  // Head j (query weight j+1) at token 1: scores (j+1)*2 * 3 * [1, 2]; context = softmax . [4, 8].
  double expected = 0;
  for (int j = 0; j < 2; ++j) {
    const double q = (j + 1) * 2.0;
    const double a = std::exp(q * 3 * 1), b = std::exp(q * 3 * 2);
    expected += (j == 0 ? 1 : 10) * (a * 4 + b * 8) / (a + b);
  }
  EXPECT_NEAR(out[0][1][0].item<double>(), expected, 1e-4 * expected);
}

}  // namespace
}  // namespace nhb::harness
