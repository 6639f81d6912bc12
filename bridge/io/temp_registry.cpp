#include "bridge/io/temp_registry.h"

#include <mutex>
#include <set>
#include <system_error>

namespace nhb::io {
namespace {

std::recursive_mutex& registryMutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

std::set<std::filesystem::path>& registry() {
  static auto* paths = new std::set<std::filesystem::path>();  // never destroyed: used at exit
  return *paths;
}

}  // namespace

void registerTemporaryOutput(const std::filesystem::path& path) {
  std::lock_guard<std::recursive_mutex> lock(registryMutex());
  registry().insert(path);
}

void unregisterTemporaryOutput(const std::filesystem::path& path) {
  std::lock_guard<std::recursive_mutex> lock(registryMutex());
  registry().erase(path);
}

int removeRegisteredTemporaryOutputs() noexcept {
  std::lock_guard<std::recursive_mutex> lock(registryMutex());
  int removed = 0;
  for (const auto& path : registry()) {
    std::error_code error;
    if (std::filesystem::remove_all(path, error) > 0) ++removed;
  }
  return removed;
}

TemporaryOutputCommitLock::TemporaryOutputCommitLock() { registryMutex().lock(); }
TemporaryOutputCommitLock::~TemporaryOutputCommitLock() { registryMutex().unlock(); }

}  // namespace nhb::io
