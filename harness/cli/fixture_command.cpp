// Placeholder until the fixture subcommand lands; keeps the CLI linking meanwhile.
#include "bridge/core/error.h"
#include "harness/cli/command.h"

namespace nhb::cli {

void addFixtureCommand(CLI::App& app, CommandAction& action) {
  auto* sub = app.add_subcommand("fixture", "(not yet available)");
  sub->callback([&action] {
    action = [] () -> int { nhb::fail(nhb::ErrorKind::Unsupported, "fixture is not implemented yet"); };
  });
}

}  // namespace nhb::cli
