// Runs Debian's /usr/bin/python3 (which has python3-torch) for interop tests. Only tests use
// Python; nhbridge never does at run time.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/test_support.h"

namespace nhb::testing {

inline constexpr const char* kSystemPython = "/usr/bin/python3";

// Whether `/usr/bin/python3 -c "import torch"` works (checked once).
inline bool pythonTorchAvailable() {
  static const bool available = [] {
    const std::string command = std::string(kSystemPython) + " -c \"import torch\" > /dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }();
  return available;
}

struct PythonResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Writes `script` to dir/name and runs it with the system Python; argv[1] is `dir`.
inline PythonResult runPython(const std::filesystem::path& dir, const std::string& script,
                              const std::string& name = "script.py") {
  const std::filesystem::path file = dir / name;
  writeFile(file, script);
  const std::string command =
      std::string(kSystemPython) + " " + file.string() + " " + dir.string() + " 2>&1";
  PythonResult result;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace nhb::testing

#define NHB_REQUIRE_PYTHON_TORCH()                                                       \
  do {                                                                                   \
    if (!::nhb::testing::pythonTorchAvailable())                                         \
      GTEST_SKIP() << "/usr/bin/python3 cannot import torch; interop test skipped";     \
  } while (0)
