// Placeholder until the inspect subcommand lands; keeps the CLI linking meanwhile.
#include "bridge/core/error.h"
#include "harness/cli/command.h"

namespace nhb::cli {

void addInspectCommand(CLI::App& app, CommandAction& action) {
  auto* sub = app.add_subcommand("inspect", "(not yet available)");
  sub->callback([&action] {
    action = [] () -> int { nhb::fail(nhb::ErrorKind::Unsupported, "inspect is not implemented yet"); };
  });
}

}  // namespace nhb::cli
