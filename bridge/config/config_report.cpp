#include "bridge/config/config_report.h"

#include <algorithm>
#include <map>

#include "bridge/config/json_read.h"

namespace nhb::config {

namespace {

std::string valueText(const Json& value) {
  if (value.is_null()) return "(unset)";
  if (value.is_string()) return value.get<std::string>();
  return dumpConfigJson(value, -1);
}

std::string padRight(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

std::string jsonObjectToText(const Json& object) {
  size_t width = 0;
  for (const auto& [key, value] : object.items()) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : object.items()) out += padRight(key, width) + "  " + valueText(value) + "\n";
  return out;
}

std::string providerToText(const ProviderConfig& provider) { return jsonObjectToText(providerToJson(provider)); }

Json differencesToJson(const std::vector<ConfigDifference>& differences) {
  Json out = Json::array();
  for (const auto& d : differences) {
    out.push_back(Json{{"hf_key", d.hfKey},
                       {"megatron_field", d.megatronField.empty() ? Json(nullptr) : Json(d.megatronField)},
                       {"kind", differenceKindName(d.kind)},
                       {"before", d.before},
                       {"after", d.after},
                       {"documented", d.documented},
                       {"reason", d.reason}});
  }
  return out;
}

std::string differencesToText(const std::vector<ConfigDifference>& differences, bool all) {
  std::vector<const ConfigDifference*> shown;
  for (const auto& d : differences) {
    if (all || isChange(d.kind) || !d.documented) shown.push_back(&d);
  }
  size_t kindWidth = 4, keyWidth = 6, fieldWidth = 14;
  for (const auto* d : shown) {
    kindWidth = std::max(kindWidth, std::string(differenceKindName(d->kind)).size());
    keyWidth = std::max(keyWidth, d->hfKey.size());
    fieldWidth = std::max(fieldWidth, d->megatronField.size());
  }
  auto clip = [](std::string text) { return text.size() > 40 ? text.substr(0, 37) + "..." : text; };
  std::string out = padRight("kind", kindWidth) + "  " + padRight("HF key", keyWidth) + "  " +
                    padRight("Megatron field", fieldWidth) + "  before -> after  (reason)\n";
  for (const auto* d : shown) {
    out += padRight(differenceKindName(d->kind), kindWidth) + "  " + padRight(d->hfKey, keyWidth) + "  " +
           padRight(d->megatronField.empty() ? "-" : d->megatronField, fieldWidth) + "  " +
           clip(d->before.is_null() && d->kind == DifferenceKind::DefaultFilled ? "(absent)" : valueText(d->before)) +
           " -> " + clip(d->after.is_null() && d->kind == DifferenceKind::DroppedOnPurpose ? "(absent)" : valueText(d->after)) +
           "  (" + (d->documented ? "" : "UNDOCUMENTED: ") + d->reason + ")\n";
  }
  std::map<std::string, int> counts;
  int undocumented = 0;
  for (const auto& d : differences) {
    ++counts[differenceKindName(d.kind)];
    if (!d.documented) ++undocumented;
  }
  out += "summary:";
  for (const auto& [kind, count] : counts) out += " " + kind + " " + std::to_string(count) + ",";
  out += " undocumented " + std::to_string(undocumented) + "\n";
  return out;
}

}  // namespace nhb::config
