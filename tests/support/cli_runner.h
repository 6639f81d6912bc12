// Runs the nhbridge binary under test (NHB_CLI_PATH, defined by tests/CMakeLists.txt for the
// integration tests) through the shell and captures its exit code, stdout and stderr.
#pragma once

#include <string>

namespace nhb::testing {

struct CliRun {
  int code = -1;    // exit status; -1 when killed by a signal or not started
  std::string out;  // stdout
  std::string err;  // stderr
  std::string output() const { return out + err; }
};

// `environment` (e.g. "NHB_TEST_FAIL_AFTER_BYTES=100") is prefixed to the command line;
// `arguments` is passed to the shell as written (quote paths with shellQuote).
CliRun runProgram(const std::string& program, const std::string& arguments, const std::string& environment = "");
std::string shellQuote(const std::string& text);

#ifdef NHB_CLI_PATH
inline CliRun runCli(const std::string& arguments, const std::string& environment = "") {
  return runProgram(NHB_CLI_PATH, arguments, environment);
}
#endif

}  // namespace nhb::testing
