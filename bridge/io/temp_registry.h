// The temporary outputs (AtomicOutputDir/File, ZipWriter) alive in this process, so that an
// interrupted run (SIGINT/SIGTERM, see harness/cli/signal_guard.h) can remove them: destructors do
// not run when a signal ends the process. Thread-safe; registration is cheap (a set insert).
#pragma once

#include <filesystem>

namespace nhb::io {

void registerTemporaryOutput(const std::filesystem::path& path);
void unregisterTemporaryOutput(const std::filesystem::path& path);

// Removes every registered temporary (recursively); returns how many existed. Holds the registry
// lock throughout, so a commit racing with it either finished before (its path is no longer
// registered) or waits and then finds its temporary gone.
int removeRegisteredTemporaryOutputs() noexcept;

// Holds the registry lock while a temporary is created and registered, or renamed into place.
// The signal guard takes it for good before cleaning up, freezing every writer at those points.
class TemporaryOutputCommitLock {
 public:
  TemporaryOutputCommitLock();
  ~TemporaryOutputCommitLock();
  TemporaryOutputCommitLock(const TemporaryOutputCommitLock&) = delete;
  TemporaryOutputCommitLock& operator=(const TemporaryOutputCommitLock&) = delete;
};

}  // namespace nhb::io
