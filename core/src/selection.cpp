// selection.cpp — see selection.hpp.
#include "selection.hpp"

#include <algorithm>

#include "errors.hpp"

namespace bp::core {

bool record_was_loaded(const plugin_record& record) {
  return record.state != BP_STATE_LOAD_FAILED && record.state != BP_STATE_INCOMPATIBLE &&
         record.state != BP_STATE_REFUSED;
}

bool admit_loaded_record(plugin_record& record, const config& cfg,
                         std::map<std::string, std::string>& first_file_of) {
  if (record.state == BP_STATE_DISABLED) return false;  // decided before loading (by its file name)
  if (cfg.is_disabled(record.name)) {
    record.state = BP_STATE_DISABLED;
    record.cause = BP_CAUSE_DISABLED;
    record.stage = BP_STAGE_DISCOVER;
    record.message = "plugin '" + record.name + "' is disabled";
    record.remedy = bp_cause_remedy(BP_CAUSE_DISABLED);
    return false;
  }
  auto [earlier, first] = first_file_of.emplace(record.name, record.path);
  if (first) return true;
  record.state = BP_STATE_REFUSED;
  record.cause = BP_CAUSE_DUPLICATE;
  record.message = "another file (" + earlier->second + ") already provides plugin '" + record.name +
                   "' (first one found wins)";
  record.remedy = bp_cause_remedy(BP_CAUSE_DUPLICATE);
  record.devices.clear();
  return false;
}

std::unique_ptr<plugin_record> not_found_record(const std::string& name,
                                                const std::vector<search_path_record>& search_paths) {
  auto rec = std::make_unique<plugin_record>();
  rec->name = name;
  rec->state = BP_STATE_LOAD_FAILED;
  rec->cause = BP_CAUSE_NOT_FOUND;
  rec->stage = BP_STAGE_DISCOVER;
  std::string where;
  for (const search_path_record& p : search_paths) where += (where.empty() ? "" : ", ") + p.path;
  rec->message = "no plugin named '" + name + "' (file libbackplane-" + name + ".so) was found in: " +
                 (where.empty() ? std::string("(no search paths)") : where);
  rec->remedy = "install the plugin, or add its folder to BACKPLANE_PLUGIN_PATH; `backplane doctor` lists what was found";
  return rec;
}

namespace {

bool is_duplicate(const plugin_record& r) { return r.cause == BP_CAUSE_DUPLICATE; }

std::vector<plugin_record*> listed_order(record_list& records, const config& cfg,
                                         const std::vector<search_path_record>& search_paths) {
  std::vector<plugin_record*> order;
  for (const std::string& want : cfg.backends) {
    auto found = std::find_if(records.begin(), records.end(),
                              [&](const auto& r) { return r->name == want && !is_duplicate(*r); });
    if (found == records.end()) {
      records.push_back(not_found_record(want, search_paths));
      order.push_back(records.back().get());
    } else {
      order.push_back(found->get());
    }
  }
  return order;
}

// GPU first, then any other accelerator, then CPU. A file that never loaded
// comes last: its device kind is unknown, so it cannot be preferred over a
// plugin that loaded. Failures keep their place so the preferred plugin is known.
int kind_rank(const plugin_record& r) {
  if (!record_was_loaded(r)) return 3;
  return r.device_kind == BP_DEVICE_KIND_GPU ? 0 : r.device_kind == BP_DEVICE_KIND_OTHER ? 1 : 2;
}

}  // namespace

std::vector<plugin_record*> candidate_order(record_list& records, const config& cfg,
                                            const std::vector<search_path_record>& search_paths) {
  if (!cfg.backends.empty()) return listed_order(records, cfg, search_paths);
  std::vector<plugin_record*> order;
  // Disabled plugins are not candidates (the operator chose that; it is no fallback).
  for (auto& r : records)
    if (!is_duplicate(*r) && r->state != BP_STATE_DISABLED) order.push_back(r.get());
  // (rank, priority) is a strict weak ordering; the sort is stable, so ties keep search order.
  std::stable_sort(order.begin(), order.end(), [](const plugin_record* a, const plugin_record* b) {
    if (kind_rank(*a) != kind_rank(*b)) return kind_rank(*a) < kind_rank(*b);
    return a->priority > b->priority;
  });
  return order;
}

selection_result select_backend(const std::vector<plugin_record*>& order,
                                const std::function<bool(plugin_record&)>& can_use) {
  selection_result result;
  if (!order.empty()) result.preferred = order.front()->name;
  for (plugin_record* rec : order) {
    if (rec->state == BP_STATE_READY && can_use(*rec)) {
      rec->selected = true;
      result.selected = rec;
      break;
    }
    result.passed_over.push_back(rec);
  }
  return result;
}

event_record backend_fallback_event(const plugin_record& passed_over, const std::string& selected) {
  event_record e;
  e.kind = BP_EVENT_BACKEND_FALLBACK;
  e.plugin = passed_over.name;
  e.selected = selected;
  e.stage = passed_over.stage;
  e.cause = passed_over.cause;
  e.message = passed_over.message;
  e.remedy = passed_over.remedy;
  return e;
}

const char* selection_verdict(const selection_result& result, bool refused_by_policy) {
  if (refused_by_policy) return "refused_by_policy";
  if (!result.selected) return "nothing_usable";
  return result.selected->name == result.preferred ? "ready" : "fell_back";
}

}  // namespace bp::core
