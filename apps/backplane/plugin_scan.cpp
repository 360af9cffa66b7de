// plugin_scan.cpp — see plugin_scan.hpp.
#include "plugin_scan.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "backplane/runtime.h"
#include "cli_common.hpp"

namespace fs = std::filesystem;

namespace bp::cli {

namespace {
const char kPrefix[] = "libbackplane-";
const char kSuffix[] = ".so";

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

bool is_plugin_file_name(const std::string& file_name) {
  const std::string prefix(kPrefix), suffix(kSuffix);
  return file_name.size() > prefix.size() + suffix.size() && file_name.compare(0, prefix.size(), prefix) == 0 &&
         ends_with(file_name, suffix);
}

std::string plugin_name_from_path(const std::string& path) {
  std::string file = fs::path(path).filename().string();
  if (is_plugin_file_name(file)) return file.substr(sizeof(kPrefix) - 1, file.size() - (sizeof(kPrefix) - 1) - (sizeof(kSuffix) - 1));
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

plugin_scan scan_plugin_files(const std::vector<std::string>& host_paths, bool explicit_paths_only) {
  plugin_scan scan;
  for (const std::string& path : host_paths) scan.search_paths.push_back({path, "host_api", false});
  if (const char* env = std::getenv("BACKPLANE_PLUGIN_PATH"))
    for (const std::string& path : split_list(env, ':')) scan.search_paths.push_back({path, "env", false});
  if (!explicit_paths_only) {
    const std::string install = install_plugin_folder();
    if (!install.empty()) scan.search_paths.push_back({install, "install", false});
#ifdef BACKPLANE_BUILD_PLUGIN_DIR
    scan.search_paths.push_back({BACKPLANE_BUILD_PLUGIN_DIR, "build", false});
#endif
  }

  std::set<std::string> seen_files;  // canonical paths already listed
  auto add_candidate = [&](const fs::path& file, const std::string& origin) {
    std::error_code ec;
    const std::string canonical = fs::canonical(file, ec).string();
    scanned_candidate candidate{file.string(), origin, "probe", ""};
    if (!ec && !seen_files.insert(canonical).second) {
      candidate.decision = "duplicate";
      candidate.reason = "same file as an earlier candidate (" + canonical + ")";
    }
    scan.candidates.push_back(std::move(candidate));
  };

  for (scanned_search_path& search : scan.search_paths) {
    std::error_code ec;
    const fs::path root(search.path);
    search.exists = fs::exists(root, ec);
    if (!search.exists) continue;
    if (fs::is_regular_file(root, ec)) {  // an explicit plugin file: taken whatever its name
      add_candidate(root, search.origin);
      continue;
    }
    if (!fs::is_directory(root, ec)) continue;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code type_ec;
      if (is_plugin_file_name(name) && it->is_regular_file(type_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());  // deterministic order, as the core's
    for (const fs::path& file : files) add_candidate(file, search.origin);
  }
  return scan;
}

}  // namespace bp::cli
