// Forward tokens/s of the dense and MoE fixture presets in both layouts (HF, and Megatron at
// tp 2 / ep 2 with the ranks simulated in one process) at T = 128, 1024, 4096 on CPU. The
// Megatron/HF ratio is the cost of the rank simulation. Single-threaded for stable numbers;
// a fixture is generated and converted once per program run.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/fixture/fixture_generator.h"
#include "harness/model/megatron_forward_runner.h"

namespace {
namespace fs = std::filesystem;
using nhb::harness::CheckpointLayout;
using nhb::harness::LayoutModel;

fs::path benchDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("nhb-layout-bench-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// preset -> {hf dir, megatron dir}, made on first use.
const LayoutModel& model(const std::string& preset, CheckpointLayout layout) {
  static std::map<std::string, std::unique_ptr<LayoutModel>> models;
  const std::string key = preset + (layout == CheckpointLayout::Hf ? "/hf" : "/megatron");
  auto it = models.find(key);
  if (it != models.end()) return *it->second;
  const fs::path hf = benchDir() / ("hf-" + preset);
  const fs::path mcore = benchDir() / ("mcore-" + preset);
  if (!fs::exists(hf)) {
    nhb::fixture::FixtureOptions fixture;
    fixture.preset = preset;
    fixture.dtype = nhb::DType::F32;
    fixture.outDir = hf;
    nhb::fixture::generate(fixture);
    nhb::convert::HfToMegatronOptions convert;
    convert.hfDir = hf;
    convert.outDir = mcore;
    convert.layout.tp = 2;
    convert.layout.ep = preset == "dense" ? 1 : 2;
    nhb::convert::convertHfToMegatron(convert);
  }
  nhb::harness::LoadModelOptions options;
  options.layout = layout;
  auto loaded = nhb::harness::loadLayoutModel(layout == CheckpointLayout::Hf ? hf : mcore, options);
  return *models.emplace(key, std::move(loaded)).first->second;
}

void forwardTokensPerSecond(benchmark::State& state, const std::string& preset, CheckpointLayout layout) {
  at::set_num_threads(1);
  const int64_t time = state.range(0);
  const LayoutModel& m = model(preset, layout);
  const at::Tensor tokens = at::randint(3, 500, {1, time}, at::kLong);
  for (auto _ : state) {
    at::Tensor logits = m.forward(tokens, at::Tensor(), {}).logits;
    benchmark::DoNotOptimize(logits.data_ptr());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(time * state.iterations()), benchmark::Counter::kIsRate);
}

void DenseHf(benchmark::State& s) { forwardTokensPerSecond(s, "dense", CheckpointLayout::Hf); }
void DenseMegatron(benchmark::State& s) { forwardTokensPerSecond(s, "dense", CheckpointLayout::Megatron); }
void MoeHf(benchmark::State& s) { forwardTokensPerSecond(s, "moe", CheckpointLayout::Hf); }
void MoeMegatron(benchmark::State& s) { forwardTokensPerSecond(s, "moe", CheckpointLayout::Megatron); }

// Few iterations: a T = 4096 forward of a 12-layer fixture takes a noticeable fraction of a second.
BENCHMARK(DenseHf)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->MinTime(0.2);
BENCHMARK(DenseMegatron)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->MinTime(0.2);
BENCHMARK(MoeHf)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->MinTime(0.2);
BENCHMARK(MoeMegatron)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->MinTime(0.2);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ignored;
  fs::remove_all(benchDir(), ignored);
  return 0;
}
