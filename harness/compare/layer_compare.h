// Per-layer comparison of captured hidden states (HfModel::forward with captureLayers, or the
// Megatron-layout model's equivalent): where along the network two forwards start to differ.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "harness/compare/tolerance.h"

namespace nhb::harness {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct LayerDiff {
  std::string name;           // "embeddings", "layers.3", "norm_f", "mtp.0.layers.0", ...
  double maxAbsDiff = 0;
  double meanAbsDiff = 0;
  double maxAbsReference = 0; // scale of the layer's activations, for reading maxAbsDiff
  double cosineMin = 1;       // over positions
  int64_t mismatchedElements = 0;  // |test - ref| > atol + rtol |ref|
  bool diverged = false;      // mismatchedElements > 0
};

struct LayerComparison {
  std::vector<LayerDiff> layers;                // in capture order
  std::optional<size_t> firstDiverging;         // index into layers
};

// Compares captures pairwise by name, in the reference's order. Tensors are [B, T, H] (or [T, H]);
// mask as in compareLogits. BadInput naming the layer when a name is missing from `test`, the
// shapes differ, or the names are in a different order.
LayerComparison compareLayers(const NamedTensors& reference, const NamedTensors& test,
                              const Tolerance& tolerance, const at::Tensor& mask = at::Tensor());

}  // namespace nhb::harness
