// nhbridge_conversion.json, the record hf-to-megatron leaves next to the rank files so that export
// (and verify) can be exact: the layout, the padded vocab, the HF dtypes of tensors stored in
// another dtype, and the source config.json verbatim. Read by convertMegatronToHf and by verify's
// Megatron-vs-HF comparison, so both read it the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/convert/layout.h"
#include "bridge/core/dtype.h"

namespace nhb::convert {

// The record's "layout" object.
nlohmann::ordered_json layoutToRecord(const Layout& layout);
// tp, pp and ep are required; fields a record may lack keep Layout's defaults. BadInput naming
// `source` and the field on a missing or mistyped one.
Layout layoutFromRecord(const nlohmann::ordered_json& layout, const std::string& source);

// The record's "padded_vocab_size" (the Megatron embedding rows); nullopt when the record has none.
std::optional<int64_t> paddedVocabFromRecord(const nlohmann::ordered_json& record, const std::string& source);

// The record's "hf_dtypes" object (tensor name -> dtype name); empty when the record has none.
std::map<std::string, DType> hfDTypesFromRecord(const nlohmann::ordered_json& record, const std::string& source);

}  // namespace nhb::convert
