// discovery.cpp — search-path assembly, candidate listing and pre-load refusal.
#include "discovery.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "backplane/text.hpp"
#include "file_safety.hpp"
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

std::string plugin_record_name(const std::string& path) {
  std::string name = plugin_name_from_file(path);
  return printable_line(name.empty() ? fs::path(path).filename().string() : name);
}

std::string core_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&core_library_dir), &info) == 0 || !info.dli_fname) return "";
  std::error_code ec;
  fs::path p = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path(info.dli_fname).parent_path().string() : p.parent_path().string();
}

namespace {

// Can this process open the file at all? "" when yes, else why not (with errno).
std::string open_failure(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return "cannot open " + path + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
  }
  ::close(fd);
  return "";
}

}  // namespace

namespace {

// One discovery: the roots in order, each file's pre-load decision, and what
// was seen; every rule that needs no plugin code runs here.
class discovery_walk {
 public:
  explicit discovery_walk(const config& cfg) : cfg_(cfg) {}

  discovery_result run() {
    for (auto& [path, origin] : roots()) search_root(path, origin);
    return std::move(r_);
  }

 private:
  std::vector<std::pair<std::string, std::string>> roots() const {  // (path, origin)
    std::vector<std::pair<std::string, std::string>> roots;
    for (auto& p : cfg_.host_paths) roots.emplace_back(p, "host_api");
    for (auto& p : cfg_.env_paths) roots.emplace_back(p, "env");
    if (!cfg_.explicit_paths_only) {
      std::string dir = core_library_dir();
      // Also the build tree's layout (lib/backplane/plugins next to lib/libbackplane.so).
      if (!dir.empty()) roots.emplace_back(dir + "/backplane/plugins", "install");
    }
    return roots;
  }

  void refuse(const std::string& path, const std::string& decision, bp_plugin_state state, bp_cause cause,
              const std::string& reason, const std::string& remedy = "") {
    r_.candidates.push_back({path, decision, reason});
    plugin_record rec;
    rec.path = path;
    rec.name = plugin_record_name(path);
    rec.state = state;
    rec.cause = cause;
    rec.stage = BP_STAGE_DISCOVER;
    rec.message = reason;
    rec.remedy = remedy.empty() ? bp_cause_remedy(cause) : remedy;
    r_.refused.push_back(std::move(rec));
    log_message(BP_LOG_INFO, "loader", path + ": " + decision + ": " + reason);
  }

  void consider_file(const std::string& file) {
    std::error_code ec;
    std::string real = fs::canonical(file, ec).string();
    if (ec) real = file;
    if (!seen_files_.insert(real).second) {
      r_.candidates.push_back({file, "duplicate", "same file as one already considered (" + real + ")"});
      return;
    }
    std::string name = plugin_name_from_file(file);
    if (!is_plugin_name(name)) {
      refuse(file, "refused", BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN,
             "the file name does not name a plugin: a plugin file is libbackplane-<name>.so, <name> made of letters, "
             "digits, '-', '_' and '.' (at most 64)",
             "rename the file to libbackplane-<its plugin name>.so, or remove it from the plugin folders");
      return;
    }
    if (cfg_.is_disabled(name)) {
      auto it = cfg_.disabled_origin.find(name);
      refuse(file, "disabled", BP_STATE_DISABLED, BP_CAUSE_DISABLED,
             "plugin '" + name + "' is disabled by " + (it != cfg_.disabled_origin.end() ? it->second : "the host"));
      return;
    }
    if (auto it = seen_names_.find(name); it != seen_names_.end()) {
      refuse(file, "duplicate", BP_STATE_REFUSED, BP_CAUSE_DUPLICATE,
             "a plugin named '" + name + "' was already found at " + it->second + " (first one found wins)");
      return;
    }
    if (std::string why = cfg_.allow_unsafe ? "" : unsafe_file_reason(file); !why.empty()) {
      refuse(file, "refused", BP_STATE_REFUSED, BP_CAUSE_UNSAFE_FILE,
             why + ": someone other than its owner or root could change the code; refusing to load it "
                   "(BACKPLANE_ALLOW_UNSAFE_PLUGINS=1 overrides, not in privileged processes)");
      return;
    }
    if (std::string why = open_failure(real); !why.empty()) {
      refuse(file, "unreadable", BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_FOUND, why,
             "make the file readable by the user running Backplane (uid " + std::to_string(::geteuid()) +
                 "), or remove it from the plugin folders");
      return;
    }
    if (!cfg_.allowlist_file.empty()) {
      std::string why;
      std::string hash = sha256_file(real, &why);
      if (hash.empty() || !cfg_.allowlist.count(hash)) {
        refuse(file, "refused", BP_STATE_REFUSED, BP_CAUSE_NOT_ALLOWLISTED,
               hash.empty() ? "cannot check it against " + cfg_.allowlist_file + ": " + why
                            : "SHA-256 " + hash + " is not pinned in " + cfg_.allowlist_file);
        return;
      }
    }
    seen_names_[name] = file;
    r_.candidates.push_back({file, "loaded", "accepted"});
    r_.to_load.push_back(file);
  }

  void search_root(const std::string& path, const std::string& origin) {
    search_path_record sp;
    sp.path = path;
    sp.origin = origin;
    if (fs::path(path).is_relative()) {
      sp.state = "refused";
      sp.note = "refused: relative paths are not searched (they would depend on the current directory)";
      r_.search_paths.push_back(sp);
      log_message(BP_LOG_WARN, "loader", "plugin path '" + path + "' (" + origin + ") is relative; ignored. Use an absolute path.");
      return;
    }
    const path_kind kind = describe_path(path);
    struct stat link {};
    sp.exists = ::lstat(path.c_str(), &link) == 0;
    if (kind.kind == path_kind::folder) {
      sp.state = "listed";
    } else if (kind.kind == path_kind::regular_file) {
      sp.state = "file";
    } else {
      sp.state = kind.kind == path_kind::missing && !sp.exists ? "missing" : "not_usable";
      if (kind.text != "missing") sp.note = kind.text + ": not searched";
    }
    std::error_code ec;
    std::string real = fs::weakly_canonical(path, ec).string();
    if ((kind.kind == path_kind::folder || kind.kind == path_kind::regular_file) && !seen_dirs_.insert(real).second) {
      sp.state = "duplicate";
      sp.note = "same folder as an earlier search path";
      r_.search_paths.push_back(sp);
      return;
    }
    if (kind.kind == path_kind::regular_file) {
      r_.search_paths.push_back(sp);
      consider_file(path);
      return;
    }
    if (kind.kind != path_kind::folder) {
      r_.search_paths.push_back(sp);
      return;
    }
    list_folder(path, origin, sp);
  }

  // The libbackplane-*.so regular files of a folder, in sorted order.
  void list_folder(const std::string& path, const std::string& origin, search_path_record sp) {
    std::error_code ec;
    std::vector<std::string> files;
    fs::directory_iterator it(path, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::string f = it->path().string();
      if (plugin_name_from_file(f).empty()) continue;  // only libbackplane-*.so
      const path_kind entry = describe_path(f);
      if (entry.kind != path_kind::regular_file) {
        r_.candidates.push_back({f, "skipped", entry.text + ": not a plugin file"});
        continue;
      }
      files.push_back(f);
    }
    if (ec) {  // an unreadable folder is not an empty one
      sp.state = "unreadable";
      sp.note = "cannot be listed (" + ec.message() + "): plugins in it, if any, were not seen";
      log_message(BP_LOG_WARN, "loader", "plugin folder " + path + " (" + origin + ") " + sp.note);
    }
    r_.search_paths.push_back(sp);
    std::sort(files.begin(), files.end());
    for (auto& f : files) consider_file(f);
  }

  const config& cfg_;
  discovery_result r_;
  std::set<std::string> seen_dirs_, seen_files_;
  std::map<std::string, std::string> seen_names_;  // plugin name -> first path
};

}  // namespace

discovery_result discover(const config& cfg) { return discovery_walk(cfg).run(); }

}  // namespace bp::core
