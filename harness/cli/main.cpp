// nhbridge: converts Nemotron-H checkpoints between Hugging Face and Megatron-Core layouts and
// proves each conversion faithful. This file only wires the subcommands.
#include <cstdio>
#include <exception>

#include "bridge/core/error.h"
#include "harness/cli/command.h"
#include "harness/cli/signal_guard.h"

int main(int argc, char** argv) {
  CLI::App app{"nhbridge: Nemotron-H HF <-> Megatron-Core checkpoint converter and fidelity gate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "nhbridge 0.1.0");

  nhb::cli::CommandAction action;
  nhb::cli::addInspectCommand(app, action);
  nhb::cli::addConfigCommand(app, action);
  nhb::cli::addFixtureCommand(app, action);
  nhb::cli::addConvertCommand(app, action);
  nhb::cli::addForwardCommand(app, action);
  nhb::cli::addVerifyCommand(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : 2;  // --help exits 0; usage errors are bad input
  }
  nhb::cli::installSignalGuard();  // SIGINT/SIGTERM remove temporary outputs, exit 130/143
  try {
    return action ? action() : 2;
  } catch (const nhb::Error& error) {
    std::fprintf(stderr, "nhbridge: %s: %s\n", nhb::errorKindName(error.kind()), error.what());
    return nhb::exitCodeFor(error.kind());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nhbridge: internal error: %s\n", error.what());
    return 3;
  }
}
