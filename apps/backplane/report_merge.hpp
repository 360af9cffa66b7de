// report_merge.hpp — builds one report from the isolated children's reports;
// the selection over it is the core's (bp_select_report_json).
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

}  // namespace bp::cli
