// discovery.cpp — search-path assembly, candidate listing and pre-load refusal.
#include "discovery.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "log.hpp"

namespace fs = std::filesystem;

namespace bp::core {

std::string plugin_name_from_file(const std::string& path) {
  std::string file = fs::path(path).filename().string();
  const std::string prefix = "libbackplane-", suffix = ".so";
  if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0 ||
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  return file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
}

std::string core_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&core_library_dir), &info) == 0 || !info.dli_fname) return "";
  std::error_code ec;
  fs::path p = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path(info.dli_fname).parent_path().string() : p.parent_path().string();
}

namespace {

// Others may write it (or, for a folder, replace what is in it)?
bool writable_by_others(const std::string& path, std::string* which) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IWOTH)) return *which = path, true;
  std::string dir = fs::path(path).parent_path().string();
  if (!dir.empty() && ::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
    return *which = dir, true;
  return false;
}

// "sha256hex  name-or-path" lines; '#' comments.
std::map<std::string, std::string> read_allowlist(const std::string& file, std::string* why) {
  std::map<std::string, std::string> pins;  // hash -> entry
  std::ifstream in(file);
  if (!in) {
    *why = "BACKPLANE_PLUGIN_ALLOWLIST file '" + file + "' cannot be read; every plugin is refused";
    return pins;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string hash, entry;
    ls >> hash >> entry;
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      *why = "BACKPLANE_PLUGIN_ALLOWLIST line " + std::to_string(n) + ": expected a 64-digit lower-case SHA-256";
      continue;
    }
    pins[hash] = entry;
  }
  return pins;
}

}  // namespace

discovery_result discover(const config& cfg) {
  discovery_result r;
  std::vector<std::pair<std::string, std::string>> roots;  // (path, origin)
  for (auto& p : cfg.host_paths) roots.emplace_back(p, "host_api");
  for (auto& p : cfg.env_paths) roots.emplace_back(p, "env");
  if (!cfg.explicit_paths_only) {
    std::string dir = core_library_dir();
    if (!dir.empty()) roots.emplace_back(dir + "/backplane/plugins", "install");
#ifdef BACKPLANE_BUILD_PLUGIN_DIR
    roots.emplace_back(BACKPLANE_BUILD_PLUGIN_DIR, "build");
#endif
  }

  std::set<std::string> seen_dirs, seen_files;
  std::map<std::string, std::string> seen_names;  // plugin name -> first path
  std::string allow_why;
  std::map<std::string, std::string> pins;
  bool use_allowlist = !cfg.allowlist_file.empty();
  if (use_allowlist) {
    pins = read_allowlist(cfg.allowlist_file, &allow_why);
    if (!allow_why.empty()) log_message(BP_LOG_WARN, "loader", allow_why);
  }

  auto refuse = [&](const std::string& path, const std::string& decision, bp_plugin_state state, bp_cause cause,
                    const std::string& reason) {
    r.candidates.push_back({path, decision, reason});
    plugin_record rec;
    rec.path = path;
    rec.name = plugin_name_from_file(path);
    if (rec.name.empty()) rec.name = fs::path(path).filename().string();
    rec.state = state;
    rec.cause = cause;
    rec.stage = BP_STAGE_DISCOVER;
    rec.message = reason;
    rec.remedy = bp_cause_remedy(cause);
    r.refused.push_back(std::move(rec));
    log_message(BP_LOG_INFO, "loader", path + ": " + decision + ": " + reason);
  };

  auto consider_file = [&](const std::string& file) {
    std::error_code ec;
    std::string real = fs::canonical(file, ec).string();
    if (ec) real = file;
    if (!seen_files.insert(real).second) {
      r.candidates.push_back({file, "duplicate", "same file as one already considered (" + real + ")"});
      return;
    }
    std::string name = plugin_name_from_file(file);
    if (!name.empty() && cfg.is_disabled(name)) {
      auto it = cfg.disabled_origin.find(name);
      refuse(file, "disabled", BP_STATE_DISABLED, BP_CAUSE_DISABLED,
             "plugin '" + name + "' is disabled by " + (it != cfg.disabled_origin.end() ? it->second : "the host"));
      return;
    }
    if (!name.empty()) {
      auto it = seen_names.find(name);
      if (it != seen_names.end()) {
        refuse(file, "duplicate", BP_STATE_REFUSED, BP_CAUSE_DUPLICATE,
               "a plugin named '" + name + "' was already found at " + it->second + " (first one found wins)");
        return;
      }
    }
    std::string which;
    if (!cfg.allow_unsafe && writable_by_others(real, &which)) {
      refuse(file, "refused", BP_STATE_REFUSED, BP_CAUSE_UNSAFE_FILE,
             which + " is writable by other users; refusing to load code from it (BACKPLANE_ALLOW_UNSAFE_PLUGINS=1 overrides)");
      return;
    }
    if (use_allowlist) {
      std::string hash = sha256_file(real);
      if (hash.empty() || !pins.count(hash)) {
        refuse(file, "refused", BP_STATE_REFUSED, BP_CAUSE_NOT_ALLOWLISTED,
               "SHA-256 " + (hash.empty() ? std::string("(unreadable)") : hash) + " is not pinned in " + cfg.allowlist_file);
        return;
      }
    }
    if (!name.empty()) seen_names[name] = file;
    r.candidates.push_back({file, "loaded", "accepted"});
    r.to_load.push_back(file);
  };

  for (auto& [path, origin] : roots) {
    search_path_record sp;
    sp.path = path;
    sp.origin = origin;
    if (fs::path(path).is_relative()) {
      sp.note = "refused: relative paths are not searched (they would depend on the current directory)";
      r.search_paths.push_back(sp);
      log_message(BP_LOG_WARN, "loader", "plugin path '" + path + "' (" + origin + ") is relative; ignored. Use an absolute path.");
      continue;
    }
    std::error_code ec;
    bool is_dir = fs::is_directory(path, ec);
    bool is_file = !is_dir && fs::is_regular_file(path, ec);
    sp.exists = is_dir || is_file;
    std::string real = fs::weakly_canonical(path, ec).string();
    if (sp.exists && !seen_dirs.insert(real).second) {
      sp.note = "same folder as an earlier search path";
      r.search_paths.push_back(sp);
      continue;
    }
    r.search_paths.push_back(sp);
    if (is_file) {
      consider_file(path);
      continue;
    }
    if (!is_dir) continue;
    std::vector<std::string> files;
    for (auto& entry : fs::directory_iterator(path, fs::directory_options::skip_permission_denied, ec)) {
      std::string f = entry.path().string();
      if (plugin_name_from_file(f).empty()) continue;  // only libbackplane-*.so
      std::error_code fec;
      if (!entry.is_regular_file(fec)) {
        r.candidates.push_back({f, "skipped", "not a regular file"});
        continue;
      }
      files.push_back(f);
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) consider_file(f);
  }
  return r;
}

}  // namespace bp::core
