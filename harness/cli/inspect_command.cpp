// `nhbridge inspect DIR`: lists a Hugging Face checkpoint's tensors, totals and per-layer-type
// summary, and the problems found against the inventory its config.json implies
// (bridge/model/hf_inspection.h).
#include <cstdio>
#include <memory>
#include <string>

#include "bridge/model/hf_inspection.h"
#include "harness/cli/command.h"

namespace nhb::cli {
namespace {

struct InspectArgs {
  std::string dir;
  bool json = false;
};

int runInspect(const InspectArgs& args) {
  const model::Inspection inspection = model::inspectHfCheckpoint(args.dir);
  const std::string text =
      args.json ? model::inspectionToJson(inspection).dump(2) + "\n" : model::inspectionToText(inspection);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!inspection.problems.empty()) {
    std::fprintf(stderr, "nhbridge inspect: %zu problem(s) found in %s\n", inspection.problems.size(),
                 args.dir.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void addInspectCommand(CLI::App& app, CommandAction& action) {
  auto args = std::make_shared<InspectArgs>();
  auto* sub = app.add_subcommand(
      "inspect",
      "List a Hugging Face checkpoint's tensors (dtype, shape, shard), totals and per-layer-type "
      "summary, and check them against the tensors its config.json implies");
  sub->add_option("DIR", args->dir, "Checkpoint directory (config.json + safetensors)")->required();
  sub->add_flag("--json", args->json, "Print the report as JSON");
  sub->footer(
      "Problems reported: missing or unexpected tensors, shape or dtype mismatches, "
      "e_score_correction_bias not fp32, missing tokenizer files.\n"
      "Exit codes: 0 no problems, 1 problems found, 2 bad input (unreadable directory, config or weights).");
  sub->callback([&action, args] { action = [args] { return runInspect(*args); }; });
}

}  // namespace nhb::cli
