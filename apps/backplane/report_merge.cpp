// report_merge.cpp — see report_merge.hpp.
#include "report_merge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "backplane/runtime.h"
#include "cli_common.hpp"

namespace bp::cli {

namespace {

using json = nlohmann::json;

json default_policy(const runtime_request& request) {
  std::string backends = request.backends;
  if (backends.empty())
    if (const char* env = std::getenv("BACKPLANE_BACKEND")) backends = env;
  const char* disabled = std::getenv("BACKPLANE_DISABLE");
  return {{"backends", split_list(backends, ',')},
          {"fallback", effective_fallback_policy()},
          {"disabled", split_list(disabled ? disabled : "", ',')},
          {"op_fallback", true}};
}

std::string outcome_name(child_outcome::end how) {
  switch (how) {
    case child_outcome::end::exited: return "exited";
    case child_outcome::end::signalled: return "signalled";
    case child_outcome::end::timed_out: return "timed_out";
    case child_outcome::end::spawn_failed: return "spawn_failed";
  }
  return "unknown";
}

json isolation_record(const isolated_result& result) {
  const child_outcome& o = result.outcome;
  json record = {{"outcome", outcome_name(o.how)},
                 {"seconds", std::round(o.seconds * 1000.0) / 1000.0},
                 {"output_tail", o.diagnostics}};
  if (o.how == child_outcome::end::exited) record["exit_status"] = o.exit_status;
  if (o.how == child_outcome::end::signalled) {
    record["signal"] = signal_name(o.signal);
    record["signal_number"] = o.signal;
  }
  if (o.how == child_outcome::end::spawn_failed) record["error"] = o.error;
  return record;
}

// The plugin entry for a child that never produced a report.
json synthesized_plugin(const isolated_result& result, const isolation_settings& settings) {
  const json& id = result.identity;
  const std::string file = result.candidate.path;
  const std::string name = json_string(id, "name", plugin_name_from_path(file));
  const child_outcome& o = result.outcome;
  std::string state, message, remedy;
  const std::string disable_hint = fmt::format("BACKPLANE_DISABLE={}", name);
  if (o.how == child_outcome::end::timed_out) {
    state = "probe_timeout";
    message = fmt::format("the isolated load+probe of {} did not finish within {} s and was killed", file,
                          settings.timeout_seconds);
    remedy = fmt::format(
        "a vendor library or driver call is hanging: check `BACKPLANE_LOG=debug backplane doctor --no-isolate` "
        "output for the last step; raise --timeout if the probe is just slow; skip the plugin with {}",
        disable_hint);
  } else if (o.how == child_outcome::end::signalled) {
    state = "probe_crashed";
    message = fmt::format("the isolated load+probe of {} was killed by {} (signal {}) after {:.2f} s", file,
                          signal_name(o.signal), o.signal, o.seconds);
    remedy = fmt::format(
        "the plugin or a library it loads crashed: see the output tail, check that the vendor libraries are a "
        "coherent set (BACKPLANE_LOG=debug); skip the plugin with {} and report it to its vendor",
        disable_hint);
  } else if (o.how == child_outcome::end::spawn_failed) {
    state = "probe_crashed";
    message = "could not start the isolated probe: " + o.error;
    remedy = "retry with --no-isolate, or free process/memory resources";
  } else {
    state = "probe_crashed";
    message = fmt::format("the isolated probe of {} exited with status {} without a report", file, o.exit_status);
    remedy = fmt::format("see the output tail; skip the plugin with {}", disable_hint);
  }
  if (id.contains("load_error"))
    message += "; loading it directly failed: " + json_string(id, "load_error");
  return {{"name", name},
          {"path", file},
          {"version", json_string(id, "version")},
          {"state", state},
          {"stage", "probe"},
          {"cause", state},
          {"message", message},
          {"remedy", remedy},
          {"priority", json_int(id, "priority", 0)},
          {"device_kind", json_string(id, "device_kind", "other")},
          {"abi", id.contains("abi") ? id["abi"] : json(nullptr)},
          {"devices", json::array()},
          {"dependencies", json::array()}};
}

}  // namespace

json merge_isolated_results(const plugin_scan& scan, const std::vector<isolated_result>& results,
                            const runtime_request& request, const isolation_settings& settings) {
  uint32_t abi_major = 0, abi_minor = 0;
  bp_abi_version(&abi_major, &abi_minor);
  json report = {{"schema_version", 1},
                 {"backplane_version", bp_version_string()},
                 {"abi", {{"major", abi_major}, {"minor", abi_minor}}},
                 {"policy", nullptr},
                 {"environment", environment_snapshot()},
                 {"discovery", {{"search_paths", json::array()}, {"candidates", json::array()}}},
                 {"plugins", json::array()},
                 {"selected", nullptr},
                 {"preferred", nullptr},
                 {"events", json::array()},
                 {"placement", {{"ops_on_backend", 0}, {"ops_on_fallback", 0}, {"bytes_moved", 0},
                                {"by_op", json::object()}}},
                 {"verdict", "nothing_usable"},
                 {"isolation", {{"enabled", true}, {"timeout_s", settings.timeout_seconds},
                                {"method", "one forked child per plugin file"}}}};

  for (const scanned_search_path& path : scan.search_paths)
    report["discovery"]["search_paths"].push_back(
        {{"path", path.path}, {"origin", path.origin}, {"exists", path.exists}});

  std::map<std::string, json> candidate_by_path;  // decisions for probed files
  std::map<std::string, std::string> first_path_of;  // plugin name -> file that provided it
  for (const isolated_result& result : results) {
    const std::string& file = result.candidate.path;
    json isolation = isolation_record(result);
    json candidate = {{"path", file}, {"decision", "loaded"}, {"reason", ""}, {"isolation", isolation["outcome"]}};
    std::vector<json> entries;
    if (result.report.is_object()) {
      if (report["policy"].is_null() && result.report.contains("policy")) report["policy"] = result.report["policy"];
      if (result.report.contains("schema_version")) report["schema_version"] = result.report["schema_version"];
      for (const json& c : json_array(json_object(result.report, "discovery"), "candidates")) {
        candidate["decision"] = json_string(c, "decision", "loaded");
        candidate["reason"] = json_string(c, "reason");
        break;  // the child saw exactly this one file
      }
      for (const json& plugin : json_array(result.report, "plugins")) entries.push_back(plugin);
    } else {
      const bool timed_out = result.outcome.how == child_outcome::end::timed_out;
      candidate["decision"] = timed_out ? "probe_timeout" : "probe_crashed";
      entries.push_back(synthesized_plugin(result, settings));
      candidate["reason"] = entries.back()["message"];
    }
    for (json& plugin : entries) {
      plugin["isolation"] = isolation;
      plugin["selected"] = false;
      const std::string name = json_string(plugin, "name");
      const std::string state = json_string(plugin, "state");
      auto earlier = first_path_of.find(name);
      if (earlier != first_path_of.end() && state != "refused" && state != "disabled") {
        // Same rule as the core: the first file providing a name wins.
        plugin["state"] = "refused";
        plugin["cause"] = "duplicate";
        plugin["message"] = fmt::format("a plugin named '{}' was already found at {}; this copy is ignored", name,
                                        earlier->second);
        plugin["remedy"] = "remove one of the copies, or order the search paths so the wanted one comes first";
        candidate["decision"] = "duplicate";
        candidate["reason"] = plugin["message"];
      } else if (earlier == first_path_of.end() && state != "refused") {
        first_path_of[name] = file;
      }
      report["plugins"].push_back(std::move(plugin));
    }
    candidate_by_path[file] = std::move(candidate);
  }
  for (const scanned_candidate& c : scan.candidates) {
    auto found = candidate_by_path.find(c.path);
    if (found != candidate_by_path.end() && c.decision == "probe") {
      report["discovery"]["candidates"].push_back(found->second);
    } else {
      report["discovery"]["candidates"].push_back({{"path", c.path}, {"decision", c.decision}, {"reason", c.reason}});
    }
  }
  if (report["policy"].is_null()) report["policy"] = default_policy(request);
  apply_selection(report);
  return report;
}

void apply_selection(json& report) {
  json& plugins = report["plugins"];
  std::vector<std::string> backends;
  for (const json& name : json_array(json_object(report, "policy"), "backends"))
    if (name.is_string()) backends.push_back(name.get<std::string>());

  std::vector<json*> order;  // candidates, most preferred first
  if (!backends.empty()) {
    for (const std::string& name : backends)
      for (json& plugin : plugins)
        if (json_string(plugin, "name") == name && json_string(plugin, "state") != "refused") {
          order.push_back(&plugin);
          break;
        }
  } else {
    for (json& plugin : plugins) {
      const std::string state = json_string(plugin, "state");
      if (state != "disabled" && state != "refused") order.push_back(&plugin);
    }
    std::stable_sort(order.begin(), order.end(), [](const json* a, const json* b) {
      return json_int(*a, "priority") > json_int(*b, "priority");
    });
  }
  std::string preferred = !backends.empty() ? backends.front() : (order.empty() ? "" : json_string(*order[0], "name"));
  json* selected = nullptr;
  for (json* plugin : order)
    if (json_string(*plugin, "state") == "ready") {
      selected = plugin;
      break;
    }

  for (json& plugin : plugins) plugin["selected"] = (&plugin == selected);
  report["preferred"] = preferred.empty() ? json(nullptr) : json(preferred);
  if (selected) {
    const json& devices = json_array(*selected, "devices");
    report["selected"] = {{"backend", json_string(*selected, "name")},
                          {"device", devices.empty() ? json(nullptr) : devices[0]}};
  } else {
    report["selected"] = nullptr;
  }
  const std::string selected_name = selected ? json_string(*selected, "name") : "";
  report["verdict"] = !selected ? "nothing_usable" : (selected_name == preferred ? "ready" : "fell_back");

  json events = json::array();
  if (!preferred.empty() && selected_name != preferred) {
    const json* wanted = nullptr;
    for (const json& plugin : plugins)
      if (json_string(plugin, "name") == preferred) wanted = &plugin;
    json event = {{"kind", "backend_fallback"}, {"plugin", preferred}, {"selected", selected_name}};
    if (wanted) {
      event["stage"] = json_string(*wanted, "stage", "probe");
      event["cause"] = json_string(*wanted, "cause", "none");
      event["message"] = json_string(*wanted, "message");
      event["remedy"] = json_string(*wanted, "remedy");
    } else {
      event["stage"] = "discover";
      event["cause"] = "not_found";
      event["message"] = fmt::format("no plugin named '{}' was found in the search paths", preferred);
      event["remedy"] = bp_cause_remedy(BP_CAUSE_NOT_FOUND);
    }
    events.push_back(std::move(event));
  }
  report["events"] = std::move(events);
}

}  // namespace bp::cli
