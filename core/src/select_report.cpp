// select_report.cpp — bp_select_report_json: the core's selection (selection.hpp)
// applied to plugin records gathered outside one bp_runtime_create, e.g. one
// isolated child per plugin file. The tool then only renders.
#include <cstring>
#include <map>
#include <stdexcept>

#include "entry_guard.hpp"
#include "errors.hpp"
#include "report_parts.hpp"
#include "selection.hpp"

namespace bp::core {
namespace {

// A report this call cannot read: BP_ERR_INVALID_ARGUMENT with the reason.
struct unreadable_report : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename Enum, typename NameOf>
Enum enum_from_name(const std::string& text, int count, NameOf name_of, Enum otherwise) {
  for (int i = 0; i < count; ++i)
    if (text == name_of(static_cast<Enum>(i))) return static_cast<Enum>(i);
  return otherwise;
}

std::string text_of(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The fields selection reads; everything else of the entry is kept as it is.
plugin_record record_of(const json& entry) {
  plugin_record r;
  r.name = text_of(entry, "name");
  r.path = text_of(entry, "path");
  r.state = enum_from_name<bp_plugin_state>(text_of(entry, "state"), BP_STATE_PROBE_TIMEOUT + 1, bp_state_name,
                                            BP_STATE_LOAD_FAILED);
  r.cause = enum_from_name<bp_cause>(text_of(entry, "cause"), BP_CAUSE_COUNT_, bp_cause_name, BP_CAUSE_PLUGIN_ERROR);
  r.stage = enum_from_name<bp_stage>(text_of(entry, "stage"), BP_STAGE_POLICY + 1, stage_name, BP_STAGE_PROBE);
  r.device_kind = enum_from_name<bp_device_kind>(text_of(entry, "device_kind"), BP_DEVICE_KIND_OTHER + 1,
                                                 device_kind_name, BP_DEVICE_KIND_OTHER);
  r.message = text_of(entry, "message");
  r.remedy = text_of(entry, "remedy");
  auto priority = entry.find("priority");
  if (priority != entry.end() && priority->is_number_integer()) r.priority = priority->get<int32_t>();
  return r;
}

void write_decision(json& entry, const plugin_record& r) {
  entry["state"] = bp_state_name(r.state);
  entry["cause"] = bp_cause_name(r.cause);
  entry["stage"] = stage_name(r.stage);
  entry["message"] = r.message;
  entry["remedy"] = r.remedy;
  entry["selected"] = r.selected;
  if (r.cause == BP_CAUSE_DUPLICATE) entry["devices"] = json::array();
}

// A later copy of a plugin is a "duplicate" candidate too, as in the core's discovery.
void mark_duplicate_candidate(json& report, const plugin_record& r) {
  if (!report.contains("discovery") || !report["discovery"].is_object()) return;
  json& candidates = report["discovery"]["candidates"];
  if (!candidates.is_array()) return;
  for (json& c : candidates)
    if (c.is_object() && text_of(c, "path") == r.path) {
      c["decision"] = "duplicate";
      c["reason"] = r.message;
    }
}

json events_json(const selection_result& chosen) {
  json events = json::array();
  if (!chosen.selected) return events;  // creation fails: the core raises no event
  for (const plugin_record* rec : chosen.passed_over) {
    const event_record e = backend_fallback_event(*rec, chosen.selected->name);
    events.push_back({{"kind", event_kind_name(e.kind)}, {"plugin", e.plugin}, {"selected", e.selected},
                      {"stage", stage_name(e.stage)}, {"cause", bp_cause_name(e.cause)}, {"op", ""},
                      {"message", e.message}, {"remedy", e.remedy}});
  }
  return events;
}

json selected_json(const json& entry) {
  auto devices = entry.find("devices");
  json device = devices != entry.end() && devices->is_array() && !devices->empty() ? (*devices)[0] : json(nullptr);
  return {{"backend", text_of(entry, "name")}, {"device", device}};
}

// The records of the report's "plugins", in order, each loaded one admitted
// (disabled, duplicate across files) as bp_runtime_create admits it.
record_list admitted_records(json& report, const config& cfg) {
  record_list records;
  std::map<std::string, std::string> first_file_of;
  for (json& entry : report["plugins"]) {
    if (!entry.is_object()) throw unreadable_report("a \"plugins\" entry is not an object");
    records.push_back(std::make_unique<plugin_record>(record_of(entry)));
    plugin_record& r = *records.back();
    if (record_was_loaded(r) && !admit_loaded_record(r, cfg, first_file_of) && r.cause == BP_CAUSE_DUPLICATE)
      mark_duplicate_candidate(report, r);
  }
  return records;
}

std::string select_report(const config& cfg, const std::string& text) {
  json report = json::parse(text, nullptr, false);
  if (!report.is_object() || !report.contains("plugins") || !report["plugins"].is_array())
    throw unreadable_report("the report is not a JSON object with a \"plugins\" array");
  json& plugins = report["plugins"];
  record_list records = admitted_records(report, cfg);
  std::vector<search_path_record> search_paths;
  if (report.contains("discovery") && report["discovery"].is_object())
    for (const json& p : report["discovery"].value("search_paths", json::array()))
      if (p.is_object()) search_paths.push_back({text_of(p, "path"), text_of(p, "origin")});
  const size_t gathered = records.size();
  const auto order = candidate_order(records, cfg, search_paths);
  for (auto& r : records) r->selected = false;
  const selection_result chosen = select_backend(order, [](plugin_record&) { return true; });
  for (size_t i = 0; i < records.size(); ++i) {
    if (i < gathered) write_decision(plugins[i], *records[i]);
    else plugins.push_back(plugin_json(*records[i]));
  }
  report["policy"] = policy_json(cfg);
  report["environment"] = environment_json();
  report["preferred"] = chosen.preferred.empty() ? json(nullptr) : json(chosen.preferred);
  report["selected"] = nullptr;
  for (size_t i = 0; i < records.size(); ++i)
    if (records[i].get() == chosen.selected) report["selected"] = selected_json(plugins[i]);
  report["events"] = events_json(chosen);
  report["verdict"] = selection_verdict(chosen, false);
  return dump_report(report);
}

}  // namespace
}  // namespace bp::core

using namespace bp::core;

static bp_status bp_select_report_json_unguarded(const bp_runtime_options* options, const char* report,
                                                  char* buffer, uint64_t size, uint64_t* needed) {
  if (!report) return fail(BP_ERR_INVALID_ARGUMENT, "bp_select_report_json: report is NULL");
  std::string text;
  try {
    config cfg;
    if (bp_status s = load_config(options, &cfg); s != BP_OK) return s;
    text = select_report(cfg, report);
  } catch (const unreadable_report& e) {
    return fail(BP_ERR_INVALID_ARGUMENT, std::string("bp_select_report_json: ") + e.what());
  }  // anything else: the entry guard
  return copy_text_out("bp_select_report_json", text, buffer, size, needed);
}

extern "C" BP_API bp_status bp_select_report_json(const bp_runtime_options* options, const char* report,
                                                  char* buffer, uint64_t size, uint64_t* needed) {
  return bp::core::guarded("bp_select_report_json", [&] { return bp_select_report_json_unguarded(options, report, buffer, size, needed); });
}
