#include "bridge/io/atomic_output.h"

#include <unistd.h>

#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "bridge/core/error.h"
#include "bridge/io/temp_registry.h"

namespace nhb::io {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void ioFailure(const std::string& what, const std::error_code& error) {
  fail(ErrorKind::Io, what + ": " + error.message());
}

// Trailing separators ("out/") would make filename() empty.
fs::path normalizedTarget(fs::path path) {
  if (!path.empty() && !path.has_filename()) path = path.parent_path();
  return path;
}

fs::path parentOrDot(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

bool existsNoFollow(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

fs::path siblingWithTag(const fs::path& finalPath, const char* tag) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::string name = "." + finalPath.filename().string() + tag + std::to_string(::getpid()) +
                           "-" + std::to_string(generator() % 1000000000ull);
  return parentOrDot(finalPath) / name;
}

}  // namespace

fs::path temporarySiblingPath(const fs::path& finalPath) {
  return siblingWithTag(normalizedTarget(finalPath), ".tmp-");
}

// ---- AtomicOutputDir ------------------------------------------------------------------

AtomicOutputDir::AtomicOutputDir(fs::path finalDir, bool overwrite)
    : finalDir_(normalizedTarget(std::move(finalDir))), overwrite_(overwrite) {
  if (finalDir_.empty()) badInput("output directory path is empty");
  if (existsNoFollow(finalDir_) && !overwrite_)
    badInput("output directory " + finalDir_.string() +
             " already exists; pass --overwrite to replace it");
  const fs::path parent = parentOrDot(finalDir_);
  if (!fs::is_directory(parent))
    badInput("output directory " + finalDir_.string() + ": parent directory " + parent.string() +
             " does not exist");
  TemporaryOutputCommitLock registering;  // created and registered as one step
  for (int attempt = 0;; ++attempt) {
    fs::path candidate = temporarySiblingPath(finalDir_);
    std::error_code error;
    if (fs::create_directory(candidate, error)) {
      tempDir_ = std::move(candidate);
      registerTemporaryOutput(tempDir_);  // removed by the signal guard on SIGINT/SIGTERM
      break;
    }
    if (error || attempt == 16)  // a false return without error: the random name was taken
      ioFailure("cannot create temporary directory " + candidate.string(), error);
  }
}

AtomicOutputDir::~AtomicOutputDir() { discard(); }

AtomicOutputDir::AtomicOutputDir(AtomicOutputDir&& other) noexcept
    : finalDir_(std::move(other.finalDir_)),
      tempDir_(std::exchange(other.tempDir_, fs::path())),
      overwrite_(other.overwrite_),
      committed_(other.committed_) {}

AtomicOutputDir& AtomicOutputDir::operator=(AtomicOutputDir&& other) noexcept {
  if (this != &other) {
    discard();
    finalDir_ = std::move(other.finalDir_);
    tempDir_ = std::exchange(other.tempDir_, fs::path());
    overwrite_ = other.overwrite_;
    committed_ = other.committed_;
  }
  return *this;
}

void AtomicOutputDir::commit() {
  if (committed_) fail(ErrorKind::Internal, "output directory " + finalDir_.string() + " committed twice");
  if (tempDir_.empty()) fail(ErrorKind::Internal, "commit of a moved-from AtomicOutputDir");
  TemporaryOutputCommitLock commitLock;  // a signal's cleanup waits for the rename
  if (!fs::exists(tempDir_)) fail(ErrorKind::Io, "temporary output " + tempDir_.string() + " vanished");
  std::error_code error;
  fs::path aside;
  if (existsNoFollow(finalDir_)) {
    if (!overwrite_)
      badInput("output directory " + finalDir_.string() +
               " appeared while writing; pass --overwrite to replace it");
    aside = siblingWithTag(finalDir_, ".old-");
    fs::rename(finalDir_, aside, error);
    if (error) ioFailure("cannot move old " + finalDir_.string() + " aside", error);
  }
  fs::rename(tempDir_, finalDir_, error);
  if (error) {
    std::error_code ignored;
    if (!aside.empty()) fs::rename(aside, finalDir_, ignored);  // put the old output back
    ioFailure("cannot rename " + tempDir_.string() + " to " + finalDir_.string(), error);
  }
  committed_ = true;
  unregisterTemporaryOutput(tempDir_);
  tempDir_.clear();
  if (!aside.empty()) {
    std::error_code ignored;
    fs::remove_all(aside, ignored);
  }
}

void AtomicOutputDir::discard() noexcept {
  if (!committed_ && !tempDir_.empty()) {
    std::error_code ignored;
    fs::remove_all(tempDir_, ignored);
  }
  if (!tempDir_.empty()) unregisterTemporaryOutput(tempDir_);
  tempDir_.clear();
}

// ---- AtomicOutputFile -----------------------------------------------------------------

AtomicOutputFile::AtomicOutputFile(fs::path finalPath, bool overwrite)
    : finalPath_(std::move(finalPath)), overwrite_(overwrite) {
  if (finalPath_.empty() || !finalPath_.has_filename())
    badInput("output file path '" + finalPath_.string() + "' does not name a file");
  if (existsNoFollow(finalPath_) && !overwrite_)
    badInput("output file " + finalPath_.string() + " already exists; pass --overwrite to replace it");
  if (fs::is_directory(finalPath_))
    badInput("output file " + finalPath_.string() + " is a directory");
  const fs::path parent = parentOrDot(finalPath_);
  if (!fs::is_directory(parent))
    badInput("output file " + finalPath_.string() + ": directory " + parent.string() +
             " does not exist");
  tempPath_ = temporarySiblingPath(finalPath_);
  registerTemporaryOutput(tempPath_);
}

AtomicOutputFile::~AtomicOutputFile() { discard(); }

AtomicOutputFile::AtomicOutputFile(AtomicOutputFile&& other) noexcept
    : finalPath_(std::move(other.finalPath_)),
      tempPath_(std::exchange(other.tempPath_, fs::path())),
      overwrite_(other.overwrite_),
      committed_(other.committed_) {}

AtomicOutputFile& AtomicOutputFile::operator=(AtomicOutputFile&& other) noexcept {
  if (this != &other) {
    discard();
    finalPath_ = std::move(other.finalPath_);
    tempPath_ = std::exchange(other.tempPath_, fs::path());
    overwrite_ = other.overwrite_;
    committed_ = other.committed_;
  }
  return *this;
}

void AtomicOutputFile::commit() {
  if (committed_) fail(ErrorKind::Internal, "output file " + finalPath_.string() + " committed twice");
  if (tempPath_.empty()) fail(ErrorKind::Internal, "commit of a moved-from AtomicOutputFile");
  if (!overwrite_ && existsNoFollow(finalPath_))
    badInput("output file " + finalPath_.string() +
             " appeared while writing; pass --overwrite to replace it");
  TemporaryOutputCommitLock commitLock;
  std::error_code error;
  fs::rename(tempPath_, finalPath_, error);  // atomic replacement of a file
  if (error) ioFailure("cannot rename " + tempPath_.string() + " to " + finalPath_.string(), error);
  committed_ = true;
  unregisterTemporaryOutput(tempPath_);
  tempPath_.clear();
}

void AtomicOutputFile::discard() noexcept {
  if (!committed_ && !tempPath_.empty()) {
    std::error_code ignored;
    fs::remove(tempPath_, ignored);
  }
  if (!tempPath_.empty()) unregisterTemporaryOutput(tempPath_);
  tempPath_.clear();
}

}  // namespace nhb::io
