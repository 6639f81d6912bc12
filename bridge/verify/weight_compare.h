// Weight fidelity: an exported HF checkpoint against its source (tensor by tensor, streaming over
// zero-copy views), and "pair mode": is a Megatron legacy checkpoint a faithful conversion of an HF
// checkpoint? (its rank files are gathered back through the conversion plan, one HF tensor at a
// time, and compared with the HF tensors). Results become report checks with weightChecks().
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bridge/io/safetensors_checkpoint.h"
#include "bridge/verify/report_model.h"
#include "bridge/verify/tensor_compare.h"
#include "bridge/verify/thresholds.h"

namespace nhb::verify {

struct WeightComparison {
  std::string expectedLabel;               // "source HF checkpoint <dir>"
  std::string actualLabel;                 // "exported HF checkpoint <dir>", "Megatron checkpoint <dir>"
  int64_t tensorsCompared = 0;             // present on both sides
  int64_t tensorsIdentical = 0;
  uint64_t bytesCompared = 0;
  std::vector<TensorDifference> differences;  // every non-identical, missing or unexpected tensor, by name
  // Pair mode: the Megatron checkpoint does not fit the plan at all (missing rank or key, wrong
  // local shape); the converter's message.
  std::string structuralError;

  std::size_t count(TensorStatus status) const;
};

// Source (expected) vs exported (actual) HF tensors.
WeightComparison compareHfCheckpoints(const io::SafetensorsCheckpoint& source, const io::SafetensorsCheckpoint& exported);

// What pair mode learned about the Megatron side (also used by the tokenizer vocab checks).
struct MegatronSideInfo {
  int64_t tp = 1, pp = 1, ep = 1;
  int64_t paddedVocab = 0;          // embedding rows the Megatron checkpoint holds
  int64_t vocabDivisibleBy = 128;   // make_vocab_size_divisible_by
  bool padVocab = false;
  bool fromRecord = false;          // read from nhbridge_conversion.json (else from rank args)
};

// Layout and vocab padding of a Megatron legacy checkpoint: nhbridge_conversion.json when present,
// else the args of rank 0. BadInput naming the file and field when neither says enough.
MegatronSideInfo readMegatronSideInfo(const std::filesystem::path& megatronDir, int64_t hfVocab);

// HF (expected) vs the HF tensors gathered back from the Megatron rank files (actual).
WeightComparison compareMegatronWithHf(const std::filesystem::path& hfDir, const std::filesystem::path& megatronDir);

// Check ids: "weights.inventory" (missing / unexpected tensors), "weights.dtypes", "weights.shapes",
// "weights.bitwise" (values; with limits.bitwise == false a ULP budget), "weights.structure" (pair
// mode, only when structuralError is set), and one "weights.tensor.<name>" per tensor that is not
// identical.
std::vector<Check> weightChecks(const WeightComparison& comparison, const WeightLimits& limits);

}  // namespace nhb::verify
