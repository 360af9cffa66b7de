// report_collect.hpp — asking the core for its report, in this process.
//
// Used directly by `devices` and `doctor --no-isolate`, and inside each child
// of an isolated probe (isolated_probe.hpp).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backplane/runtime.h"

namespace bp::cli {

// bp_runtime_create refused the settings themselves (bad BACKPLANE_* value,
// fault injection refused...): the tool prints it and exits with 1.
struct configuration_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The one rule for what a failed bp_runtime_create means: "nothing can serve"
// (BP_ERR_UNAVAILABLE, or BP_ERR_POLICY under BACKPLANE_FALLBACK=error: exit 3
// where a command reports a verdict) or a configuration error (any other
// status, e.g. INVALID_ARGUMENT for a bad BACKPLANE_* value or a setting a
// plugin rejects: exit 1, never a silent fallback).
bool is_configuration_status(bp_status status);

// What to ask the core for.
struct runtime_request {
  std::vector<std::string> plugin_paths;  // searched first (origin host_api)
  std::string backends;                   // "" => BACKPLANE_BACKEND / priority order
  bool explicit_paths_only = false;       // skip the build-tree and install folders
  // Isolated children _exit() right after sending the report: they skip
  // bp_runtime_destroy so a plugin's shutdown bug (seen: a thread-pool join
  // that never returns) cannot turn a finished probe into a timeout.
  bool skip_destroy = false;
  // Called with the created runtime and its report before it is destroyed
  // (isolated children send the report, then run their post-init check).
  std::function<void(bp_runtime_t, const nlohmann::json& report)> while_created;
};

struct collected_report {
  nlohmann::json report = nlohmann::json::object();
  bool runtime_created = false;  // the first bp_runtime_create succeeded
  bp_status status = BP_OK;      // its status
  std::string error;             // its message when it failed
  // Creation failed for a reason other than "nothing usable" (a bad
  // BACKPLANE_* value, fault injection refused...): report holds no plugins
  // and the tool should print `error` and exit 1.
  bool configuration_error = false;
};

// Discovers, loads, probes and selects exactly as a host application would,
// except that the fallback policy is forced to "allow" (so a fallback still
// yields a runtime and a report, and nothing is printed); the report's
// policy.fallback is then set back to what a host would get.
//
// When nothing can serve, bp_runtime_create fails; the structured report of
// that attempt comes from bp_last_failure_report_json.
collected_report collect_report_in_process(const runtime_request& request);

// The report JSON of a created runtime (throws std::runtime_error on failure).
std::string runtime_report_text(bp_runtime_t runtime);


// The bp_runtime_options for a request (the strings live in the request and here).
class runtime_options_holder {
 public:
  explicit runtime_options_holder(const runtime_request& request);
  runtime_options_holder(const runtime_options_holder&) = delete;
  runtime_options_holder& operator=(const runtime_options_holder&) = delete;
  const bp_runtime_options& options() const { return options_; }

 private:
  std::vector<const char*> paths_;
  bp_runtime_options options_{};
};

// `report` with the core's selection applied (bp_select_report_json): the
// policy and environment a host would get, disabled and duplicate plugins,
// candidate order, preferred, selected, events and verdict. The tool holds
// no selection or configuration rule of its own. Throws configuration_error
// when the core refuses the settings.
nlohmann::json core_selection(const runtime_request& request, const nlohmann::json& report);

}  // namespace bp::cli
