#include "bridge/io/safetensors_checkpoint.h"

#include <fstream>
#include <sstream>

#include "bridge/core/error.h"
#include "bridge/io/path_safety.h"
#include "bridge/io/sharded_safetensors.h"

namespace nhb::io {
namespace fs = std::filesystem;
namespace {

std::string readWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, path.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ErrorKind::Io, path.string() + ": read error");
  return text.str();
}

// weight_map may list tens of thousands of tensors: parse into the key-sorted json (std::map)
// rather than ordered_json, whose lookups are linear.
nlohmann::json readIndex(const fs::path& indexPath) {
  const std::string source = indexPath.string();
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(readWholeFile(indexPath));
  } catch (const nlohmann::json::exception& error) {
    badInput(source + ": not valid JSON: " + error.what());
  }
  if (!index.is_object()) badInput(source + ": must be a JSON object");
  auto map = index.find("weight_map");
  if (map == index.end()) badInput(source + ": missing \"weight_map\"");
  if (!map->is_object()) badInput(source + ": \"weight_map\" must be an object");
  for (const auto& [name, file] : map->items())
    if (!file.is_string())
      badInput(source + ": weight_map entry '" + name + "' must be a file name string, not " +
               file.dump());
  auto metadata = index.find("metadata");
  if (metadata != index.end() && !metadata->is_null() && !metadata->is_object())
    badInput(source + ": \"metadata\" must be an object");
  return index;
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error))
    badInput(dir.string() + ": not a directory (expected a Hugging Face checkpoint directory)");

  SafetensorsCheckpoint out;
  out.dir_ = dir;
  const fs::path indexPath = dir / kSafetensorsIndexName;
  const fs::path singlePath = dir / kSingleSafetensorsName;

  if (fs::exists(indexPath, error)) {
    out.hasIndex_ = true;
    const std::string source = indexPath.string();
    const nlohmann::json index = readIndex(indexPath);
    if (auto metadata = index.find("metadata"); metadata != index.end() && metadata->is_object())
      out.indexMetadata_ = Json(*metadata);
    const nlohmann::json& weightMap = index.at("weight_map");

    // Open each referenced shard once.
    for (const auto& [name, fileValue] : weightMap.items()) {
      const auto& fileName = fileValue.get_ref<const std::string&>();
      if (out.files_.count(fileName)) continue;
      const fs::path shardPath = withContext(source + ": tensor '" + name + "'", [&] {
        return resolveInside(dir, fileName, "weight_map");
      });
      out.files_.emplace(fileName, std::make_unique<SafetensorsFile>(SafetensorsFile::open(shardPath)));
    }
    // Index -> shards: every listed tensor must be where the index says.
    for (const auto& [name, fileValue] : weightMap.items()) {
      auto file = out.files_.find(fileValue.get_ref<const std::string&>());
      if (!file->second->contains(name))
        badInput(source + ": tensor '" + name + "' is listed under '" + file->first +
                 "' but that shard does not contain it");
      out.location_.emplace(name, Location{file->second.get(), &file->first});
    }
    // Shards -> index: a tensor the index does not list (or lists under another file) would be
    // silently dropped by every HF loader.
    for (const auto& [fileName, file] : out.files_) {
      for (const auto& entry : file->entries()) {
        auto listed = weightMap.find(entry.name);
        if (listed == weightMap.end())
          badInput(file->path().string() + ": tensor '" + entry.name + "' is not listed in " + source);
        if (listed->get_ref<const std::string&>() != fileName)
          badInput(file->path().string() + ": tensor '" + entry.name + "' is listed in " + source +
                   " under '" + listed->get<std::string>() + "' instead");
      }
    }
  } else if (fs::exists(singlePath, error)) {
    auto file = std::make_unique<SafetensorsFile>(SafetensorsFile::open(singlePath));
    auto [it, inserted] = out.files_.emplace(kSingleSafetensorsName, std::move(file));
    for (const auto& entry : it->second->entries())
      out.location_.emplace(entry.name, Location{it->second.get(), &it->first});
  } else if (fs::exists(dir / "pytorch_model.bin", error) ||
             fs::exists(dir / "pytorch_model.bin.index.json", error)) {
    fail(ErrorKind::Unsupported, dir.string() +
                                     ": only PyTorch .bin weights found; convert them to "
                                     "safetensors first");
  } else {
    badInput(dir.string() + ": neither " + kSafetensorsIndexName + " nor " +
             kSingleSafetensorsName + " found (not a Hugging Face safetensors checkpoint?)");
  }

  out.names_.reserve(out.location_.size());
  for (const auto& [name, location] : out.location_) out.names_.push_back(name);
  return out;
}

const SafetensorsCheckpoint::Location& SafetensorsCheckpoint::locate(const std::string& name) const {
  auto it = location_.find(name);
  if (it == location_.end()) badInput(dir_.string() + ": checkpoint has no tensor '" + name + "'");
  return it->second;
}

TensorView SafetensorsCheckpoint::view(const std::string& name) const {
  return locate(name).file->view(name);
}

const SafetensorsEntry& SafetensorsCheckpoint::entry(const std::string& name) const {
  return locate(name).file->entry(name);
}

const std::string& SafetensorsCheckpoint::fileOf(const std::string& name) const {
  return *locate(name).fileName;
}

const SafetensorsFile& SafetensorsCheckpoint::file(const std::string& fileName) const {
  auto it = files_.find(fileName);
  if (it == files_.end()) badInput(dir_.string() + ": checkpoint has no shard '" + fileName + "'");
  return *it->second;
}

std::vector<std::string> SafetensorsCheckpoint::fileNames() const {
  std::vector<std::string> names;
  for (const auto& [name, file] : files_) names.push_back(name);
  return names;
}

std::uint64_t SafetensorsCheckpoint::totalTensorBytes() const {
  std::uint64_t total = 0;
  for (const auto& [name, file] : files_)
    for (const auto& entry : file->entries()) total += entry.nbytes();
  return total;
}

}  // namespace nhb::io
