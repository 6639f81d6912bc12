#include "bridge/io/path_safety.h"

#include <optional>
#include <system_error>

#include "bridge/core/error.h"

namespace nhb::io {
namespace fs = std::filesystem;

bool isPlainRelativePath(const std::string& relative) {
  if (relative.empty() || relative.find('\0') != std::string::npos) return false;
  const fs::path path(relative);
  if (path.has_root_path()) return false;
  for (const auto& part : path) {
    const std::string name = part.string();
    if (name == "." || name == "..") return false;
  }
  return relative.back() != '/';
}

namespace {

// True when `inner` equals `outer` or lies below it (both canonical).
bool isWithin(const fs::path& inner, const fs::path& outer) {
  auto innerIt = inner.begin();
  for (auto outerIt = outer.begin(); outerIt != outer.end(); ++outerIt, ++innerIt) {
    if (outerIt->empty()) continue;  // trailing separator
    if (innerIt == inner.end() || *innerIt != *outerIt) return false;
  }
  return true;
}

// The Hugging Face hub cache keeps a revision as models--ORG--NAME/snapshots/REV/ whose files are
// symlinks into models--ORG--NAME/blobs/. For such a directory that blobs folder is the one other
// place a file may resolve to; for any other directory there is none.
std::optional<fs::path> hubCacheBlobs(const fs::path& canonicalDir) {
  const fs::path snapshots = canonicalDir.parent_path();
  if (snapshots.filename() != "snapshots") return std::nullopt;
  const fs::path repo = snapshots.parent_path();
  if (repo.filename().string().rfind("models--", 0) != 0) return std::nullopt;
  std::error_code error;
  const fs::path blobs = fs::canonical(repo / "blobs", error);
  if (error || !isWithin(blobs, repo)) return std::nullopt;
  return blobs;
}

}  // namespace

fs::path resolveInside(const fs::path& dir, const std::string& relative, const std::string& source) {
  if (!isPlainRelativePath(relative)) {
    if (!relative.empty() && fs::path(relative).has_root_path())
      badInput(source + ": '" + relative + "' is an absolute path; files must lie inside " +
               dir.string());
    badInput(source + ": '" + relative + "' is not a plain relative path (no '.', '..' or empty "
             "names); files must lie inside " + dir.string());
  }
  const fs::path joined = dir / relative;
  std::error_code error;
  if (!fs::exists(joined, error))
    badInput(source + ": '" + relative + "' does not exist in " + dir.string());
  const fs::path resolved = fs::canonical(joined, error);
  if (error) badInput(source + ": cannot resolve '" + relative + "': " + error.message());
  const fs::path root = fs::canonical(dir, error);
  if (error) badInput(source + ": cannot resolve directory " + dir.string() + ": " + error.message());
  if (!isWithin(resolved, root)) {
    const std::optional<fs::path> blobs = hubCacheBlobs(root);
    if (!blobs || !isWithin(resolved, *blobs))
      badInput(source + ": '" + relative + "' resolves to " + resolved.string() + ", outside " +
               root.string() + (blobs ? " and its hub cache " + blobs->string() : std::string()) +
               " (symlink leading out of the checkpoint)");
  }
  if (!fs::is_regular_file(resolved))
    badInput(source + ": '" + relative + "' is not a regular file");
  return joined;
}

}  // namespace nhb::io
