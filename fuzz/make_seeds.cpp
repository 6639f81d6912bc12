// Writes the seed corpora of the fuzz targets from checkpoints written by `nhbridge fixture`: the
// safetensors headers of their shards, the index, config.json, the hybrid pattern, tokenizer.json,
// and a torch.save file (plus its data.pkl) of a few of their tensors.
// Usage: nhb_fuzz_make_seeds CORPUS_ROOT FIXTURE_DIR...   (creates CORPUS_ROOT/<target>/seed-*)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bridge/config/hf_config.h"
#include "bridge/core/error.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/torch/torch_save.h"
#include "bridge/io/torch/zip_reader.h"

namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeSeed(const fs::path& root, const std::string& target, const std::string& name,
               const std::string& bytes) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void seedsFromFixture(const fs::path& root, const fs::path& dir, const fs::path& work) {
  const std::string preset = dir.filename().string();

  writeSeed(root, "config_translate", preset, readAll(dir / "config.json"));
  writeSeed(root, "tokenizer_json", preset, readAll(dir / "tokenizer.json"));
  writeSeed(root, "safetensors_index", preset, readAll(dir / "model.safetensors.index.json"));
  auto config = nhb::config::loadHfConfig(dir / "config.json");
  writeSeed(root, "hybrid_pattern", preset, config.pattern);

  auto checkpoint = nhb::io::SafetensorsCheckpoint::open(dir);
  for (const auto& shard : checkpoint.fileNames()) {
    // safetensors_header seeds: 8 bytes of data-section size, then the header JSON.
    const std::string file = readAll(dir / shard);
    uint64_t headerLength = 0;
    std::memcpy(&headerLength, file.data(), 8);
    const uint64_t dataSize = file.size() - 8 - headerLength;
    std::string seed(8, '\0');
    std::memcpy(seed.data(), &dataSize, 8);
    seed += file.substr(8, headerLength);
    writeSeed(root, "safetensors_header", preset + "-" + shard, seed);
  }

  // A small torch.save file of the first few tensors; its data.pkl seeds the pickle reader.
  nhb::io::StateDictEntries entries;
  for (const auto& name : checkpoint.names()) {
    const auto view = checkpoint.view(name);
    if (view.nbytes > 4096) continue;
    entries.push_back(nhb::io::StateDictEntry::of(name, view));
    if (entries.size() == 4) break;
  }
  entries.push_back(nhb::io::StateDictEntry::none("optional.bias"));
  const fs::path torchPath = work / (preset + ".pt");
  nhb::io::saveTorchStateDict(torchPath, entries);
  writeSeed(root, "torch_zip", preset, readAll(torchPath));
  auto zip = nhb::io::ZipReader::open(torchPath);
  for (const auto& entry : zip.entries())
    if (entry.name.size() >= 8 && entry.name.compare(entry.name.size() - 8, 8, "data.pkl") == 0)
      writeSeed(root, "pickle_reader", preset, std::string(zip.data(entry)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT FIXTURE_DIR...\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const fs::path work = root / ".work";
  try {
    fs::create_directories(work);
    for (int i = 2; i < argc; ++i) seedsFromFixture(root, argv[i], work);
    fs::remove_all(work);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
