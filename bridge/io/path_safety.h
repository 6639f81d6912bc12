// Guards against files named by an input (an index's weight_map, a manifest) reaching outside
// the checkpoint directory.
#pragma once

#include <filesystem>
#include <string>

namespace nhb::io {

// True for a non-empty relative path without "." / ".." components or a root.
bool isPlainRelativePath(const std::string& relative);

// dir / relative, after checking that `relative` is a plain relative path and that the file,
// with symlinks resolved, exists and lies inside dir (also resolved). One exception: when dir is a
// Hugging Face hub cache snapshot (.../models--ORG--NAME/snapshots/REV), the file may also resolve
// into that repository's blobs/ folder, where the hub keeps the files its symlinks point to.
// BadInput otherwise, naming `source` (e.g. the index file) and `relative`.
std::filesystem::path resolveInside(const std::filesystem::path& dir, const std::string& relative,
                                    const std::string& source);

}  // namespace nhb::io
