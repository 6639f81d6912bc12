#include "bridge/convert/json_file.h"

#include <fstream>

#include "bridge/core/error.h"

namespace nhb::convert {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Json readJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) badInput(path.string() + ": cannot open");
  try {
    return Json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    badInput(path.string() + ": not valid JSON: " + error.what());
  }
}

void writeJsonFile(const fs::path& path, const Json& json) {
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  if (!out) fail(ErrorKind::Io, path.string() + ": write failed");
}

}  // namespace nhb::convert
