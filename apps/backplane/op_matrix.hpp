// op_matrix.hpp — what `backplane conformance --mode support|perf` and
// `backplane devices --ops` print across plugins: the kit's reports
// (sdk/conformance) as one table, op kinds by plugins.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backplane/conformance/conformance.hpp"

namespace bp::cli {

// Plugin files the core's discovery accepts (search order), restricted to
// `names` (table names as in libbackplane-NAME.so; empty keeps all); extra
// search folders first. Throws configuration_error for settings the core rejects.
std::vector<std::string> discovered_plugin_files(const std::vector<std::string>& names,
                                                 const std::vector<std::string>& search_paths);

// Support: per op kind and plugin "claimed/cases", then each plugin's reasons for declining.
std::string render_support_matrix(const std::vector<bp::conformance::report>& reports);
// Perf: per case and plugin the rate (GFLOP/s for GEMM and convolutions, GB/s
// otherwise) and its share of that plugin's measured peak.
std::string render_perf_table(const std::vector<bp::conformance::report>& reports);
// {"plugins": [...], "ops": {"GEMM": {"openblas-cpu": {"claimed": n, "cases": m, "declined": [reasons]}}}}
nlohmann::json support_matrix_json(const std::vector<bp::conformance::report>& reports);

}  // namespace bp::cli
