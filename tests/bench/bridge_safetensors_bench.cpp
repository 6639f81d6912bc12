// Reading every byte of a ~256 MB sharded checkpoint through SafetensorsCheckpoint (mmap views)
// against reading the same files with plain read() into a buffer. Reports mmap_over_read, the
// time ratio (1.0 = as fast as read(); below 1 = faster). NHB_BENCH_MB shrinks the checkpoint.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/sharded_safetensors.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Sum of 8-byte words (tail bytes added singly): touches every byte, cheap enough that the
// measurement is dominated by memory / page-cache traffic.
std::uint64_t checksum(const std::byte* data, std::size_t size) {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    sum += word;
  }
  for (; i < size; ++i) sum += static_cast<std::uint64_t>(data[i]);
  return sum;
}

// The generated checkpoint: BF16 [1024, 1024] tensors (2 MiB each) in 64 MiB shards, removed at
// exit.
class GeneratedCheckpoint {
 public:
  GeneratedCheckpoint() {
    std::size_t megabytes = 256;
    if (const char* env = std::getenv("NHB_BENCH_MB")) megabytes = std::max(2, std::atoi(env));
    std::string templ = (fs::temp_directory_path() / "nhb-bench-XXXXXX").string();
    if (!mkdtemp(templ.data())) std::abort();
    dir_ = templ;

    const std::size_t count = megabytes / 2;
    std::vector<nhb::io::TensorSpec> specs;
    for (std::size_t i = 0; i < count; ++i)
      specs.push_back({"layers." + std::to_string(i) + ".weight", nhb::DType::BF16, {1024, 1024}});
    nhb::io::ShardedSafetensorsWriter writer(dir_, 64ull << 20);
    writer.plan(specs);
    nhb::Tensor tensor(nhb::DType::BF16, {1024, 1024});
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t b = 0; b < tensor.nbytes(); ++b)
        tensor.data()[b] = static_cast<std::byte>((b * 7 + i) & 0xff);
      writer.write(specs[i].name, tensor.view());
    }
    writer.finish();
    for (const auto& entry : fs::directory_iterator(dir_))
      if (entry.path().extension() == ".safetensors") files_.push_back(entry.path());
  }
  ~GeneratedCheckpoint() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const fs::path& dir() const { return dir_; }
  const std::vector<fs::path>& files() const { return files_; }

 private:
  fs::path dir_;
  std::vector<fs::path> files_;
};

const GeneratedCheckpoint& checkpoint() {
  static GeneratedCheckpoint generated;
  return generated;
}

std::uint64_t readViaCheckpoint(std::uint64_t& bytes) {
  auto opened = nhb::io::SafetensorsCheckpoint::open(checkpoint().dir());
  std::uint64_t sum = 0;
  for (const auto& name : opened.names()) {
    nhb::TensorView view = opened.view(name);
    sum += checksum(view.data, view.nbytes);
    bytes += view.nbytes;
  }
  return sum;
}

std::uint64_t readViaPlainRead(std::vector<std::byte>& buffer, std::uint64_t& bytes) {
  std::uint64_t sum = 0;
  for (const auto& path : checkpoint().files()) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) std::abort();
    for (;;) {
      const ssize_t got = ::read(fd, buffer.data(), buffer.size());
      if (got <= 0) break;
      sum += checksum(buffer.data(), static_cast<std::size_t>(got));
      bytes += static_cast<std::uint64_t>(got);
    }
    ::close(fd);
  }
  return sum;
}

void BM_CheckpointViews(benchmark::State& state) {
  checkpoint();
  std::uint64_t bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(readViaCheckpoint(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_PlainRead(benchmark::State& state) {
  checkpoint();
  std::vector<std::byte> buffer(4u << 20);
  std::uint64_t bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(readViaPlainRead(buffer, bytes));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// Both in the same iteration, so the ratio compares like with like on a shared machine.
void BM_ViewsOverPlainRead(benchmark::State& state) {
  checkpoint();
  std::vector<std::byte> buffer(4u << 20);
  double viewSeconds = 0, readSeconds = 0;
  std::uint64_t viewBytes = 0, readBytes = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    benchmark::DoNotOptimize(readViaCheckpoint(viewBytes));
    auto middle = Clock::now();
    benchmark::DoNotOptimize(readViaPlainRead(buffer, readBytes));
    auto end = Clock::now();
    viewSeconds += std::chrono::duration<double>(middle - start).count();
    readSeconds += std::chrono::duration<double>(end - middle).count();
  }
  state.counters["mmap_over_read"] = readSeconds > 0 ? viewSeconds / readSeconds : 0.0;
  state.counters["tensor_MB"] =
      static_cast<double>(viewBytes) / 1e6 / static_cast<double>(state.iterations());
}

BENCHMARK(BM_CheckpointViews)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PlainRead)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ViewsOverPlainRead)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
