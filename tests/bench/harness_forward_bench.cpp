// Speed of the HF-layout forward pass: the chunked SSD scan against the sequential recurrence
// (speed-up reported as a counter, both measured in the same run) and whole-model tokens/s on a
// small random model. Single-threaded for stable numbers on shared CI machines.
#include <cstdint>
#include <ctime>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "../harness/tiny_model.h"
#include "harness/model/hf_model.h"
#include "harness/model/ssd_scan.h"

namespace {

// CPU time of this thread: libtorch runs single-threaded here, and wall time on a shared
// 2-core machine mostly measures the neighbours.
double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct ScanInputs {
  at::Tensor x, dt, A, B, C;
};

ScanInputs scanInputs(int64_t time) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  // Per-head sizes of the published checkpoints (P = 64, N = 128), fewer heads.
  const int64_t heads = 4, headDim = 64, groups = 1, stateSize = 128;
  return ScanInputs{at::randn({1, time, heads, headDim}, gen, f32),
                    at::rand({1, time, heads}, gen, f32) * 0.1 + 0.001,
                    -(at::rand({heads}, gen, f32) * 8.0 + 1.0),
                    at::randn({1, time, groups, stateSize}, gen, f32),
                    at::randn({1, time, groups, stateSize}, gen, f32)};
}

// Times the chunked scan; the "speedup" counter is sequential / chunked thread CPU time.
void BM_ChunkedScanSpeedupOverSequential(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t time = state.range(0);
  const int64_t chunk = state.range(1);
  const ScanInputs in = scanInputs(time);
  double sequentialSeconds = 0, chunkedSeconds = 0;
  for (auto _ : state) {
    const double t0 = threadSeconds();
    const nhb::harness::ScanResult chunked = nhb::harness::ssdChunkedScan(in.x, in.dt, in.A, in.B, in.C, chunk);
    const double t1 = threadSeconds();
    state.PauseTiming();
    const nhb::harness::ScanResult sequential = nhb::harness::sequentialScan(in.x, in.dt, in.A, in.B, in.C);
    const double t2 = threadSeconds();
    benchmark::DoNotOptimize(chunked.y.data_ptr());
    benchmark::DoNotOptimize(sequential.y.data_ptr());
    state.ResumeTiming();
    chunkedSeconds += t1 - t0;
    sequentialSeconds += t2 - t1;
  }
  state.counters["speedup"] = sequentialSeconds / chunkedSeconds;
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(time), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ChunkedScanSpeedupOverSequential)->Args({4096, 128})->Unit(benchmark::kMillisecond)->Iterations(3);

// A small hybrid model with every block type: tokens/s of HfModel::forward in fp32.
void BM_HfForward(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t time = state.range(0);
  nhb::config::HfConfig c = nhb::testing::tinyConfig("M*ME-E", "", /*latentMoe=*/true);
  c.vocabSize = 1024;
  c.hiddenSize = 128;
  c.intermediateSize = 256;
  c.numAttentionHeads = 4;
  c.numKeyValueHeads = 2;
  c.headDim = 32;
  c.mambaNumHeads = 8;
  c.mambaHeadDim = 16;
  c.nGroups = 2;
  c.ssmStateSize = 16;
  c.chunkSize = 128;
  c.nRoutedExperts = 8;
  c.moeIntermediateSize = 64;
  c.moeSharedExpertIntermediateSize = 128;
  c.moeLatentSize = 64;
  nhb::testing::TinyWeights gen(2);
  const nhb::harness::HfModel model(c, gen.model(c));
  const at::Tensor tokens = gen.tokens(1, time, c.vocabSize);
  for (auto _ : state) {
    const nhb::harness::ForwardOutput out = model.forward(tokens);
    benchmark::DoNotOptimize(out.logits.data_ptr());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(time), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_HfForward)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
