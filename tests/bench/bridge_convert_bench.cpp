// Conversion throughput against a plain copy of the same bytes, on an in-memory Nemotron-H
// checkpoint of about 1 GB (NHB_BENCH_BYTES_MB scales it): HF -> Megatron at tp 1 and 2 and
// Megatron -> HF at tp 1. The sink copies every tensor it receives into a scratch buffer, as a
// writer would. Counters: ratio_vs_copy (conversion bytes/s over plain-copy bytes/s; target
// >= 0.7 at tp 1) and peak_rss_mb.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "bridge/convert/execute.h"
#include "bridge/convert/memory_checkpoint.h"
#include "bridge/mapping/nemotron_h_registry.h"

namespace nhb::convert {
namespace {

double peakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// hidden 2048, Mamba 64x64 heads in 8 groups (state 128), 16/4 attention heads of 128, MLP
// 8192, vocab 32000: "M-M*-M-M-M-" is about 0.92 GB of bf16; more layers for a larger target.
mapping::ModelDims benchDims() {
  mapping::ModelDims d;
  const char* env = std::getenv("NHB_BENCH_BYTES_MB");
  const int64_t targetMb = env ? std::atoll(env) : 1000;
  d.pattern = "M*";
  int64_t bytes = 2 * (2 * 32000 * 2048);  // embeddings + lm_head
  while (bytes < targetMb * 1000 * 1000) {
    d.pattern += "M-";
    bytes += 2 * ((2 * 4096 + 2 * 1024 + 64) * 2048 + 2048 * 4096 + 2 * 2048 * 8192);
  }
  d.vocab = 32000;
  d.hidden = 2048;
  d.ffn = 8192;
  d.heads = 16;
  d.queryGroups = 4;
  d.headDim = 128;
  d.mambaHeads = 64;
  d.mambaHeadDim = 64;
  d.mambaGroups = 8;
  d.mambaState = 128;
  return d;
}

struct Shared {
  mapping::ModelDims dims = benchDims();
  MemoryHfCheckpoint hf;
  uint64_t bytes = 0;
  double copySeconds = 0;  // one plain copy of every source byte
  std::vector<std::byte> scratch;

  Shared() {
    mapping::Registry registry = mapping::buildNemotronHRegistry(dims);
    std::size_t largest = 0;
    for (const mapping::ResolvedMapping& entry : registry.expand()) {
      for (std::size_t s = 0; s < entry.hf.size(); ++s) {
        Tensor tensor(DType::BF16, entry.row->hfShapes[s]);
        auto* words = reinterpret_cast<uint16_t*>(tensor.data());
        for (std::size_t i = 0; i < tensor.nbytes() / 2; ++i) words[i] = static_cast<uint16_t>(i * 2654435761u >> 16);
        bytes += tensor.nbytes();
        largest = std::max(largest, tensor.nbytes());
        hf.add(entry.hf[s], std::move(tensor));
      }
    }
    scratch.resize(largest * 2);
    copySeconds = 1e30;
    for (int repeat = 0; repeat < 3; ++repeat) {
      auto start = std::chrono::steady_clock::now();
      for (const auto& [name, tensor] : hf.tensors()) std::memcpy(scratch.data(), tensor.data(), tensor.nbytes());
      benchmark::ClobberMemory();
      copySeconds = std::min(copySeconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
};

Shared& shared() {
  static Shared instance;
  return instance;
}

// Copies what it receives into scratch, like a writer streaming to disk.
class CopySink : public MegatronStateSink, public HfTensorSink {
 public:
  explicit CopySink(std::vector<std::byte>& scratch) : scratch_(scratch) {}
  void beginRank(const RankPlan&) override {}
  void put(const PlanEntry&, const TensorView* tensor, Tensor&) override {
    if (tensor) std::memcpy(scratch_.data(), tensor->data, std::min(tensor->nbytes, scratch_.size()));
  }
  void endRank() override {}
  void put(const std::string&, const TensorView& tensor) override {
    std::memcpy(scratch_.data(), tensor.data, std::min(tensor.nbytes, scratch_.size()));
  }

 private:
  std::vector<std::byte>& scratch_;
};

void reportCounters(benchmark::State& state, double seconds) {
  Shared& s = shared();
  state.SetBytesProcessed(static_cast<int64_t>(s.bytes) * state.iterations());
  state.counters["ratio_vs_copy"] = s.copySeconds / seconds;
  state.counters["copy_gb_per_s"] = static_cast<double>(s.bytes) / s.copySeconds / 1e9;
  state.counters["peak_rss_mb"] = peakRssMb();
}

void BM_PlainCopy(benchmark::State& state) {
  Shared& s = shared();
  for (auto _ : state) {
    for (const auto& [name, tensor] : s.hf.tensors()) std::memcpy(s.scratch.data(), tensor.data(), tensor.nbytes());
    benchmark::ClobberMemory();
  }
  reportCounters(state, s.copySeconds);
}

void BM_HfToMegatron(benchmark::State& state) {
  Shared& s = shared();
  Layout layout;
  layout.tp = state.range(0);
  Plan plan = planConversion(s.dims, layout, "bench");
  CopySink sink(s.scratch);
  double best = 1e30;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    executeHfToMegatron(plan, s.hf, sink);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  reportCounters(state, best);
}

void BM_MegatronToHf(benchmark::State& state) {
  Shared& s = shared();
  Plan plan = planConversion(s.dims, Layout{}, "bench");
  MemoryMegatronCheckpoint megatron;
  executeHfToMegatron(plan, s.hf, megatron);
  CopySink sink(s.scratch);
  double best = 1e30;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    executeMegatronToHf(plan, megatron, sink);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  reportCounters(state, best);
}

BENCHMARK(BM_PlainCopy)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_HfToMegatron)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_MegatronToHf)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace nhb::convert

BENCHMARK_MAIN();
