// report_merge.cpp — see report_merge.hpp.
#include "report_merge.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "backplane/runtime.h"
#include "cli_common.hpp"

namespace bp::cli {

namespace {

using json = nlohmann::json;

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
  if (result.check.is_object()) record["post_init_check"] = result.check;
  return record;
}

// The plugin entry for a child that never produced a report.
json synthesized_plugin(const isolated_result& result, const isolation_settings& settings) {
  const json& id = result.identity;
  const std::string file = result.file;
  const std::string name = json_string(id, "name", plugin_name_from_path(file));
  const child_outcome& o = result.outcome;
  const std::string disable_hint = fmt::format("BACKPLANE_DISABLE={}", name);
  const bool timed_out = o.how == child_outcome::end::timed_out;
  const std::string state = timed_out ? "probe_timeout" : "probe_crashed";
  std::string message = fmt::format("the isolated load+probe of {} {}", file, describe_child_end(o, settings.timeout_seconds));
  std::string remedy;
  if (timed_out) {
    remedy = fmt::format(
        "a vendor library or driver call is hanging: check `BACKPLANE_LOG=debug backplane doctor --no-isolate` "
        "output for the last step; raise --timeout if the probe is just slow; skip the plugin with {}",
        disable_hint);
  } else if (o.how == child_outcome::end::signalled) {
    remedy = fmt::format(
        "the plugin or a library it loads crashed: see the output tail, check that the vendor libraries are a "
        "coherent set (BACKPLANE_LOG=debug); skip the plugin with {} and report it to its vendor",
        disable_hint);
  } else if (o.how == child_outcome::end::spawn_failed) {
    remedy = "retry with --no-isolate, or free process/memory resources";
  } else {
    message += " without a report";
    remedy = fmt::format("a plugin must never end its host process: see the output tail; skip the plugin with {} "
                         "and report it to its vendor", disable_hint);
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

// A backend the child initialised is ready only if the post-init check (one
// tiny op, then the settle time) passed with the child still alive.
void apply_post_init_check(json& plugin, const isolated_result& result, const isolation_settings& settings) {
  if (!result.created || json_string(plugin, "state") != "ready" || !json_bool(plugin, "selected")) return;
  const json& check = result.check;
  if (check.is_object() && json_bool(check, "ok")) return;
  const std::string name = json_string(plugin, "name");
  if (check.is_object()) {  // the child lived, the op failed
    plugin["state"] = "init_failed";
    plugin["cause"] = "plugin_error";
    plugin["message"] = fmt::format("initialised, but its first operation ({}) failed: {}",
                                    json_string(check, "what"), json_string(check, "error"));
    plugin["remedy"] = fmt::format("the backend cannot run work although it initialised: check its vendor "
                                   "libraries (BACKPLANE_LOG=debug); skip it with BACKPLANE_DISABLE={}", name);
  } else {
    const bool timed_out = result.outcome.how == child_outcome::end::timed_out;
    plugin["state"] = timed_out ? "probe_timeout" : "probe_crashed";
    plugin["cause"] = plugin["state"];
    plugin["message"] = fmt::format(
        "initialised, then the isolated process {} during the post-init check (one tiny op, then {} s alive): "
        "the plugin or a vendor thread {} shortly after init, and would do the same in a host application",
        describe_child_end(result.outcome, settings.timeout_seconds), settings.settle_seconds,
        timed_out ? "hangs" : "fails");
    plugin["remedy"] = fmt::format("see the output tail; skip the plugin with BACKPLANE_DISABLE={} and report it to "
                                   "its vendor", name);
  }
  plugin["stage"] = "init";
  plugin["devices"] = json::array();
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
                 {"environment", json::object()},
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

  report["discovery"] = scan.discovery;
  // As in the core's report: files refused before loading come first.
  for (const json& refused : scan.refused) report["plugins"].push_back(refused);
  std::map<std::string, json> candidate_by_path;  // decisions for probed files
  for (const isolated_result& result : results) {
    const std::string& file = result.file;
    json isolation = isolation_record(result);
    json candidate = {{"path", file}, {"decision", "loaded"}, {"reason", ""}, {"isolation", isolation["outcome"]}};
    std::vector<json> entries;
    if (result.report.is_object() && json_string(result.report, "verdict") == "error") {
      // The core refused the settings themselves (the same in every child): a configuration error.
      throw configuration_error(json_string(json_object(result.report, "runtime_error"), "message",
                                            "the core refused the settings"));
    }
    if (result.report.is_object()) {
      if (result.report.contains("schema_version")) report["schema_version"] = result.report["schema_version"];
      for (const json& c : json_array(json_object(result.report, "discovery"), "candidates")) {
        candidate["decision"] = json_string(c, "decision", "loaded");
        candidate["reason"] = json_string(c, "reason");
        break;  // the child saw exactly this one file
      }
      for (const json& plugin : json_array(result.report, "plugins")) {
        // A backend-list name the child could not find is about the child's one-file search,
        // not the real one; the core's selection re-creates it against the real search paths.
        if (json_string(plugin, "path").empty() && json_string(plugin, "cause") == "not_found") continue;
        entries.push_back(plugin);
      }
    } else {
      const bool timed_out = result.outcome.how == child_outcome::end::timed_out;
      candidate["decision"] = timed_out ? "probe_timeout" : "probe_crashed";
      entries.push_back(synthesized_plugin(result, settings));
      candidate["reason"] = entries.back()["message"];
    }
    for (json& plugin : entries) {
      apply_post_init_check(plugin, result, settings);
      plugin["isolation"] = isolation;
      report["plugins"].push_back(std::move(plugin));
    }
    candidate_by_path[file] = std::move(candidate);
  }
  for (json& candidate : report["discovery"]["candidates"]) {
    auto found = candidate_by_path.find(json_string(candidate, "path"));
    if (found != candidate_by_path.end() && json_string(candidate, "decision") == "loaded") candidate = found->second;
  }
  // Disabled, duplicates across files, candidate order, preferred, selected,
  // events, verdict, policy: decided by the core, as bp_runtime_create does.
  return core_selection(request, report);
}

}  // namespace bp::cli
