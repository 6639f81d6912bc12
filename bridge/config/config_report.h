// Human and JSON renderings of a provider config and of a round-trip diff, for `nhbridge config`.
#pragma once

#include <string>
#include <vector>

#include "bridge/config/config_diff.h"
#include "bridge/config/provider_config.h"

namespace nhb::config {

// "field  value" lines in field-table order; unset optionals print as "(unset)".
std::string providerToText(const ProviderConfig& provider);
// Megatron args (name, value) lines.
std::string jsonObjectToText(const Json& object);

// One entry per difference: {hf_key, megatron_field, kind, before, after, documented, reason}.
Json differencesToJson(const std::vector<ConfigDifference>& differences);
// A table of the changes (kinds other than renamed / from-reference unless `all`), then a summary
// line with the count per kind and the undocumented count.
std::string differencesToText(const std::vector<ConfigDifference>& differences, bool all);

}  // namespace nhb::config
