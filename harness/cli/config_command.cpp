// Placeholder until the config subcommand lands; keeps the CLI linking meanwhile.
#include "bridge/core/error.h"
#include "harness/cli/command.h"

namespace nhb::cli {

void addConfigCommand(CLI::App& app, CommandAction& action) {
  auto* sub = app.add_subcommand("config", "(not yet available)");
  sub->callback([&action] {
    action = [] () -> int { nhb::fail(nhb::ErrorKind::Unsupported, "config is not implemented yet"); };
  });
}

}  // namespace nhb::cli
