#include "bridge/io/write_fault.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <optional>
#include <thread>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

std::optional<std::uint64_t> numberFromEnvironment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0') return std::nullopt;
  return value;
}

}  // namespace

void chargeSimulatedWriteBudget(std::size_t bytes, const std::string& file) {
  static const std::optional<std::uint64_t> delayMs = numberFromEnvironment("NHB_TEST_WRITE_DELAY_MS");
  if (delayMs) std::this_thread::sleep_for(std::chrono::milliseconds(*delayMs));
  static const std::optional<std::uint64_t> budget = numberFromEnvironment("NHB_TEST_FAIL_AFTER_BYTES");
  if (!budget) return;
  static std::atomic<std::uint64_t> written{0};
  const std::uint64_t total = written.fetch_add(bytes) + bytes;
  if (total > *budget)
    fail(ErrorKind::Io, file + ": No space left on device (simulated by NHB_TEST_FAIL_AFTER_BYTES=" +
                            std::to_string(*budget) + ")");
}

}  // namespace nhb::io
