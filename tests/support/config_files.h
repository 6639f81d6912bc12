// The published Nemotron-H config.json files under fixtures/configs/, by name (no libtorch: bridge
// and harness tests both use it).
#pragma once

#include <filesystem>
#include <string>

#include "bridge/config/hf_config.h"
#include "support/test_support.h"

namespace nhb::testing {

// Every published config in fixtures/configs/ (file names without ".json").
inline const char* const kPublishedConfigs[] = {
    "nemotron-h-4b-base-8k",          "nemotron-h-8b-base-8k",
    "nemotron-h-47b-base-8k",         "nemotron-h-56b-base-8k",
    "nvidia-nemotron-nano-9b-v2",     "nvidia-nemotron-nano-12b-v2",
    "nvidia-nemotron-3-nano-4b-bf16", "nvidia-nemotron-3-nano-30b-a3b-bf16",
    "nvidia-nemotron-3.5-lightning-30b-a3b-bf16", "nvidia-nemotron-3-super-120b-a12b-bf16",
};

inline std::filesystem::path publishedConfigsDir() { return sourceDir() / "fixtures" / "configs"; }

inline std::filesystem::path publishedConfigPath(const std::string& name) {
  return publishedConfigsDir() / (name + ".json");
}

inline config::HfConfig loadPublishedConfig(const std::string& name) {
  return config::loadHfConfig(publishedConfigPath(name));
}

// A minimal valid dense config.json to mutate in error tests.
inline config::Json smallDenseConfig() {
  return config::Json::parse(R"({
    "hybrid_override_pattern": "M*-M", "num_hidden_layers": 4, "hidden_size": 64,
    "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "mamba_num_heads": 8, "mamba_head_dim": 16, "n_groups": 2, "ssm_state_size": 16, "vocab_size": 256
  })");
}

}  // namespace nhb::testing
