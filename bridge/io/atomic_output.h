// Outputs appear complete or not at all: everything is written under a temporary sibling name
// (".<name>.tmp-<pid>-<random>") and renamed into place by commit(). Without commit() (an error,
// an exception unwinding) the temporary is removed and an existing output is left untouched.
#pragma once

#include <filesystem>

namespace nhb::io {

class AtomicOutputDir {
 public:
  // Creates the temporary directory. BadInput when `finalDir` exists and !overwrite (the message
  // names the directory and says to pass --overwrite); Io when it cannot be created.
  AtomicOutputDir(std::filesystem::path finalDir, bool overwrite);
  ~AtomicOutputDir();
  AtomicOutputDir(AtomicOutputDir&& other) noexcept;
  AtomicOutputDir& operator=(AtomicOutputDir&& other) noexcept;
  AtomicOutputDir(const AtomicOutputDir&) = delete;
  AtomicOutputDir& operator=(const AtomicOutputDir&) = delete;

  const std::filesystem::path& path() const { return tempDir_; }  // write here
  const std::filesystem::path& finalPath() const { return finalDir_; }
  bool committed() const { return committed_; }

  // Renames the temporary directory to finalDir; with overwrite an existing finalDir is replaced
  // only now (moved aside, then removed after the rename succeeded).
  void commit();

 private:
  void discard() noexcept;

  std::filesystem::path finalDir_;
  std::filesystem::path tempDir_;
  bool overwrite_ = false;
  bool committed_ = false;
};

class AtomicOutputFile {
 public:
  // Reserves a temporary sibling name (the file itself is created by whoever writes path()).
  // BadInput when `finalPath` exists and !overwrite; BadInput when its directory does not exist.
  AtomicOutputFile(std::filesystem::path finalPath, bool overwrite);
  ~AtomicOutputFile();
  AtomicOutputFile(AtomicOutputFile&& other) noexcept;
  AtomicOutputFile& operator=(AtomicOutputFile&& other) noexcept;
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  const std::filesystem::path& path() const { return tempPath_; }  // write here
  const std::filesystem::path& finalPath() const { return finalPath_; }
  bool committed() const { return committed_; }

  // Atomically renames the temporary file over finalPath (close it first).
  void commit();

 private:
  void discard() noexcept;

  std::filesystem::path finalPath_;
  std::filesystem::path tempPath_;
  bool overwrite_ = false;
  bool committed_ = false;
};

// ".<name>.tmp-<pid>-<random>" next to `finalPath`.
std::filesystem::path temporarySiblingPath(const std::filesystem::path& finalPath);

}  // namespace nhb::io
