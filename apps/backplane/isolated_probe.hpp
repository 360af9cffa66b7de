// isolated_probe.hpp — `--isolate`: every plugin file is loaded and probed by
// the core in its own child process, with a timeout, and the per-plugin
// results are merged into one report (same schema as the core's).
//
// Why: a vendor library may crash (abort in cuDNN init) or hang (driver
// deadlock) inside the probe, and a plugin may write to stdout or end the
// process (exit, _exit). In-process, that takes the tool down or corrupts its
// output and the user learns nothing; isolated, that plugin is reported
// probe_crashed (with the signal or exit status) or probe_timeout and the
// others are still diagnosed.
//
// How (docs/operations.md, "Isolation"):
//   1. plugin_scan lists candidate files WITHOUT running plugin code
//      (the core's bp_discover_json);
//   2. per file, a forked child (a) runs the core's file pre-check
//      (bp_plugin_file_check: a truncated file is reported as such, never
//      mapped), (b) reads the plugin's identity table (name, priority, device
//      kind) through its entry symbol and sends it at once, (c) calls
//      bp_runtime_create with plugin_paths = {file}, explicit_paths_only = 1,
//      fallback = allow, and sends the core's report, then (d) for a ready
//      backend runs the post-init check: one tiny op, then a settle time, so
//      a plugin or vendor thread that crashes shortly after init is caught
//      here and not in the host; the parent kills it at the deadline;
//   3. the parent merges the children's plugin entries and recomputes the
//      selection with the core's rule (report_merge.hpp).
//
// Without isolation (--no-isolate) every plugin is probed in ONE child, as a
// host application would load them; the tool itself still survives it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "plugin_scan.hpp"
#include "report_collect.hpp"

namespace bp::cli {

struct isolation_settings {
  double timeout_seconds = 10.0;
  // How long a child stays alive after its post-init op before the backend counts as ready.
  double settle_seconds = 0.5;
};

// One candidate file and what its child produced.
struct isolated_result {
  std::string file;
  child_outcome outcome;
  nlohmann::json identity;  // {"name","version","priority","device_kind","abi":{...}} or {"load_error"} or null
  nlohmann::json report;    // the child's core report, or null
  bool created = false;     // the child's runtime was created (its backend initialised)
  nlohmann::json check;     // the post-init check: {"ok","what","error"}, or null when it never finished
};

// Probes one plugin file in a child.
isolated_result probe_file_isolated(const std::string& file, const runtime_request& request,
                                    const isolation_settings& settings);

// The whole isolated diagnosis, as one report.
nlohmann::json isolated_report(const runtime_request& request, const isolation_settings& settings);

// The report `devices` and `doctor` show: isolated (one child per plugin file)
// or in-process (every plugin in one child; marked "isolation": {"enabled": false}).
// Throws configuration_error when the core refuses the settings themselves.
nlohmann::json gather_report(const runtime_request& request, bool isolate, double timeout_seconds);

}  // namespace bp::cli
