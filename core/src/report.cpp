// report.cpp — the runtime's structured report as JSON (schema_version 1,
// documented in docs/operations.md). Everything comes from the records.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>

#include "backplane/text.hpp"
#include "backplane/version.h"
#include "errors.hpp"
#include "report_parts.hpp"
#include "runtime.hpp"

extern char** environ;

namespace bp::core {
namespace {

const char* policy_name(bp_fallback_policy p) {
  switch (p) {
    case BP_FALLBACK_ALLOW: return "allow";
    case BP_FALLBACK_ERROR: return "error";
    default: return "warn";
  }
}

json device_json(const bp_device_props& d) {
  return json{{"name", d.name},
              {"kind", device_kind_name(d.kind)},
              {"capability", d.capability},
              {"memory_total", d.memory_total},
              {"memory_free", d.memory_free},
              {"compute_capability", d.compute_major ? std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor) : ""},
              {"driver_version", d.driver_version},
              {"runtime_version", d.runtime_version},
              {"threads", d.threads}};
}

// The tree with every string (values and keys) made valid UTF-8 by the one
// rule in backplane/text.hpp: reports carry environment values, file names and
// what plugins declare, any of which may hold arbitrary bytes, and the JSON
// writer throws on invalid UTF-8.
json printable_tree(const json& j) {
  if (j.is_string()) return printable_utf8(j.get_ref<const std::string&>());
  if (j.is_array()) {
    json out = json::array();
    for (const json& item : j) out.push_back(printable_tree(item));
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[printable_utf8(it.key())] = printable_tree(it.value());
    return out;
  }
  return j;
}

}  // namespace

// Every report leaves the core through here.
std::string dump_report(const json& j) { return printable_tree(j).dump(2); }

json discovery_json(const discovery_result& d) {
  json paths = json::array(), cands = json::array();
  for (auto& p : d.search_paths)
    paths.push_back({{"path", p.path}, {"origin", p.origin}, {"exists", p.exists}, {"state", p.state}, {"note", p.note}});
  for (auto& c : d.candidates) cands.push_back({{"path", c.path}, {"decision", c.decision}, {"reason", c.reason}});
  return json{{"search_paths", paths}, {"candidates", cands}};
}

json plugin_json(const plugin_record& r) {
  json deps = json::array();
  for (const dependency_record& d : r.dependencies) {
    json searched = json::array();
    for (const search_record& s : d.searched)
      searched.push_back({{"directory", s.directory}, {"origin", origin_name(s.origin)}, {"result", s.result}});
    deps.push_back({{"name", d.name},
                    {"soname", d.soname},
                    {"required", d.required},
                    {"cause", bp_cause_name(d.cause)},
                    {"loaded_path", d.loaded_path},
                    {"version_found", d.version_found},
                    {"version_required", d.version_required},
                    {"rule", d.rule},
                    {"message", d.message},
                    {"remedy", d.remedy},
                    {"searched", searched}});
  }
  json devices = json::array();
  for (const bp_device_props& d : r.devices) devices.push_back(device_json(d));
  return json{{"name", r.name},
              {"path", r.path},
              {"version", r.version},
              {"description", r.description},
              {"state", bp_state_name(r.state)},
              {"stage", stage_name(r.stage)},
              {"cause", bp_cause_name(r.cause)},
              {"message", r.message},
              {"remedy", r.remedy},
              {"priority", r.priority},
              {"device_kind", device_kind_name(r.device_kind)},
              {"device_count", r.device_count},
              {"selected", r.selected},
              {"fault_injected", r.fault_injected},
              {"abi", {{"major", r.abi_major}, {"minor", r.abi_minor}, {"negotiated_minor", r.negotiated_minor}}},
              {"devices", devices},
              {"dependencies", deps}};
}

json policy_json(const config& c) {
  json faults = json::array();
  for (auto& f : c.faults) faults.push_back(f.text);
  json ignored = json::array();
  for (auto& i : c.ignored) ignored.push_back({{"name", i.name}, {"value", i.value}, {"reason", i.reason}});
  return {{"backends", c.backends},
          {"backends_origin", c.backends_origin},
          {"fallback", policy_name(c.fallback)},
          {"fallback_origin", c.fallback_origin},
          {"disabled", c.disabled},
          {"op_fallback", c.op_fallback},
          {"use_environment", c.use_environment},
          {"allow_unsafe_plugins", c.allow_unsafe},
          {"allowlist", c.allowlist_file},
          {"faults", faults},
          {"secure_mode", c.secure_mode},
          {"ignored_settings", ignored}};
}

json environment_json() {
  json envj = json::object();
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    std::string k = kv.substr(0, eq);
    if (k.rfind("BACKPLANE_", 0) == 0 || k == "LD_LIBRARY_PATH" || k == "CUDA_VISIBLE_DEVICES" || k == "LD_PRELOAD" ||
        k == "CUDA_PATH" || k == "CUDA_HOME")
      envj[k] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return envj;
}

std::string report_json(bp_runtime_s& rt) {
  json j;
  j["schema_version"] = 1;
  j["backplane_version"] = BACKPLANE_VERSION_STRING;
  j["abi"] = {{"major", BP_ABI_VERSION_MAJOR}, {"minor", BP_ABI_VERSION_MINOR}};
  j["policy"] = policy_json(rt.cfg);
  j["environment"] = environment_json();
  j["discovery"] = discovery_json(rt.discovery);
  json plugins = json::array();
  for (auto& r : rt.records) plugins.push_back(plugin_json(*r));
  j["plugins"] = plugins;
  j["preferred"] = rt.preferred;
  if (rt.active && !rt.refused_by_policy) {
    const plugin_record& a = rt.active->record();
    j["selected"] = {{"backend", a.name}, {"device", a.devices.empty() ? json(nullptr) : device_json(a.devices[0])}};
  } else {
    j["selected"] = nullptr;
  }
  std::lock_guard<std::mutex> lock(rt.mutex);
  json events = json::array();
  for (auto& e : rt.events)
    events.push_back({{"kind", event_kind_name(e.kind)},
                      {"plugin", e.plugin},
                      {"selected", e.selected},
                      {"stage", stage_name(e.stage)},
                      {"cause", bp_cause_name(e.cause)},
                      {"op", e.op ? bp_op_kind_name(e.op) : ""},
                      {"message", e.message},
                      {"remedy", e.remedy}});
  j["events"] = events;
  uint64_t on_b = 0, on_f = 0;
  json by_op = json::object();
  for (auto& [kind, p] : rt.placement) {
    on_b += p.on_backend, on_f += p.on_fallback;
    by_op[bp_op_kind_name(kind)] = {{"on_backend", p.on_backend}, {"on_fallback", p.on_fallback}, {"fallback_reason", p.fallback_reason}};
  }
  j["placement"] = {{"ops_on_backend", on_b}, {"ops_on_fallback", on_f}, {"bytes_moved", rt.bytes_moved}, {"by_op", by_op}};
  j["verdict"] = rt.refused_by_policy ? "refused_by_policy"
                 : !rt.active       ? "nothing_usable"
                 : rt.active->name() == rt.preferred ? "ready"
                                                     : "fell_back";
  return dump_report(j);
}

bp_status copy_text_out(const char* call, const std::string& text, char* buffer, uint64_t size, uint64_t* needed) {
  if (needed) *needed = text.size() + 1;
  if (!buffer) return BP_OK;
  if (size < text.size() + 1)
    return fail(BP_ERR_INVALID_ARGUMENT, std::string(call) + ": buffer of " + std::to_string(size) +
                                             " bytes is too small; " + std::to_string(text.size() + 1) + " needed");
  std::memcpy(buffer, text.c_str(), text.size() + 1);
  return BP_OK;
}

std::string discovery_report_json(const discovery_result& d) {
  json j;
  j["schema_version"] = 1;
  j["discovery"] = discovery_json(d);
  json refused = json::array();
  for (auto& r : d.refused) refused.push_back(plugin_json(r));
  j["refused"] = refused;
  return dump_report(j);
}

}  // namespace bp::core
