// The bodies of the libFuzzer targets, one function per parser of untrusted input. Shared by the
// fuzz/*_fuzz.cpp entry points and tests/bridge/hardening_regression_test.cpp, which replays every
// input under fuzz/regressions/<target>/.
#include "fuzz/fuzz_targets.h"

#include <cstddef>
#include <cstring>

#include "bridge/config/hf_config.h"
#include "bridge/config/pattern.h"
#include "bridge/config/translate.h"
#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/io/safetensors_header.h"
#include "bridge/io/torch/pickle_reader.h"
#include "bridge/io/torch/torch_load.h"
#include "bridge/io/torch/zip_reader.h"
#include "bridge/tokenizer/tokenizer_json.h"
#include "fuzz/fuzz_support.h"

namespace nhb::fuzz {
namespace {

const std::filesystem::path& checkpointDir() {
  static const std::filesystem::path dir = [] {
    auto path = scratchDir() / "checkpoint";
    std::filesystem::create_directories(path);
    nhb::io::TensorSpec spec{"w", nhb::DType::F32, {2}};
    std::string file = nhb::io::serializeSafetensorsHeader({spec}, nhb::io::Json::object());
    file.append(8, '\0');
    writeBytes(path / "a.safetensors", file);
    return path;
  }();
  return dir;
}

}  // namespace

// Fuzzes the safetensors JSON header parser. The first 8 bytes pick the data-section size so the
// offset checks see both fitting and overflowing layouts; the rest is the header JSON.
void fuzzSafetensorsHeader(const uint8_t* data, size_t size) {
  uint64_t dataSize = 0;
  if (size >= 8) {
    std::memcpy(&dataSize, data, 8);
    data += 8;
    size -= 8;
  }
  expectCleanRejection([&] {
    auto header = nhb::io::parseSafetensorsHeader(asView(data, size), dataSize, "fuzz.safetensors");
    for (const auto& entry : header.entries)
      if (entry.dataEnd < entry.dataBegin || entry.dataEnd > dataSize)
        reportFuzzFinding("accepted entry '" + entry.name + "' outside the data section");
  });
}

// Fuzzes model.safetensors.index.json: the input is written as the index next to one small valid
// shard ("a.safetensors" holding tensor "w") and the directory is opened as a checkpoint.
void fuzzSafetensorsIndex(const uint8_t* data, size_t size) {
  const auto& dir = checkpointDir();
  writeBytes(dir / "model.safetensors.index.json", asView(data, size));
  expectCleanRejection([&] {
    auto checkpoint = nhb::io::SafetensorsCheckpoint::open(dir);
    for (const auto& name : checkpoint.names()) {
      const auto view = checkpoint.view(name);
      volatile unsigned char last = view.nbytes ? std::to_integer<unsigned char>(view.data[view.nbytes - 1]) : 0;
      (void)last;
    }
  });
}

// Fuzzes config.json translation end to end: parse, HF -> provider (finalized), provider -> HF
// with and without the original as reference.
void fuzzConfigTranslate(const uint8_t* data, size_t size) {
  nhb::config::Json json;
  try {
    json = nhb::config::Json::parse(asView(data, size));
  } catch (const nlohmann::json::exception&) {
    return;  // not JSON: the loader reports that itself; the translation is what we fuzz
  }
  expectCleanRejection([&] {
    auto hf = nhb::config::parseHfConfig(json, "fuzz/config.json");
    auto provider = nhb::config::hfToProvider(hf);
    nhb::config::finalizeProvider(provider, "fuzz/config.json");
    (void)nhb::config::providerToHfJson(provider).dump();
    (void)nhb::config::providerToHfJson(provider, json).dump();
  });
}

// Fuzzes the hybrid layer pattern parser and the helpers that re-split a parsed pattern.
void fuzzHybridPattern(const uint8_t* data, size_t size) {
  const auto text = asView(data, size);
  expectCleanRejection([&] {
    auto pattern = nhb::config::parseHybridPattern(text, "fuzz pattern");
    // The parsed form must survive a round trip through its unified spelling.
    auto again = nhb::config::parseHybridPattern(pattern.unified(), "fuzz pattern (unified)");
    if (again.layers != pattern.layers || again.mtp != pattern.mtp ||
        again.mtpDepths != pattern.mtpDepths)
      reportFuzzFinding("pattern changed through unified(): " + pattern.unified());
    for (int pp = 1; pp <= 4; ++pp) {
      expectCleanRejection([&] { (void)pattern.stageOfLayer(pp); });
      expectCleanRejection(
          [&] { (void)nhb::config::withPipelineSeparators(text, pp, "fuzz pattern"); });
    }
  });
}

// Fuzzes the non-executing pickle reader with tight limits so hostile inputs hit the caps fast.
void fuzzPickleReader(const uint8_t* data, size_t size) {
  nhb::io::PickleReadOptions options;
  options.source = "fuzz.pkl";
  options.limits.maxMemoEntries = 1u << 12;
  options.limits.maxStackDepth = 1u << 12;
  options.limits.maxNodes = 1u << 16;
  options.limits.maxStringBytes = 1u << 20;
  expectCleanRejection(
      [&] { (void)nhb::io::readPickle(asView(data, size), options); });
}

// Fuzzes the PyTorch zip reader and the torch.save file loader on the same bytes: the input is
// written to a file, listed, every stored entry read, then loaded as a state dict.
void fuzzTorchZip(const uint8_t* data, size_t size) {
  const auto path = scratchDir() / "input.pt";
  writeBytes(path, asView(data, size));
  expectCleanRejection([&] {
    auto zip = nhb::io::ZipReader::open(path);
    for (const auto& entry : zip.entries())
      expectCleanRejection([&] {
        auto bytes = zip.data(entry);
        if (!bytes.empty()) (void)zip.crcMatches(entry);
      });
  });
  expectCleanRejection([&] {
    nhb::io::TorchLoadOptions options;
    options.pickle.maxNodes = 1u << 16;
    options.pickle.maxMemoEntries = 1u << 12;
    options.pickle.maxStackDepth = 1u << 12;
    options.verifyCrc = true;
    auto file = nhb::io::TorchFile::open(path, options);
    auto dict = nhb::io::TorchStateDict::fromDict(file, file->root());
    // Touch every byte of every tensor: a view past its storage shows up under ASan.
    unsigned checksum = 0;
    for (const auto& entry : dict.entries())
      if (entry.tensor)
        for (std::size_t i = 0; i < entry.tensor->nbytes; ++i)
          checksum += std::to_integer<unsigned>(entry.tensor->data[i]);
    volatile unsigned sink = checksum;
    (void)sink;
  });
}

// Fuzzes tokenizer.json parsing (vocabulary, merges, added tokens, pre/post-processors).
void fuzzTokenizerJson(const uint8_t* data, size_t size) {
  nhb::tokenizer::Json json;
  try {
    json = nhb::tokenizer::Json::parse(asView(data, size));
  } catch (const nlohmann::json::exception&) {
    return;  // loadTokenizerJson reports invalid JSON itself
  }
  expectCleanRejection([&] {
    auto tokenizer = nhb::tokenizer::parseTokenizerJson(json, "fuzz/tokenizer.json");
    if (tokenizer.vocabSize() < 0) reportFuzzFinding("negative vocabulary size");
    for (const auto& token : tokenizer.addedTokens) (void)tokenizer.idOf(token.content);
  });
}

const std::vector<FuzzTarget>& fuzzTargets() {
  static const std::vector<FuzzTarget> targets = {
      {"safetensors_header", fuzzSafetensorsHeader},
      {"safetensors_index", fuzzSafetensorsIndex},
      {"config_translate", fuzzConfigTranslate},
      {"hybrid_pattern", fuzzHybridPattern},
      {"pickle_reader", fuzzPickleReader},
      {"torch_zip", fuzzTorchZip},
      {"tokenizer_json", fuzzTokenizerJson},
  };
  return targets;
}

}  // namespace nhb::fuzz
