// `nhbridge config DIR`: reads a Hugging Face config.json and prints its Megatron provider config,
// the Megatron `args` it implies, the HF config exported back from it, or the HF -> Megatron -> HF
// round-trip diff with each difference classified (bridge/config/config_diff.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "bridge/config/config_diff.h"
#include "bridge/config/config_report.h"
#include "bridge/config/json_read.h"
#include "bridge/config/megatron_args.h"
#include "bridge/config/translate.h"
#include "bridge/core/error.h"
#include "harness/cli/command.h"

namespace nhb::cli {
namespace {

struct ConfigArgs {
  std::string path;
  std::string to = "megatron";
  bool roundtrip = false;
  bool withReference = false;
  bool all = false;
  bool json = false;
  int pp = 1;
  int tp = 1;
};

std::filesystem::path configJsonPath(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code error;
  if (std::filesystem::is_directory(p, error)) p /= "config.json";
  if (!std::filesystem::exists(p, error)) badInput(p.string() + ": no such file (expected an HF checkpoint directory or its config.json)");
  return p;
}

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int runConfig(const ConfigArgs& args) {
  const config::HfConfig hf = config::loadHfConfig(configJsonPath(args.path));
  if (args.roundtrip) {
    const auto differences = config::diffRoundTrip(hf, args.withReference);
    print(args.json ? config::differencesToJson(differences).dump(2) + "\n"
                    : config::differencesToText(differences, args.all));
    if (!config::onlyDocumentedDifferences(differences)) {
      std::fprintf(stderr, "nhbridge config: %s: undocumented differences in the round trip\n", hf.source.c_str());
      return 1;
    }
    return 0;
  }
  config::ToProviderOptions options;
  options.pipelineParallel = args.pp;
  const config::ProviderConfig provider = config::hfToProvider(hf, options);
  if (args.to == "megatron") {
    print(args.json ? config::providerToJson(provider).dump(2) + "\n" : config::providerToText(provider));
  } else if (args.to == "args") {
    const config::Json megatronArgs = config::providerToMegatronArgs(provider, args.tp);
    print(args.json ? megatronArgs.dump(2) + "\n" : config::jsonObjectToText(megatronArgs));
  } else {  // hf
    const config::Json exported =
        args.withReference ? config::providerToHfJson(provider, hf.raw) : config::providerToHfJson(provider);
    print(config::dumpConfigJson(exported, 2) + "\n");
  }
  return 0;
}

}  // namespace

void addConfigCommand(CLI::App& app, CommandAction& action) {
  auto args = std::make_shared<ConfigArgs>();
  auto* sub = app.add_subcommand(
      "config",
      "Translate a Hugging Face Nemotron-H config.json to Megatron-Core's provider config (and back), "
      "or show what an HF -> Megatron -> HF round trip changes");
  sub->add_option("DIR", args->path, "HF checkpoint directory containing config.json, or a config.json file")
      ->required();
  auto* to = sub->add_option("--to", args->to,
                             "What to print: megatron (provider config, default), args (Megatron checkpoint "
                             "args), hf (config.json exported back from the provider)")
                 ->check(CLI::IsMember({"megatron", "args", "hf"}));
  sub->add_flag("--roundtrip", args->roundtrip,
                "Print the HF -> Megatron -> HF diff, each key classified as renamed, dropped (on purpose), "
                "default-filled, value-changed or from-reference")
      ->excludes(to);
  sub->add_flag("--with-reference", args->withReference,
                "Conform the exported config to the source config.json (key set, key order, list form), "
                "as Megatron-Bridge does when a reference HF config is known");
  sub->add_flag("--all", args->all, "With --roundtrip: list every key, not only the changes");
  sub->add_flag("--json", args->json, "Print JSON instead of a table");
  sub->add_option("--pp", args->pp, "Insert '|' pipeline separators for this pipeline-parallel size")
      ->check(CLI::PositiveNumber);
  sub->add_option("--tp", args->tp, "Tensor-parallel size used for padded_vocab_size with --to args")
      ->check(CLI::PositiveNumber);
  sub->footer(
      "Examples:\n"
      "  nhbridge config /ckpt/Nemotron-H-8B-Base-8K\n"
      "  nhbridge config config.json --to args --json\n"
      "  nhbridge config config.json --roundtrip --with-reference\n"
      "Exit codes: 0 ok, 1 the round trip has undocumented differences, 2 bad input (unreadable or "
      "malformed config.json, unknown layer symbol, inconsistent fields).");
  sub->callback([&action, args] { action = [args] { return runConfig(*args); }; });
}

}  // namespace nhb::cli
