// modes.hpp — the grad, perf and support modes of the kit (internal).
#pragma once

#include <string>

#include "checks.hpp"

namespace bp::conformance::detail {

// The plugin's table name travels from the child through this pseudo check
// (detail = the name); backplane_conformance_run moves it into the report.
inline const char* const kPluginNote = "_plugin";

// The checks of opts.run_mode (grad, perf or support) on the plugin file.
void run_mode_checks(const std::string& plugin_path, const options& opts, results& out);

// perf and support: the rows their checks carry become report.measurements
// (with fractions of the measured peaks) and the checks' details plain text.
void collect_measurements(report& rep);

}  // namespace bp::conformance::detail
