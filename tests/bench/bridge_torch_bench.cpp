// The torch.save codec against plain memory traffic: CRC-32 throughput, writing a state dict of
// BF16 [1024, 1024] tensors (streamed from views, CRC computed on the way) and loading it back
// as zero-copy views, each reported next to memcpy of the same bytes as the baseline
// (counters *_over_memcpy: 1.0 = as fast as memcpy). NHB_BENCH_MB sets the size (default 64).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bridge/io/torch/crc32.h"
#include "bridge/io/torch/torch_load.h"
#include "bridge/io/torch/torch_save.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::size_t benchBytes() {
  std::size_t megabytes = 64;
  if (const char* env = std::getenv("NHB_BENCH_MB")) megabytes = std::max(2, std::atoi(env));
  return megabytes << 20;
}

struct Fixture {
  std::vector<std::byte> bytes;
  nhb::io::StateDictEntries entries;
  fs::path dir;

  Fixture() : bytes(benchBytes()) {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i * 131 + (i >> 12));
    const std::size_t tensorBytes = 1024 * 1024 * 2;
    for (std::size_t off = 0; off + tensorBytes <= bytes.size(); off += tensorBytes)
      entries.push_back(nhb::io::StateDictEntry::of(
          "decoder.layers." + std::to_string(off / tensorBytes) + ".weight",
          nhb::TensorView{nhb::DType::BF16, {1024, 1024}, bytes.data() + off, tensorBytes}));
    std::string templ = (fs::temp_directory_path() / "nhb-bench-XXXXXX").string();
    if (!mkdtemp(templ.data())) std::abort();
    dir = templ;
  }
  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double secondsOfMemcpy(const std::vector<std::byte>& src) {
  std::vector<std::byte> dst(src.size());
  const auto start = Clock::now();
  std::memcpy(dst.data(), src.data(), src.size());
  benchmark::DoNotOptimize(dst.data());
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void BM_Crc32(benchmark::State& state) {
  Fixture& f = fixture();
  double ours = 0, baseline = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    benchmark::DoNotOptimize(nhb::io::zipCrc32(f.bytes.data(), f.bytes.size()));
    ours += std::chrono::duration<double>(Clock::now() - start).count();
    baseline += secondsOfMemcpy(f.bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes.size()));
  state.counters["crc_over_memcpy"] = ours / baseline;
}

void BM_SaveStateDict(benchmark::State& state) {
  Fixture& f = fixture();
  double ours = 0, baseline = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    nhb::io::saveTorchStateDict(f.dir / "bench.pt", f.entries);
    ours += std::chrono::duration<double>(Clock::now() - start).count();
    baseline += secondsOfMemcpy(f.bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes.size()));
  state.counters["save_over_memcpy"] = ours / baseline;
}

void BM_LoadStateDictAndTouchEveryByte(benchmark::State& state) {
  Fixture& f = fixture();
  nhb::io::saveTorchStateDict(f.dir / "load.pt", f.entries);
  double ours = 0, baseline = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    nhb::io::TorchStateDict sd = nhb::io::loadTorchStateDict(f.dir / "load.pt");
    uint64_t sum = 0;
    for (const auto& entry : sd.entries())
      for (std::size_t i = 0; i < entry.tensor->nbytes; i += 4096) sum += static_cast<uint8_t>(entry.tensor->data[i]);
    benchmark::DoNotOptimize(sum);
    ours += std::chrono::duration<double>(Clock::now() - start).count();
    baseline += secondsOfMemcpy(f.bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes.size()));
  state.counters["load_over_memcpy"] = ours / baseline;
}

BENCHMARK(BM_Crc32)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_SaveStateDict)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_LoadStateDictAndTouchEveryByte)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
