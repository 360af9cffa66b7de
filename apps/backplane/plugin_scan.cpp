// plugin_scan.cpp — see plugin_scan.hpp.
#include "plugin_scan.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <system_error>

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

std::string install_plugin_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&bp_version_string), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  fs::path library = fs::canonical(info.dli_fname, ec);
  if (ec) library = info.dli_fname;
  return (library.parent_path() / "backplane" / "plugins").string();
}

plugin_scan scan_plugin_files(const runtime_request& request) {
  std::vector<const char*> paths;
  for (const std::string& path : request.plugin_paths) paths.push_back(path.c_str());
  bp_runtime_options options;
  bp_runtime_options_init(&options);
  options.plugin_paths = paths.empty() ? nullptr : paths.data();
  options.num_plugin_paths = static_cast<uint32_t>(paths.size());
  options.backends = request.backends.empty() ? nullptr : request.backends.c_str();
  options.fallback = BP_FALLBACK_ALLOW;
  options.explicit_paths_only = request.explicit_paths_only ? 1 : 0;

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
