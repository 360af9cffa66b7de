// report_collect.hpp — asking the core for its report, in this process.
//
// Used directly by `devices` and `doctor --no-isolate`, and inside each child
// of an isolated probe (isolated_probe.hpp).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backplane/runtime.h"

namespace bp::cli {

// What to ask the core for.
struct runtime_request {
  std::vector<std::string> plugin_paths;  // searched first (origin host_api)
  std::string backends;                   // "" => BACKPLANE_BACKEND / priority order
  bool explicit_paths_only = false;       // skip the build-tree and install folders
};

struct collected_report {
  nlohmann::json report = nlohmann::json::object();
  bool runtime_created = false;  // bp_runtime_create succeeded
  std::string error;             // its message when it failed
};

// Discovers, loads, probes and selects exactly as a host application would,
// except that the fallback policy is forced to "allow" (so a fallback still
// yields a runtime and a report, and nothing is printed); the report's
// policy.fallback is then set back to what a host would get.
collected_report collect_report_in_process(const runtime_request& request);

// The report JSON of a created runtime (throws std::runtime_error on failure).
std::string runtime_report_text(bp_runtime_t runtime);

// When bp_runtime_create fails the core puts the full report in the error
// message; this extracts its JSON object, or returns a null json.
nlohmann::json report_from_failure_message(const std::string& message);

// The fallback policy a host would get from the environment: "allow", "warn" or "error".
std::string effective_fallback_policy();

// The variables that influence discovery and selection, as the report shows
// them: every BACKPLANE_* variable plus LD_LIBRARY_PATH and CUDA_VISIBLE_DEVICES
// (null when unset).
nlohmann::json environment_snapshot();

}  // namespace bp::cli
