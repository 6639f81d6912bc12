// Shared helpers for tests: a self-deleting temporary directory and file utilities.
#pragma once

#include <filesystem>
#include <string>

namespace nhb::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& bytes);

// ../shared (reference material and published configs) and the source tree.
std::filesystem::path sharedDir();
std::filesystem::path sourceDir();

}  // namespace nhb::testing
