// plugin_scan.hpp — lists plugin candidate files WITHOUT running plugin code.
//
// `--isolate` must know which files to probe before any of them is loaded
// (loading runs the plugin's constructors, and probing may crash or hang).
// This walks the same search folders, in the same order and with the same
// file-name rule, as the core's discovery (docs/operations.md, "Discovery"),
// using only the file system. tests/cli checks that it lists the same
// candidates as the core's own (in-process) discovery.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bp::cli {

struct scanned_search_path {
  std::string path;
  std::string origin;  // "host_api", "env", "install", "build"
  bool exists = false;
};

struct scanned_candidate {
  std::string path;      // as found (folder + file name, or the explicit file)
  std::string origin;    // origin of the search path it came from
  std::string decision;  // "probe" (to be probed), "duplicate", "skipped"
  std::string reason;
};

struct plugin_scan {
  std::vector<scanned_search_path> search_paths;
  std::vector<scanned_candidate> candidates;
};

// host_paths: --plugin-path entries (folders or files). With
// explicit_paths_only the install and build folders are left out.
plugin_scan scan_plugin_files(const std::vector<std::string>& host_paths, bool explicit_paths_only);

// True for "libbackplane-<name>.so": the file-name rule for plugins found in folders.
bool is_plugin_file_name(const std::string& file_name);

// "libbackplane-cudnn.so" -> "cudnn"; other names are returned without folder.
std::string plugin_name_from_path(const std::string& path);

// The folder of the loaded core library + "/backplane/plugins" ("" if unknown).
std::string install_plugin_folder();

}  // namespace bp::cli
