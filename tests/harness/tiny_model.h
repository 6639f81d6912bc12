// Tiny Nemotron-H configurations and seeded random HF-layout weights for the forward-pass tests
// and benchmarks. Scales keep activations O(1) so the logits are far from degenerate.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "bridge/config/hf_config.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::testing {

// pattern e.g. "M*-E"; mtpPattern "" for none. Sizes small enough for millisecond forwards.
inline config::HfConfig tinyConfig(const std::string& pattern, const std::string& mtpPattern = "",
                                   bool latentMoe = false) {
  config::HfConfig c;
  c.pattern = pattern;
  c.numHiddenLayers = static_cast<int64_t>(pattern.size());
  c.mtpPattern = mtpPattern;
  c.numNextnPredictLayers = mtpPattern.empty() ? 0 : 1;
  c.vocabSize = 48;
  c.hiddenSize = 16;
  c.intermediateSize = 24;
  c.numAttentionHeads = 4;
  c.numKeyValueHeads = 2;
  c.headDim = 8;
  c.mambaNumHeads = 4;
  c.mambaHeadDim = 4;
  c.nGroups = 2;
  c.ssmStateSize = 8;
  c.convKernel = 4;
  c.chunkSize = 4;  // tiny, so short test sequences cross chunk boundaries
  c.nRoutedExperts = 6;
  c.numExpertsPerTok = 2;
  c.moeIntermediateSize = 12;
  c.moeSharedExpertIntermediateSize = 20;
  c.nGroup = 1;
  c.topkGroup = 1;
  c.routedScalingFactor = 2.5;
  if (latentMoe) c.moeLatentSize = 8;
  c.torchDtype = "float32";
  return c;
}

class TinyWeights {
 public:
  explicit TinyWeights(uint64_t seed) : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  at::Tensor normal(std::vector<int64_t> shape, double stddev) {
    return at::randn(shape, gen_, at::TensorOptions().dtype(at::kFloat)) * stddev;
  }
  at::Tensor uniform(std::vector<int64_t> shape, double low, double high) {
    return at::rand(shape, gen_, at::TensorOptions().dtype(at::kFloat)) * (high - low) + low;
  }
  at::Tensor matrix(int64_t out, int64_t in) { return normal({out, in}, 1.0 / std::sqrt(static_cast<double>(in))); }
  at::Tensor normWeight(int64_t size) { return 1.0 + normal({size}, 0.1); }

  void block(harness::TensorMap& m, const config::HfConfig& c, char type, const std::string& p) {
    const int64_t h = c.hiddenSize;
    m[p + "norm.weight"] = normWeight(h);
    const std::string x = p + "mixer.";
    if (type == 'M') {
      m[x + "in_proj.weight"] = matrix(c.mambaInProjSize(), h);
      m[x + "conv1d.weight"] = normal({c.mambaConvDim(), 1, c.convKernel}, 0.5);
      m[x + "conv1d.bias"] = normal({c.mambaConvDim()}, 0.1);
      // dt in [0.001, 0.1] after softplus (the HF init), A in [-16, -1].
      const at::Tensor dt = at::exp(uniform({c.mambaNumHeads}, std::log(0.001), std::log(0.1)));
      m[x + "dt_bias"] = dt + at::log(-at::expm1(-dt));
      m[x + "A_log"] = at::log(uniform({c.mambaNumHeads}, 1.0, 16.0));
      m[x + "D"] = 1.0 + normal({c.mambaNumHeads}, 0.1);
      m[x + "norm.weight"] = normWeight(c.mambaInnerSize());
      m[x + "out_proj.weight"] = matrix(h, c.mambaInnerSize());
    } else if (type == '*') {
      m[x + "q_proj.weight"] = matrix(c.numAttentionHeads * c.headDim, h);
      m[x + "k_proj.weight"] = matrix(c.numKeyValueHeads * c.headDim, h);
      m[x + "v_proj.weight"] = matrix(c.numKeyValueHeads * c.headDim, h);
      m[x + "o_proj.weight"] = matrix(h, c.numAttentionHeads * c.headDim);
    } else if (type == '-') {
      m[x + "up_proj.weight"] = matrix(c.intermediateSize, h);
      m[x + "down_proj.weight"] = matrix(h, c.intermediateSize);
    } else if (type == 'E') {
      const int64_t din = c.expertInputSize();
      m[x + "gate.weight"] = matrix(c.nRoutedExperts, h);
      m[x + "gate.e_score_correction_bias"] = normal({c.nRoutedExperts}, 0.05);
      for (int64_t e = 0; e < c.nRoutedExperts; ++e) {
        const std::string ep = x + "experts." + std::to_string(e) + ".";
        m[ep + "up_proj.weight"] = matrix(c.moeIntermediateSize, din);
        m[ep + "down_proj.weight"] = matrix(din, c.moeIntermediateSize);
      }
      m[x + "shared_experts.up_proj.weight"] = matrix(c.moeSharedExpertIntermediateSize, h);
      m[x + "shared_experts.down_proj.weight"] = matrix(h, c.moeSharedExpertIntermediateSize);
      if (c.moeLatentSize) {
        m[x + "fc1_latent_proj.weight"] = matrix(*c.moeLatentSize, h);
        m[x + "fc2_latent_proj.weight"] = matrix(h, *c.moeLatentSize);
      }
    }
  }

  harness::TensorMap model(const config::HfConfig& c) {
    harness::TensorMap m;
    const int64_t h = c.hiddenSize;
    m["backbone.embeddings.weight"] = normal({c.vocabSize, h}, 1.0);
    for (std::size_t i = 0; i < c.pattern.size(); ++i) {
      block(m, c, c.pattern[i], "backbone.layers." + std::to_string(i) + ".");
    }
    m["backbone.norm_f.weight"] = normWeight(h);
    m["lm_head.weight"] = matrix(c.vocabSize, h);
    const int64_t perDepth = static_cast<int64_t>(c.mtpPattern.size());
    for (int64_t d = 0; d < c.numNextnPredictLayers; ++d) {
      for (int64_t inner = 0; inner < perDepth; ++inner) {
        const std::string p = "mtp.layers." + std::to_string(d * perDepth + inner) + ".";
        if (inner == 0) {
          m[p + "enorm.weight"] = normWeight(h);
          m[p + "hnorm.weight"] = normWeight(h);
          m[p + "eh_proj.weight"] = matrix(h, 2 * h);
        }
        block(m, c, c.mtpPattern[static_cast<std::size_t>(inner)], p);
        if (inner == perDepth - 1) m[p + "final_layernorm.weight"] = normWeight(h);
      }
    }
    return m;
  }

  at::Tensor tokens(int64_t batch, int64_t time, int64_t vocab) {
    return at::randint(1, vocab, {batch, time}, gen_, at::TensorOptions().dtype(at::kLong));
  }

 private:
  at::Generator gen_;
};

// The same weights in another dtype (the published checkpoints are bf16; the correction bias
// stays fp32 as on disk).
inline harness::TensorMap castWeights(const harness::TensorMap& weights, at::ScalarType dtype) {
  harness::TensorMap out;
  for (const auto& [name, tensor] : weights) {
    const bool keepFp32 = name.find("e_score_correction_bias") != std::string::npos;
    out[name] = keepFp32 ? tensor : tensor.to(dtype);
  }
  return out;
}

}  // namespace nhb::testing
