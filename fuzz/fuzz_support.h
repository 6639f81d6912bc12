// Shared by the libFuzzer targets: what counts as a finding. A parser may reject any input with
// nhb::Error (BadInput, Unsupported, Io); an Internal error, any other exception, a crash, a leak or
// undefined behaviour is a bug and aborts so libFuzzer records the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "bridge/core/error.h"

namespace nhb::fuzz {

// What a finding does: abort (libFuzzer saves the input) unless a test installed a recorder.
using FindingHandler = void (*)(const std::string& what);
inline FindingHandler& findingHandler() {
  static FindingHandler handler = nullptr;
  return handler;
}
inline void reportFuzzFinding(const std::string& what) {
  if (findingHandler() != nullptr) return findingHandler()(what);
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

template <class Fn>
void expectCleanRejection(Fn&& fn) {
  try {
    fn();
  } catch (const nhb::Error& error) {
    if (error.kind() == nhb::ErrorKind::Internal)
      reportFuzzFinding(std::string("internal error: ") + error.what());
  } catch (const std::exception& error) {
    reportFuzzFinding(std::string("non-nhb exception escaped: ") + error.what());
  }
}

inline std::string_view asView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A per-process scratch directory (libFuzzer runs inputs one after another in one process).
inline const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("nhb-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratchDir(), ignored);
    });
    return path;
  }();
  return dir;
}

inline void writeBytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace nhb::fuzz
