// report.json: the machine-readable report. Layout and key order follow
// reports/schema/report.schema.json; keep the two in step (report_json_test checks it).
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "bridge/core/error.h"
#include "harness/report/report.h"

namespace nhb::harness {
namespace {

using Json = nlohmann::ordered_json;

// JSON has no NaN or infinity; they are written as strings so nothing is lost.
Json numberToJson(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

Json metricsToJson(const verify::Metrics& metrics) {
  Json out = Json::object();
  for (const auto& [name, value] : metrics) out[name] = numberToJson(value);
  return out;
}

Json seriesToJson(const verify::Series& series) {
  Json values = Json::array();
  for (double value : series.values) values.push_back(numberToJson(value));
  return Json{{"name", series.name},       {"x_label", series.xLabel},
              {"y_label", series.yLabel},  {"log_scale", series.logScale},
              {"x_ticks", series.xTicks},  {"values", std::move(values)}};
}

Json checkToJson(const Check& check) {
  Json series = Json::array();
  for (const verify::Series& s : check.series) series.push_back(seriesToJson(s));
  return Json{{"id", check.id},
              {"category", verify::categoryName(check.category)},
              {"name", check.name},
              {"verdict", verify::verdictName(check.verdict)},
              {"message", check.message},
              {"metrics", metricsToJson(check.metrics)},
              {"thresholds", metricsToJson(check.thresholds)},
              {"details", check.details},
              {"series", std::move(series)}};
}

// ---- reading ----------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  const Json& member(const Json& object, const char* key, const std::string& path) const {
    if (!object.is_object()) badInput(source_ + ": " + path + " must be an object");
    auto it = object.find(key);
    if (it == object.end()) badInput(source_ + ": missing required key \"" + path + "." + key + "\"");
    return *it;
  }
  std::string string(const Json& object, const char* key, const std::string& path) const {
    const Json& value = member(object, key, path);
    if (!value.is_string()) badInput(source_ + ": " + path + "." + key + " must be a string");
    return value.get<std::string>();
  }
  double number(const Json& value, const std::string& path) const {
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
      if (text == "inf") return std::numeric_limits<double>::infinity();
      if (text == "-inf") return -std::numeric_limits<double>::infinity();
    }
    badInput(source_ + ": " + path + " must be a number (or \"nan\", \"inf\", \"-inf\")");
  }
  int integer(const Json& object, const char* key, const std::string& path) const {
    const Json& value = member(object, key, path);
    if (!value.is_number_integer()) badInput(source_ + ": " + path + "." + key + " must be an integer");
    return value.get<int>();
  }
  verify::Metrics metrics(const Json& object, const std::string& path) const {
    if (!object.is_object()) badInput(source_ + ": " + path + " must be an object");
    verify::Metrics out;
    for (const auto& [name, value] : object.items()) out.set(name, number(value, path + "." + name));
    return out;
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

verify::Series seriesFromJson(const Reader& r, const Json& json, const std::string& path) {
  verify::Series s;
  s.name = r.string(json, "name", path);
  if (auto it = json.find("x_label"); it != json.end() && it->is_string()) s.xLabel = *it;
  if (auto it = json.find("y_label"); it != json.end() && it->is_string()) s.yLabel = *it;
  if (auto it = json.find("log_scale"); it != json.end() && it->is_boolean()) s.logScale = *it;
  if (auto it = json.find("x_ticks"); it != json.end() && it->is_array())
    for (const Json& tick : *it)
      if (tick.is_string()) s.xTicks.push_back(tick.get<std::string>());
  const Json& values = r.member(json, "values", path);
  if (!values.is_array()) badInput(r.source() + ": " + path + ".values must be an array");
  for (size_t i = 0; i < values.size(); ++i)
    s.values.push_back(r.number(values[i], path + ".values[" + std::to_string(i) + "]"));
  return s;
}

Check checkFromJson(const Reader& r, const Json& json, const std::string& path) {
  Check check;
  check.id = r.string(json, "id", path);
  const std::string where = path + " (" + check.id + ")";
  const std::string category = r.string(json, "category", where);
  auto parsedCategory = verify::parseCategory(category);
  if (!parsedCategory) badInput(r.source() + ": " + where + ".category: unknown category \"" + category + "\"");
  check.category = *parsedCategory;
  check.name = r.string(json, "name", where);
  const std::string verdict = r.string(json, "verdict", where);
  auto parsedVerdict = verify::parseVerdict(verdict);
  if (!parsedVerdict) badInput(r.source() + ": " + where + ".verdict: unknown verdict \"" + verdict + "\"");
  check.verdict = *parsedVerdict;
  check.message = r.string(json, "message", where);
  check.metrics = r.metrics(r.member(json, "metrics", where), where + ".metrics");
  if (auto it = json.find("thresholds"); it != json.end())
    check.thresholds = r.metrics(*it, where + ".thresholds");
  if (auto it = json.find("details"); it != json.end()) check.details = *it;
  if (auto it = json.find("series"); it != json.end()) {
    if (!it->is_array()) badInput(r.source() + ": " + where + ".series must be an array");
    for (size_t i = 0; i < it->size(); ++i)
      check.series.push_back(seriesFromJson(r, (*it)[i], where + ".series[" + std::to_string(i) + "]"));
  }
  return check;
}

}  // namespace

nlohmann::ordered_json reportToJson(const Report& report) {
  const verify::Summary summary = verify::summarize(report);
  Json inputs = Json::object();
  for (const auto& [name, path] : report.inputs) inputs[name] = path;
  Json checks = Json::array();
  for (const Check& check : report.checks) checks.push_back(checkToJson(check));
  return Json{
      {"schema_version", report.schemaVersion},
      {"tool", {{"name", report.toolName}, {"version", report.toolVersion}}},
      {"created_at", report.createdAt},
      {"mode", report.mode},
      {"inputs", std::move(inputs)},
      {"layout", {{"tp", report.layout.tp}, {"pp", report.layout.pp}, {"ep", report.layout.ep},
                  {"etp", report.layout.etp}}},
      {"dtype", report.dtype},
      {"device", report.device},
      {"baseline", report.baselinePath ? Json(*report.baselinePath) : Json(nullptr)},
      {"elapsed_seconds", numberToJson(report.elapsedSeconds)},
      {"summary",
       {{"verdict", verify::verdictName(summary.verdict)},
        {"total", summary.total},
        {"passed", summary.passed},
        {"failed", summary.failed},
        {"warned", summary.warned},
        {"skipped", summary.skipped}}},
      {"checks", std::move(checks)},
  };
}

std::string renderJson(const Report& report) { return reportToJson(report).dump(2) + "\n"; }

Report reportFromJson(const nlohmann::ordered_json& json, const std::string& source) {
  Reader r(source);
  if (!json.is_object()) badInput(source + ": a report must be a JSON object");
  Report report;
  report.schemaVersion = r.integer(json, "schema_version", "report");
  if (report.schemaVersion < 1 || report.schemaVersion > verify::kReportSchemaVersion)
    badInput(source + ": report schema_version " + std::to_string(report.schemaVersion) +
             " is not supported (this nhbridge reads versions 1 to " +
             std::to_string(verify::kReportSchemaVersion) + ")");
  const Json& tool = r.member(json, "tool", "report");
  report.toolName = r.string(tool, "name", "tool");
  report.toolVersion = r.string(tool, "version", "tool");
  report.createdAt = r.string(json, "created_at", "report");
  report.mode = r.string(json, "mode", "report");
  const Json& inputs = r.member(json, "inputs", "report");
  if (!inputs.is_object()) badInput(source + ": report.inputs must be an object");
  for (const auto& [name, value] : inputs.items()) {
    if (!value.is_string()) badInput(source + ": inputs." + name + " must be a string");
    report.inputs.emplace_back(name, value.get<std::string>());
  }
  const Json& layout = r.member(json, "layout", "report");
  report.layout.tp = r.integer(layout, "tp", "layout");
  report.layout.pp = r.integer(layout, "pp", "layout");
  report.layout.ep = r.integer(layout, "ep", "layout");
  if (layout.contains("etp")) report.layout.etp = r.integer(layout, "etp", "layout");
  report.dtype = r.string(json, "dtype", "report");
  report.device = r.string(json, "device", "report");
  if (auto it = json.find("baseline"); it != json.end() && it->is_string())
    report.baselinePath = it->get<std::string>();
  if (auto it = json.find("elapsed_seconds"); it != json.end())
    report.elapsedSeconds = r.number(*it, "report.elapsed_seconds");
  const Json& checks = r.member(json, "checks", "report");
  if (!checks.is_array()) badInput(source + ": report.checks must be an array");
  for (size_t i = 0; i < checks.size(); ++i)
    report.checks.push_back(checkFromJson(r, checks[i], "checks[" + std::to_string(i) + "]"));
  return report;
}

Report loadReportJson(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, path.string() + ": cannot open report");
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& error) {
    badInput(path.string() + ": not valid JSON: " + error.what());
  }
  return reportFromJson(json, path.string());
}

}  // namespace nhb::harness
