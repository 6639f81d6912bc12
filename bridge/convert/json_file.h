// Whole JSON files in and out, with errors that name the file: conversion records, provider and
// exported config.json files (verify reads the exported config.json as plain JSON too).
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace nhb::convert {

// BadInput naming the file when it cannot be opened or is not valid JSON.
nlohmann::ordered_json readJsonFile(const std::filesystem::path& path);
// Indented by 2 with a final newline; an Io error naming the file when the write fails.
void writeJsonFile(const std::filesystem::path& path, const nlohmann::ordered_json& json);

}  // namespace nhb::convert
