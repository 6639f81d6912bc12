// Directory-level conversions: a Hugging Face checkpoint directory to a legacy Megatron-LM
// checkpoint (one model_optim_rng.pt per tp/pp/ep rank) and back. Outputs appear only when
// complete (io::AtomicOutputDir); inputs are never modified.
//
// Megatron output directory:
//   latest_checkpointed_iteration.txt, release/ or iter_NNNNNNN/mp_rank_*/model_optim_rng.pt
//       ("model" state dict, checkpoint_version 3.0, iteration, args from the provider config)
//   megatron_config.json       the provider config (Megatron field names, config::providerToJson)
//   nhbridge_conversion.json   what export needs to be exact: layout, padded vocab, HF dtypes of
//                              tensors stored in another dtype, the source config.json verbatim
//   hf_files/                  every non-weight file of the HF checkpoint other than config.json
//                              (tokenizer files, chat template, *reasoning_parser.py, remote code),
//                              copied unchanged
// HF output directory: config.json (provider -> HF, conformed to the reference config.json:
// --reference-hf's, else the stored source config), safetensors shards laid out like the
// reference checkpoint when one is given (else 5 GB shards), and the hf_files (or the reference's
// non-weight files) copied unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "bridge/convert/layout.h"

namespace nhb::convert {

inline constexpr const char* kConversionRecordName = "nhbridge_conversion.json";
inline constexpr const char* kProviderConfigName = "megatron_config.json";
inline constexpr const char* kCopiedHfFilesDir = "hf_files";

using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

struct HfToMegatronOptions {
  std::filesystem::path hfDir;
  std::filesystem::path outDir;
  Layout layout;
  std::optional<int64_t> iteration;  // nullopt: a release checkpoint
  bool overwrite = false;
  int threads = 0;                   // 0: up to 4 workers
  ProgressFn progress;
};

struct MegatronToHfOptions {
  std::filesystem::path megatronDir;
  std::filesystem::path outDir;
  std::optional<std::filesystem::path> referenceHf;
  bool overwrite = false;
  int threads = 0;
  uint64_t maxShardBytes = 5ull * 1000 * 1000 * 1000;  // without a reference
  ProgressFn progress;
};

struct ConversionSummary {
  std::size_t ranks = 0;
  std::size_t tensors = 0;
  uint64_t tensorBytes = 0;
};

ConversionSummary convertHfToMegatron(const HfToMegatronOptions& options);
ConversionSummary convertMegatronToHf(const MegatronToHfOptions& options);

}  // namespace nhb::convert
