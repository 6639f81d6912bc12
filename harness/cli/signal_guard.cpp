#include "harness/cli/signal_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "bridge/io/temp_registry.h"

namespace nhb::cli {
namespace {

int signalPipe[2] = {-1, -1};

extern "C" void forwardSignal(int signalNumber) {
  const int savedErrno = errno;
  const unsigned char byte = static_cast<unsigned char>(signalNumber);
  [[maybe_unused]] ssize_t ignored = ::write(signalPipe[1], &byte, 1);
  errno = savedErrno;
}

[[noreturn]] void cleanUpAndExit(int signalNumber) {
  // Never released: writers block at their next create/register/commit until _exit.
  new io::TemporaryOutputCommitLock();
  int removed = io::removeRegisteredTemporaryOutputs();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  removed += io::removeRegisteredTemporaryOutputs();
  std::fprintf(stderr,
               "nhbridge: interrupted by %s; removed %d temporary output%s, nothing was written "
               "to the output path\n",
               signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "a signal",
               removed, removed == 1 ? "" : "s");
  std::fflush(stderr);
  ::_exit(exitCodeForSignal(signalNumber));
}

void watch() {
  for (;;) {
    unsigned char byte = 0;
    const ssize_t got = ::read(signalPipe[0], &byte, 1);
    if (got == 1) cleanUpAndExit(byte);
    if (got < 0 && errno == EINTR) continue;
    return;  // pipe closed: nothing more to watch
  }
}

}  // namespace

void installSignalGuard() {
  static const bool installed = [] {
    if (::pipe2(signalPipe, O_CLOEXEC) != 0) return false;
    std::thread(watch).detach();
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = forwardSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
}

}  // namespace nhb::cli
