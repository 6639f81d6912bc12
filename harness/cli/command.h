// How subcommands plug into the nhbridge CLI: each subcommand file defines one add*Command
// function that registers its options on the parent app and, when the subcommand is chosen,
// stores the action to run. main.cpp only wires them and maps errors to exit codes.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace nhb::cli {

// Returns the process exit code: 0 success, 1 a fidelity check failed, 2 bad input or usage,
// 3 internal error.
using CommandAction = std::function<int()>;

void addInspectCommand(CLI::App& app, CommandAction& action);
void addConfigCommand(CLI::App& app, CommandAction& action);
void addFixtureCommand(CLI::App& app, CommandAction& action);
void addConvertCommand(CLI::App& app, CommandAction& action);
void addForwardCommand(CLI::App& app, CommandAction& action);
void addVerifyCommand(CLI::App& app, CommandAction& action);

}  // namespace nhb::cli
