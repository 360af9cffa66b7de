// report_merge.hpp — builds one report from the isolated children's reports,
// and recomputes the selection the way the core does.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "isolated_probe.hpp"
#include "plugin_scan.hpp"
#include "report_collect.hpp"

namespace bp::cli {

// One report (the core's schema, plus "isolation" keys) from per-file results.
nlohmann::json merge_isolated_results(const plugin_scan& scan, const std::vector<isolated_result>& results,
                                      const runtime_request& request, const isolation_settings& settings);

// Sets "preferred", "selected", "events" and "verdict" from "plugins" and
// "policy" with the core's selection rule: candidates are the policy's
// backends in their order when given, else every plugin that is neither
// disabled nor refused, highest priority first; the preferred backend is the
// first candidate; the selected one is the first candidate whose state is
// "ready".
void apply_selection(nlohmann::json& report);

}  // namespace bp::cli
