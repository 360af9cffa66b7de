// plugin_scan.hpp — which plugin files to probe, WITHOUT running plugin code.
//
// `--isolate` must know the files before any of them is loaded (loading runs
// the plugin's constructors; probing may crash or hang). The core answers
// that through bp_discover_json: its own search order and every decision that
// needs no loading (unsafe, not allowlisted, disabled, duplicate).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report_collect.hpp"

namespace bp::cli {

struct plugin_scan {
  nlohmann::json discovery;            // {"search_paths": [...], "candidates": [...]} as the core reports them
  nlohmann::json refused;              // plugin records for files refused before loading
  std::vector<std::string> to_probe;   // accepted files, in search order
};

// Throws configuration_error when the core rejects the settings.
plugin_scan scan_plugin_files(const runtime_request& request);

// "libbackplane-cudnn.so" -> "cudnn"; other names are returned without folder.
std::string plugin_name_from_path(const std::string& path);

}  // namespace bp::cli
