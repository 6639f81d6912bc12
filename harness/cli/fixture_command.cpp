// `nhbridge fixture`: writes a small random Nemotron-H checkpoint in Hugging Face layout
// (bridge/fixture/fixture_generator.h) for tests, demos and bug reports.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "bridge/core/dtype.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_generator.h"
#include "harness/cli/command.h"

namespace nhb::cli {
namespace {

struct FixtureArgs {
  std::string preset;
  std::string out;
  std::uint64_t seed = 0;
  std::string dtype = "bf16";
  std::uint64_t shardSize = fixture::kDefaultFixtureShardBytes;
  std::string config;
  bool overwrite = false;
};

std::string presetList() {
  std::string list;
  for (const auto& name : fixture::presetNames()) list += name + ", ";
  return list + fixture::kFromConfigPreset;
}

int runFixture(const FixtureArgs& args) {
  fixture::FixtureOptions options;
  options.preset = args.preset;
  options.outDir = args.out;
  options.seed = args.seed;
  const auto dtype = dtypeFromUserName(args.dtype);
  if (!dtype) badInput("--dtype " + args.dtype + ": unknown dtype (use bf16 or f32)");
  options.dtype = *dtype;
  options.shardSizeBytes = args.shardSize;
  options.configPath = args.config;
  options.overwrite = args.overwrite;
  const fixture::FixtureResult result = fixture::generate(options);
  std::printf("wrote %s: %lld tensors, %lld parameters, %llu bytes in %zu shard(s) (preset %s, dtype %s, seed %llu)\n",
              result.dir.string().c_str(), static_cast<long long>(result.tensors),
              static_cast<long long>(result.parameters), static_cast<unsigned long long>(result.tensorBytes),
              result.shards, args.preset.c_str(), args.dtype.c_str(), static_cast<unsigned long long>(args.seed));
  return 0;
}

}  // namespace

void addFixtureCommand(CLI::App& app, CommandAction& action) {
  auto args = std::make_shared<FixtureArgs>();
  auto* sub = app.add_subcommand(
      "fixture",
      "Write a small random Nemotron-H checkpoint in Hugging Face layout: config.json, sharded "
      "safetensors with index, a byte-level BPE tokenizer and generation_config.json");
  sub->add_option("--preset", args->preset, "dense, moe, moe-grouped, latent-moe-mtp, or from-config (with --config)")
      ->required();
  sub->add_option("--out", args->out, "Output directory (written atomically)")->required();
  sub->add_option("--seed", args->seed, "Seed of the random weights (same seed, same bytes)")->capture_default_str();
  sub->add_option("--dtype", args->dtype, "Weight dtype: bf16 or f32 (router correction biases stay f32)")
      ->capture_default_str();
  sub->add_option("--shard-size", args->shardSize, "Largest safetensors shard, in bytes")->capture_default_str();
  sub->add_option("--config", args->config, "A real config.json to shrink (only with --preset from-config)");
  sub->add_flag("--overwrite", args->overwrite, "Replace an existing output directory");
  sub->footer("Presets: " + presetList() + ". Exit codes: 0 written, 2 bad input.");
  sub->callback([&action, args] { action = [args] { return runFixture(*args); }; });
}

}  // namespace nhb::cli
