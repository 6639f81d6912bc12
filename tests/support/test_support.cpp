#include "support/test_support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nhb::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "nhb-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path sharedDir() {
  if (const char* env = std::getenv("NHB_SHARED_DIR")) return env;
  return NHB_SHARED_DIR;
}

std::filesystem::path sourceDir() { return NHB_SOURCE_DIR; }

}  // namespace nhb::testing

// ---- cli_runner.h --------------------------------------------------------------------------

#include <sys/wait.h>

#include "support/cli_runner.h"

namespace nhb::testing {

std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliRun runProgram(const std::string& program, const std::string& arguments, const std::string& environment) {
  TempDir capture;
  const std::filesystem::path outFile = capture / "stdout.txt";
  const std::filesystem::path errFile = capture / "stderr.txt";
  const std::string command = environment + " " + shellQuote(program) + " " + arguments + " </dev/null >" +
                              shellQuote(outFile.string()) + " 2>" + shellQuote(errFile.string());
  const int status = std::system(command.c_str());
  CliRun run;
  run.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (std::filesystem::exists(outFile)) run.out = readFile(outFile);
  if (std::filesystem::exists(errFile)) run.err = readFile(errFile);
  return run;
}

}  // namespace nhb::testing
