// Interrupted runs leave nothing behind: SIGINT/SIGTERM remove every temporary output the process
// has open (bridge/io/temp_registry.h; destructors do not run on a signal), print what happened
// and exit with 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
//
// The handler itself only writes the signal number to a pipe (async-signal-safe); a watcher thread
// does the cleanup. It first takes the registry lock for good, so no writer can create, register
// or commit a temporary any more, removes the temporaries (twice, a short while apart, to catch a
// file a writer was opening at that moment) and _exit()s.
#pragma once

namespace nhb::cli {

// Installs the handlers and starts the watcher thread; idempotent. Call once from main().
void installSignalGuard();

// 128 + signal: the shell's convention for "killed by signal".
constexpr int exitCodeForSignal(int signalNumber) { return 128 + signalNumber; }

}  // namespace nhb::cli
