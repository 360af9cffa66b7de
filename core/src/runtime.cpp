// runtime.cpp — runtime creation: discovery, load, probe, selection by
// preference, the fallback policy and its events, and the query API.
#include "runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "backplane/text.hpp"
#include "backplane/version.h"
#include "entry_guard.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "report_parts.hpp"
#include "selection.hpp"

using namespace bp::core;

namespace bp::core {
namespace {
std::mutex g_registry_mutex;
std::unordered_set<bp_runtime_t>& live_runtimes() {
  static std::unordered_set<bp_runtime_t> set;
  return set;
}
std::unordered_set<bp_tensor_t>& live_tensors() {
  static std::unordered_set<bp_tensor_t> set;
  return set;
}
// The report of the last runtime creation on this thread that failed for want of a backend.
std::string& last_failure_report() {
  thread_local std::string report;
  return report;
}
// "Visible once": the same fallback (plugin, cause, selected) is printed once per process.
std::mutex g_printed_mutex;
std::set<std::string> g_printed;
}  // namespace

bool runtime_is_live(bp_runtime_t rt) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  return rt && live_runtimes().count(rt) && rt->magic == bp_runtime_s::live_magic;
}
bool tensor_is_live(bp_tensor_t t) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  return t && live_tensors().count(t) && t->magic == bp_tensor_s::live_magic;
}
void register_tensor(bp_tensor_t t) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  live_tensors().insert(t);
}
void unregister_tensor(bp_tensor_t t) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  live_tensors().erase(t);
}

std::string human_summary(const bp_runtime_s& rt) {
  std::string s, notes;
  for (auto& r : rt.records) {
    if (r->cause == BP_CAUSE_DUPLICATE) {  // a note, never the reason: the first copy decided
      notes += "\n  note: " + r->path + " is another copy of '" + r->name + "', ignored (the first one found is used)";
      continue;
    }
    s += "\n  - " + r->name + " (" + r->path + "): " + bp_state_name(r->state);
    if (r->state != BP_STATE_READY || !r->selected) {
      if (r->cause != BP_CAUSE_NONE)
        s += std::string(" [") + bp_cause_name(r->cause) + " at " + stage_name(r->stage) + "]";
      if (!r->message.empty()) s += ": " + r->message;
      if (!r->remedy.empty()) s += "\n      fix: " + r->remedy;
    }
    if (r->selected) s += " (selected)";
  }
  if (rt.records.empty()) {
    s += "\n  (no plugin files found; searched:";
    for (auto& p : rt.discovery.search_paths) s += " " + p.path + " [" + p.origin + (p.exists ? "" : ", missing") + "]";
    s += ")";
  }
  return s + notes;
}

}  // namespace bp::core

namespace {
// The C view of an event; its strings point into `e`, which must outlive the view.
bp_event c_event(const event_record& e, uint32_t struct_size = sizeof(bp_event)) {
  bp_event v{};
  v.struct_size = struct_size;
  v.kind = e.kind;
  v.plugin = e.plugin.c_str();
  v.selected = e.selected.c_str();
  v.stage = e.stage;
  v.cause = e.cause;
  v.op = e.op;
  v.message = e.message.c_str();
  v.remedy = e.remedy.c_str();
  return v;
}
}  // namespace

bp_runtime_s::~bp_runtime_s() {
  // Tensors the host forgot: free them while their plugin is still loaded.
  for (bp_tensor_s* t : tensors) {
    log_message(BP_LOG_WARN, "loader", "runtime destroyed with a live tensor (" + std::to_string(t->nbytes) + " bytes); freeing it");
    if (t->external) {
      if (t->external_deleter) t->external_deleter(t->external_context);
    } else if (t->owner && t->data) {
      t->owner->api().mem_free(t->owner->context(), 0, t->data);
    }
    unregister_tensor(t);
    t->magic = 0;
    delete t;
  }
  tensors.clear();
  active = fallback = nullptr;
  plugins.clear();  // shutdown + unload, in load order
  magic = 0;
}

void bp_runtime_s::raise_event(event_record e) {
  bool print = cfg.fallback == BP_FALLBACK_WARN;
  if (print) {
    std::string key = std::to_string(e.kind) + "|" + e.plugin + "|" + std::to_string(e.cause) + "|" + e.selected + "|" +
                      std::to_string(e.op);
    std::lock_guard<std::mutex> lock(g_printed_mutex);
    print = g_printed.insert(key).second;
  }
  if (print) {
    std::string line;
    if (e.kind == BP_EVENT_BACKEND_FALLBACK)
      line = "backend '" + e.plugin + "' cannot serve (" + bp_cause_name(e.cause) + " at " + stage_name(e.stage) +
             "): " + e.message + ". Using '" + e.selected + "' instead.";
    else if (e.kind == BP_EVENT_OP_FALLBACK)
      line = std::string("op ") + bp_op_kind_name(e.op) + " is not supported by '" + e.plugin + "' (" + e.message +
             "); running it on '" + e.selected + "' (tensors are copied each time).";
    else
      line = std::string("op ") + bp_op_kind_name(e.op) + " failed on '" + e.plugin + "' (" + e.message + "); " +
             (e.selected.empty() ? std::string("not retried (no CPU fallback allowed or available).")
                                 : "retried on '" + e.selected + "'.");
    if (!e.remedy.empty()) line += " Fix: " + e.remedy + ".";
    line += " Set BACKPLANE_FALLBACK=error to make this fatal; run `backplane doctor` for the full report.";
    std::fprintf(stderr, "backplane: warning: %s\n", bp::printable_utf8(line).c_str());
  }
  events.push_back(e);
  if (cfg.on_event) {
    bp_event ev = c_event(e);
    cfg.on_event(cfg.user_data, &ev);
  }
}

loaded_plugin* bp_runtime_s::fallback_plugin() {
  if (fallback_tried) return fallback;
  fallback_tried = true;
  std::vector<loaded_plugin*> cpus;
  for (auto& p : plugins)
    if (p.get() != active && p->record().device_kind == BP_DEVICE_KIND_CPU &&
        (p->record().state == BP_STATE_READY))
      cpus.push_back(p.get());
  std::stable_sort(cpus.begin(), cpus.end(), [](loaded_plugin* a, loaded_plugin* b) {
    return a->record().priority > b->record().priority;
  });
  for (loaded_plugin* p : cpus) {
    if (p->initialised() || p->init()) return fallback = p;
  }
  return nullptr;
}

namespace {

// Keeps the failed creation's report for bp_last_failure_report_json. Never
// throws: the failure's own message (the real reason) is what the caller gets.
void keep_failure_report(bp_runtime_s& rt) noexcept {
  try {
    last_failure_report() = report_json(rt);
  } catch (const std::exception& e) {
    last_failure_report().clear();
    log_message(BP_LOG_ERROR, "loader", std::string("the failure report could not be built: ") + e.what());
  }
}

// Loads and probes every accepted file, so the report is complete; disabled
// and duplicate plugins are decided once, in selection.cpp, and unloaded here.
void load_and_probe(bp_runtime_s& rt) {
  std::map<std::string, std::string> first_file_of;
  for (const std::string& file : rt.discovery.to_load) {
    auto rec = std::make_unique<plugin_record>();
    rec->name = plugin_record_name(file);
    auto plugin = std::make_unique<loaded_plugin>(rt.cfg, rec.get());
    if (plugin->load(file) && admit_loaded_record(*rec, rt.cfg, first_file_of)) {
      log_message(BP_LOG_INFO, "loader", "loaded " + rec->name + " " + rec->version + " from " + file);
      plugin->probe();
      rt.plugins.push_back(std::move(plugin));
    }
    rt.records.push_back(std::move(rec));
  }
}

loaded_plugin* plugin_of(bp_runtime_s& rt, const plugin_record& rec) {
  for (auto& p : rt.plugins)
    if (&p->record() == &rec) return p.get();
  return nullptr;
}

bp_status nothing_usable(bp_runtime_s& rt) {
  std::string msg = "no usable backend";
  if (!rt.cfg.backends.empty()) {
    msg += " among " + rt.cfg.backends_origin + " list '";
    for (size_t i = 0; i < rt.cfg.backends.size(); ++i) msg += (i ? "," : "") + rt.cfg.backends[i];
    msg += "'";
  }
  msg += ":" + human_summary(rt);
  keep_failure_report(rt);
  return fail(BP_ERR_UNAVAILABLE, msg);
}

// BACKPLANE_FALLBACK=error: the preferred backend could not serve, so creation fails.
bp_status refuse_fallback(bp_runtime_s& rt, const event_record& first) {
  rt.events.push_back(first);
  std::string msg = "BACKPLANE_FALLBACK=error (" + rt.cfg.fallback_origin + "): preferred backend '" + rt.preferred +
                    "' cannot serve and falling back to '" + rt.active->name() + "' is forbidden." + human_summary(rt);
  if (rt.cfg.on_event) {
    event_record refused = first;  // nothing was selected: the policy stopped it
    refused.selected.clear();
    refused.stage = BP_STAGE_POLICY;
    bp_event ev = c_event(refused);
    rt.cfg.on_event(rt.cfg.user_data, &ev);
  }
  rt.active->record().selected = false;
  rt.refused_by_policy = true;
  keep_failure_report(rt);
  return fail(BP_ERR_POLICY, msg);
}

bp_status create_runtime(const bp_runtime_options* options, bp_runtime_t* out) {
  auto rt = std::make_unique<bp_runtime_s>();
  if (bp_status s = load_config(options, &rt->cfg); s != BP_OK) return s;
  rt->discovery = discover(rt->cfg);
  for (auto& refused : rt->discovery.refused) rt->records.push_back(std::make_unique<plugin_record>(refused));
  load_and_probe(*rt);
  // A malformed plugin setting (BACKPLANE_GPU_MEMORY_LIMIT=abc) stops the runtime
  // whatever the hardware: falling back would hide the typo until the job is slow.
  for (auto& r : rt->records)
    if (r->configuration_error) {
      keep_failure_report(*rt);
      return fail(BP_ERR_INVALID_ARGUMENT, "a plugin setting is malformed, so no backend was selected: " + r->message);
    }

  const auto order = candidate_order(rt->records, rt->cfg, rt->discovery.search_paths);
  const selection_result chosen = select_backend(order, [&](plugin_record& rec) {
    loaded_plugin* plugin = plugin_of(*rt, rec);
    return plugin && plugin->init();
  });
  rt->preferred = chosen.preferred;
  if (!chosen.selected) return nothing_usable(*rt);
  rt->active = plugin_of(*rt, *chosen.selected);
  for (plugin_record* rec : chosen.passed_over) {
    event_record e = backend_fallback_event(*rec, rt->active->name());
    if (rt->cfg.fallback == BP_FALLBACK_ERROR) return refuse_fallback(*rt, e);
    rt->raise_event(e);
  }
  log_message(BP_LOG_INFO, "loader", "selected backend '" + rt->active->name() + "'");

  bp_runtime_t handle = rt.release();
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    live_runtimes().insert(handle);
  }
  *out = handle;
  return BP_OK;
}

}  // namespace

extern "C" {

static void bp_abi_version_unguarded(uint32_t* major, uint32_t* minor) {
  if (major) *major = BP_ABI_VERSION_MAJOR;
  if (minor) *minor = BP_ABI_VERSION_MINOR;
}

BP_API void bp_abi_version(uint32_t* major, uint32_t* minor) {
  guarded_void("bp_abi_version", [&] { bp_abi_version_unguarded(major, minor); });
}

static const char* bp_version_string_unguarded(void) { return BACKPLANE_VERSION_STRING; }

BP_API const char* bp_version_string(void) {
  return guarded_value<const char*>("bp_version_string", "unknown", [&] { return bp_version_string_unguarded(); });
}

static bp_status bp_runtime_create_unguarded(const bp_runtime_options* options, bp_runtime_t* runtime) {
  if (!runtime) return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: runtime (out) is NULL");
  *runtime = nullptr;
  last_failure_report().clear();
  try {
    return create_runtime(options, runtime);
  } catch (const std::bad_alloc&) {
    return fail(BP_ERR_OUT_OF_MEMORY, "bp_runtime_create: out of host memory");
  } catch (const std::exception& e) {
    return fail(BP_ERR_INTERNAL, std::string("bp_runtime_create: ") + e.what());
  }
}

BP_API bp_status bp_runtime_create(const bp_runtime_options* options, bp_runtime_t* runtime) {
  return guarded("bp_runtime_create", [&] { return bp_runtime_create_unguarded(options, runtime); });
}

static void bp_runtime_destroy_unguarded(bp_runtime_t runtime) {
  if (!runtime) return;
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    if (!live_runtimes().erase(runtime)) {
      log_message(BP_LOG_ERROR, "loader", "bp_runtime_destroy: not a live runtime (double destroy?); ignored");
      return;
    }
  }
  delete runtime;
}

BP_API void bp_runtime_destroy(bp_runtime_t runtime) {
  guarded_void("bp_runtime_destroy", [&] { bp_runtime_destroy_unguarded(runtime); });
}

static const char* bp_runtime_backend_unguarded(bp_runtime_t rt) {
  if (!runtime_is_live(rt) || !rt->active) return "";
  return rt->active->name().c_str();
}

BP_API const char* bp_runtime_backend(bp_runtime_t rt) {
  return guarded_value<const char*>("bp_runtime_backend", "", [&] { return bp_runtime_backend_unguarded(rt); });
}

static bp_status bp_runtime_device_props_unguarded(bp_runtime_t rt, bp_device_props* props) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_device_props");
  if (!props) return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_device_props: props is NULL");
  if (props->struct_size < offsetof(bp_device_props, name))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_device_props: props->struct_size not set");
  const auto& devs = rt->active->record().devices;
  if (devs.empty()) return fail(BP_ERR_NOT_FOUND, "bp_runtime_device_props: the selected backend reported no device properties");
  uint32_t size = props->struct_size;
  std::memcpy(props, &devs[0], std::min<size_t>(size, sizeof(bp_device_props)));
  props->struct_size = size;
  return BP_OK;
}

BP_API bp_status bp_runtime_device_props(bp_runtime_t rt, bp_device_props* props) {
  return guarded("bp_runtime_device_props", [&] { return bp_runtime_device_props_unguarded(rt, props); });
}

static bp_status bp_runtime_synchronize_unguarded(bp_runtime_t rt) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_synchronize");
  loaded_plugin* p = rt->active;
  bp_status s = p->synchronize();
  return s == BP_OK ? BP_OK : fail(s, p->take_error("stream_synchronize", s));
}

BP_API bp_status bp_runtime_synchronize(bp_runtime_t rt) {
  return guarded("bp_runtime_synchronize", [&] { return bp_runtime_synchronize_unguarded(rt); });
}

static uint32_t bp_runtime_plugin_count_unguarded(bp_runtime_t rt) {
  return runtime_is_live(rt) ? static_cast<uint32_t>(rt->records.size()) : 0;
}

BP_API uint32_t bp_runtime_plugin_count(bp_runtime_t rt) {
  return guarded_value<uint32_t>("bp_runtime_plugin_count", 0, [&] { return bp_runtime_plugin_count_unguarded(rt); });
}

static bp_status bp_runtime_plugin_info_unguarded(bp_runtime_t rt, uint32_t index, bp_plugin_info* info) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_plugin_info");
  if (!info || info->struct_size < offsetof(bp_plugin_info, name))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_plugin_info: info is NULL or its struct_size is not set");
  if (index >= rt->records.size())
    return fail(BP_ERR_NOT_FOUND, "bp_runtime_plugin_info: index " + std::to_string(index) + " >= plugin count " +
                                      std::to_string(rt->records.size()));
  const plugin_record& r = *rt->records[index];
  bp_plugin_info v{};
  v.struct_size = info->struct_size;
  v.name = r.name.c_str();
  v.path = r.path.c_str();
  v.version = r.version.c_str();
  v.state = r.state;
  v.cause = r.cause;
  v.stage = r.stage;
  v.message = r.message.c_str();
  v.remedy = r.remedy.c_str();
  v.priority = r.priority;
  v.device_kind = r.device_kind;
  v.device_count = r.device_count;
  v.selected = r.selected ? 1 : 0;
  v.abi_major = r.abi_major;
  v.abi_minor = r.abi_minor;
  std::memcpy(info, &v, std::min<size_t>(info->struct_size, sizeof v));
  return BP_OK;
}

BP_API bp_status bp_runtime_plugin_info(bp_runtime_t rt, uint32_t index, bp_plugin_info* info) {
  return guarded("bp_runtime_plugin_info", [&] { return bp_runtime_plugin_info_unguarded(rt, index, info); });
}

static uint32_t bp_runtime_event_count_unguarded(bp_runtime_t rt) {
  if (!runtime_is_live(rt)) return 0;
  std::lock_guard<std::mutex> lock(rt->mutex);
  return static_cast<uint32_t>(rt->events.size());
}

BP_API uint32_t bp_runtime_event_count(bp_runtime_t rt) {
  return guarded_value<uint32_t>("bp_runtime_event_count", 0, [&] { return bp_runtime_event_count_unguarded(rt); });
}

static bp_status bp_runtime_event_unguarded(bp_runtime_t rt, uint32_t index, bp_event* event) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_event");
  if (!event || event->struct_size < offsetof(bp_event, kind))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_event: event is NULL or its struct_size is not set");
  std::lock_guard<std::mutex> lock(rt->mutex);
  if (index >= rt->events.size())
    return fail(BP_ERR_NOT_FOUND, "bp_runtime_event: index " + std::to_string(index) + " >= event count " +
                                      std::to_string(rt->events.size()));
  const event_record& e = rt->events[index];  // events are never removed: strings stay valid
  bp_event v = c_event(e, event->struct_size);
  std::memcpy(event, &v, std::min<size_t>(event->struct_size, sizeof v));
  return BP_OK;
}

BP_API bp_status bp_runtime_event(bp_runtime_t rt, uint32_t index, bp_event* event) {
  return guarded("bp_runtime_event", [&] { return bp_runtime_event_unguarded(rt, index, event); });
}

static bp_status bp_runtime_report_json_unguarded(bp_runtime_t rt, char* buffer, uint64_t size, uint64_t* needed) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_report_json");
  std::string text;
  try {
    text = report_json(*rt);
  } catch (const std::exception& e) {
    return fail(BP_ERR_INTERNAL, std::string("bp_runtime_report_json: ") + e.what());
  }
  return copy_text_out("bp_runtime_report_json", text, buffer, size, needed);
}

BP_API bp_status bp_runtime_report_json(bp_runtime_t rt, char* buffer, uint64_t size, uint64_t* needed) {
  return guarded("bp_runtime_report_json", [&] { return bp_runtime_report_json_unguarded(rt, buffer, size, needed); });
}

static bp_status bp_last_failure_report_json_unguarded(char* buffer, uint64_t size, uint64_t* needed) {
  const std::string& text = last_failure_report();
  if (text.empty())
    return fail(BP_ERR_NOT_FOUND, "bp_last_failure_report_json: the last bp_runtime_create on this thread did not fail for want of a backend");
  return copy_text_out("bp_last_failure_report_json", text, buffer, size, needed);
}

BP_API bp_status bp_last_failure_report_json(char* buffer, uint64_t size, uint64_t* needed) {
  return guarded("bp_last_failure_report_json", [&] { return bp_last_failure_report_json_unguarded(buffer, size, needed); });
}

static bp_status bp_discover_json_unguarded(const bp_runtime_options* options, char* buffer, uint64_t size, uint64_t* needed) {
  std::string text;
  try {
    config cfg;
    if (bp_status s = load_config(options, &cfg); s != BP_OK) return s;
    text = discovery_report_json(discover(cfg));
  } catch (const std::exception& e) {
    return fail(BP_ERR_INTERNAL, std::string("bp_discover_json: ") + e.what());
  }
  return copy_text_out("bp_discover_json", text, buffer, size, needed);
}

BP_API bp_status bp_discover_json(const bp_runtime_options* options, char* buffer, uint64_t size, uint64_t* needed) {
  return guarded("bp_discover_json", [&] { return bp_discover_json_unguarded(options, buffer, size, needed); });
}

static bp_status bp_runtime_placement_unguarded(bp_runtime_t rt, bp_placement_stats* stats) {
  BP_CHECK_RUNTIME(rt, "bp_runtime_placement");
  if (!stats || stats->struct_size < offsetof(bp_placement_stats, ops_on_backend))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_placement: stats is NULL or its struct_size is not set");
  std::lock_guard<std::mutex> lock(rt->mutex);
  bp_placement_stats v{};
  v.struct_size = stats->struct_size;
  for (auto& [kind, p] : rt->placement) v.ops_on_backend += p.on_backend, v.ops_on_fallback += p.on_fallback;
  v.bytes_moved = rt->bytes_moved;
  std::memcpy(stats, &v, std::min<size_t>(stats->struct_size, sizeof v));
  return BP_OK;
}

BP_API bp_status bp_runtime_placement(bp_runtime_t rt, bp_placement_stats* stats) {
  return guarded("bp_runtime_placement", [&] { return bp_runtime_placement_unguarded(rt, stats); });
}

}  // extern "C"
