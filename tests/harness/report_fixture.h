// A small report with one check of each kind, shared by the report tests.
#pragma once

#include <limits>

#include "bridge/verify/report_model.h"

namespace nhb::harness::testing {

inline verify::Report sampleReport() {
  verify::Report report;
  report.toolVersion = "0.1.0";
  report.createdAt = "2026-11-29T21:40:00Z";
  report.mode = "roundtrip";
  report.inputs = {{"hf", "/data/nemotron-h-tiny"}, {"megatron", "/tmp/converted"}};
  report.layout = {2, 2, 2, 1};
  report.dtype = "float32";
  report.device = "cpu";
  report.elapsedSeconds = 3.25;

  verify::Check weights;
  weights.id = "weights.bitwise";
  weights.category = verify::CheckCategory::Weights;
  weights.name = "bitwise round trip";
  weights.verdict = verify::Verdict::Pass;
  weights.message = "all 42 tensors identical";
  weights.metrics.set("tensors_compared_count", 42);
  weights.metrics.set("differing_count", 0);
  report.checks.push_back(weights);

  verify::Check config;
  config.id = "config.roundtrip";
  config.category = verify::CheckCategory::Config;
  config.name = "config round trip";
  config.verdict = verify::Verdict::Warn;
  config.message = "conv_kernel dropped by design";
  config.details["dropped"] = {"conv_kernel"};
  report.checks.push_back(config);

  verify::Check tokenizer;
  tokenizer.id = "tokenizer.files";
  tokenizer.category = verify::CheckCategory::Tokenizer;
  tokenizer.name = "tokenizer files";
  tokenizer.verdict = verify::Verdict::Skip;
  tokenizer.message = "no tokenizer in the source checkpoint";
  report.checks.push_back(tokenizer);

  verify::Check logits;
  logits.id = "forward.logits.hf_vs_megatron";
  logits.category = verify::CheckCategory::Forward;
  logits.name = "HF vs Megatron logits";
  logits.verdict = verify::Verdict::Fail;
  logits.message = "max |diff| 3 at <batch 0> & \"position 1\"";
  logits.metrics.set("max_abs_diff", 3);
  logits.metrics.set("cosine_min", 0.998);
  logits.metrics.set("kl_mean", std::numeric_limits<double>::quiet_NaN());
  logits.metrics.set("nmse", std::numeric_limits<double>::infinity());
  logits.thresholds.set("atol", 1e-5);
  verify::Series cosine;
  cosine.name = "cosine_per_position";
  cosine.xLabel = "position";
  cosine.yLabel = "cosine similarity";
  cosine.values = {1, 0.999, 0.998, 1};
  logits.series.push_back(cosine);
  report.checks.push_back(logits);

  verify::Check layers;
  layers.id = "forward.layers.hf_vs_megatron";
  layers.category = verify::CheckCategory::Forward;
  layers.name = "HF vs Megatron hidden states";
  layers.verdict = verify::Verdict::Fail;
  layers.message = "first diverging layer: layers.1";
  verify::Series perLayer;
  perLayer.name = "max_abs_diff_per_layer";
  perLayer.xLabel = "layer";
  perLayer.yLabel = "max |diff|";
  perLayer.logScale = true;
  perLayer.xTicks = {"embeddings", "layers.0", "layers.1", "norm_f"};
  perLayer.values = {0, 1e-7, 0.5, 2};
  layers.series.push_back(perLayer);
  report.checks.push_back(layers);

  for (int i = 0; i < 2; ++i) {
    verify::Check layer;
    layer.id = "forward.layer.hf_vs_megatron.layers." + std::to_string(i);
    layer.category = verify::CheckCategory::Forward;
    layer.name = "layer " + std::to_string(i);
    layer.verdict = i == 0 ? verify::Verdict::Pass : verify::Verdict::Fail;
    layer.message = i == 0 ? "within tolerance" : "8 elements outside tolerance";
    layer.metrics.set("max_abs_diff", i == 0 ? 1e-7 : 0.5);
    report.checks.push_back(layer);
  }
  return report;
}

}  // namespace nhb::harness::testing
