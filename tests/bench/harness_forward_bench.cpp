// Speed of the HF-layout forward pass: the chunked SSD scan against the sequential recurrence
// (speed-up reported as a counter, both measured in the same run) and whole-model tokens/s on a
// small random model. Single-threaded for stable numbers on shared CI machines.
// NHB_BENCH_DEVICE=cuda runs the scan benchmark on the GPU (a CUDA libtorch), timed by the wall
// clock after synchronising on the result.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

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

at::Device benchDevice() {
  const char* env = std::getenv("NHB_BENCH_DEVICE");
  return at::Device(env != nullptr && *env != '\0' ? std::string(env) : std::string("cpu"));
}

// Seconds for timing `device` work: the thread's CPU time on the CPU (libtorch runs
// single-threaded here, and wall time on a shared 2-core machine mostly measures the neighbours);
// the wall clock on a GPU, where the caller synchronises before reading it.
double deviceSeconds(const at::Device& device) {
  if (device.is_cpu()) return threadSeconds();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Waits for the device's work on `t` to finish (copying one element back does).
void synchronize(const at::Tensor& t) {
  if (!t.is_cpu()) benchmark::DoNotOptimize(t.flatten()[0].item<float>());
}

struct ScanInputs {
  at::Tensor x, dt, A, B, C;
};

ScanInputs scanInputs(int64_t time, const at::Device& device) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  // Per-head sizes of the published checkpoints (P = 64, N = 128), fewer heads.
  const int64_t heads = 4, headDim = 64, groups = 1, stateSize = 128;
  return ScanInputs{at::randn({1, time, heads, headDim}, gen, f32).to(device),
                    (at::rand({1, time, heads}, gen, f32) * 0.1 + 0.001).to(device),
                    (-(at::rand({heads}, gen, f32) * 8.0 + 1.0)).to(device),
                    at::randn({1, time, groups, stateSize}, gen, f32).to(device),
                    at::randn({1, time, groups, stateSize}, gen, f32).to(device)};
}

// Times the chunked scan; the "speedup" counter is sequential / chunked thread CPU time.
void BM_ChunkedScanSpeedupOverSequential(benchmark::State& state) {
  at::set_num_threads(1);
  const int64_t time = state.range(0);
  const int64_t chunk = state.range(1);
  const at::Device device = benchDevice();
  if (device.is_cuda() && !at::hasCUDA()) {
    state.SkipWithError("NHB_BENCH_DEVICE=cuda but this libtorch has no CUDA");
    return;
  }
  const ScanInputs in = scanInputs(time, device);
  synchronize(nhb::harness::ssdChunkedScan(in.x, in.dt, in.A, in.B, in.C, chunk).y);  // warm-up
  double sequentialSeconds = 0, chunkedSeconds = 0;
  for (auto _ : state) {
    const double t0 = deviceSeconds(device);
    const nhb::harness::ScanResult chunked = nhb::harness::ssdChunkedScan(in.x, in.dt, in.A, in.B, in.C, chunk);
    synchronize(chunked.y);
    const double t1 = deviceSeconds(device);
    state.PauseTiming();
    const nhb::harness::ScanResult sequential = nhb::harness::sequentialScan(in.x, in.dt, in.A, in.B, in.C);
    synchronize(sequential.y);
    const double t2 = deviceSeconds(device);
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
