// plugin_scan.cpp — see plugin_scan.hpp.
#include "plugin_scan.hpp"

#include <filesystem>

#include "backplane/runtime.h"
#include "cli_common.hpp"

namespace fs = std::filesystem;

namespace bp::cli {

std::string plugin_name_from_path(const std::string& path) {
  const std::string file = fs::path(path).filename().string();
  const std::string prefix = "libbackplane-", suffix = ".so";
  if (file.size() > prefix.size() + suffix.size() && file.compare(0, prefix.size(), prefix) == 0 &&
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
    return file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
  return file;
}

plugin_scan scan_plugin_files(const runtime_request& request) {
  runtime_options_holder holder(request);
  const bp_runtime_options& options = holder.options();

  uint64_t needed = 0;
  if (bp_discover_json(&options, nullptr, 0, &needed) != BP_OK) throw configuration_error(bp_last_error_message());
  std::string text(needed, '\0');
  if (bp_discover_json(&options, text.data(), text.size(), &needed) != BP_OK)
    throw configuration_error(bp_last_error_message());
  text.resize(needed ? needed - 1 : 0);
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) throw std::runtime_error("bp_discover_json returned invalid JSON");

  plugin_scan scan;
  scan.discovery = json_object(parsed, "discovery");
  scan.refused = json_array(parsed, "refused");
  for (const nlohmann::json& candidate : json_array(scan.discovery, "candidates"))
    if (json_string(candidate, "decision") == "loaded") scan.to_probe.push_back(json_string(candidate, "path"));
  return scan;
}

}  // namespace bp::cli
