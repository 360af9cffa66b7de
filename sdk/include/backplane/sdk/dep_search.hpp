// backplane/sdk/dep_search.hpp — WHERE a plugin looks for a vendor library
// (header-only; dep_loader.hpp opens the folders this builds, in order).
//
// The search order, each folder recorded with its origin in the report:
//   1. the override setting's folders (BACKPLANE_CUDNN_PATH, ...; origin env,
//      each entry plus its lib64/ and lib/ subfolders);
//   2. the active Python environments' wheel folders <site-packages>/nvidia/*/lib
//      (origin env, result tagged "[python: ...]"): $VIRTUAL_ENV, $CONDA_PREFIX,
//      the prefix of every python3* on PATH (<prefix>/bin/python3 ->
//      <prefix>/lib/python3.*/{site,dist}-packages, a venv's pyvenv.cfg base when
//      it includes the system site-packages), and ~/.local. No Python runs: the
//      folders are found from the file system alone. Only folders holding a
//      file named like the library (lib<x>.so.*) are listed;
//   3. conda environments' lib/ ($CONDA_PREFIX, and any prefix above holding
//      conda-meta/; origin env, "[conda: ...]");
//   4. the toolkit folder seen at build time (origin build);
//   5. the dynamic linker's default (origin system: LD_LIBRARY_PATH, the
//      ldconfig cache /etc/ld.so.cache, the default folders).
// BACKPLANE_DEP_SEARCH (dep_search_words.hpp) turns locations off:
// override_only, no_python, no_conda, no_environments. In secure mode
// (secure_mode.hpp) nothing derived from the environment is searched: no
// override, no DEP_SEARCH, no Python or conda environment, and the report
// says so.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "backplane/abi.h"
#include "backplane/sdk/dep_search_words.hpp"
#include "backplane/sdk/plugin.hpp"

namespace bp::sdk {

struct dep_folder {
  bp_search_origin origin = BP_ORIGIN_SYSTEM;
  std::string directory;  // "" = the dynamic linker's default search (bare soname)
  std::string ignored;    // when set: not searched, and why (a setting the secure-mode rule dropped)
  std::string label;      // where the folder came from beyond its origin ("python: VIRTUAL_ENV=/v")
};

// A Python (or conda) environment found without running Python.
struct dep_python_env {
  std::string prefix;    // /home/u/venv
  std::string found_by;  // "VIRTUAL_ENV", "python3 on PATH (/usr/bin/python3)", ...
  bool conda = false;    // prefix/conda-meta exists
};

namespace dep_search_detail {

inline bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
inline bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
inline std::string real(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}
inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
inline std::string strip_slashes(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}
// Entry names of a folder, sorted (empty when it cannot be read).
inline std::vector<std::string> list(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}
inline bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (!s.empty() && pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}
// "libcudnn.so.9" -> "libcudnn.so." (files of any major share it).
inline std::string soname_stem(const std::string& soname) {
  const size_t at = soname.find(".so.");
  return at == std::string::npos ? soname + "." : soname.substr(0, at + 4);
}
// True for "libcudnn.so.<digits>" (not the dev link libcudnn.so, not libcudnn.so.9.19.0).
inline bool is_soname_file(const std::string& name, const std::string& stem) {
  if (!starts_with(name, stem) || name.size() == stem.size()) return false;
  return std::all_of(name.begin() + static_cast<long>(stem.size()), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}
inline bool holds_stem(const std::string& dir, const std::string& stem) {
  for (const std::string& n : list(dir))
    if (is_soname_file(n, stem)) return true;
  return false;
}

// The key = value lines of a venv's pyvenv.cfg.
inline std::string pyvenv_value(const std::string& prefix, const std::string& key) {
  std::ifstream in(prefix + "/pyvenv.cfg");
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    auto trim = [](std::string& s) {
      const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
      s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    trim(k), trim(v);
    if (k == key) return v;
  }
  return {};
}

}  // namespace dep_search_detail

// The Python/conda environments a user has active, found from VIRTUAL_ENV,
// CONDA_PREFIX, the python3* interpreters on PATH and ~/.local, without
// running Python. Empty in secure mode (all of these come from the environment).
inline std::vector<dep_python_env> dep_python_environments() {
  namespace d = dep_search_detail;
  std::vector<dep_python_env> envs;
  if (secure_mode()) return envs;
  std::vector<std::string> seen;
  auto add = [&](const std::string& prefix, const std::string& found_by) {
    if (prefix.empty() || prefix[0] != '/' || !d::is_dir(prefix)) return;
    const std::string key = d::real(prefix);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
    seen.push_back(key);
    envs.push_back({d::strip_slashes(prefix), found_by, d::is_dir(prefix + "/conda-meta")});
    // A venv made with --system-site-packages also sees its base interpreter's packages.
    const std::string home = d::pyvenv_value(prefix, "home");
    if (d::pyvenv_value(prefix, "include-system-site-packages") == "true" && home.size() > 4 &&
        home.compare(home.size() - 4, 4, "/bin") == 0) {
      const std::string base = home.substr(0, home.size() - 4);
      const std::string base_key = d::real(base);
      if (d::is_dir(base) && std::find(seen.begin(), seen.end(), base_key) == seen.end()) {
        seen.push_back(base_key);
        envs.push_back({base, "base of " + prefix + " (pyvenv.cfg include-system-site-packages)",
                        d::is_dir(base + "/conda-meta")});
      }
    }
  };
  add(d::env("VIRTUAL_ENV"), "VIRTUAL_ENV");
  add(d::env("CONDA_PREFIX"), "CONDA_PREFIX");
  for (std::string dir : d::split(d::env("PATH"), ':')) {
    dir = d::strip_slashes(dir);
    if (dir.size() < 5 || dir[0] != '/' || dir.compare(dir.size() - 4, 4, "/bin") != 0) continue;
    for (const std::string& n : d::list(dir)) {
      const bool python3 = n == "python3" || (d::starts_with(n, "python3.") && n.size() > 8 &&
                                               std::all_of(n.begin() + 8, n.end(), [](char c) { return c >= '0' && c <= '9'; }));
      if (!python3 || !d::is_file(dir + "/" + n)) continue;
      add(dir.substr(0, dir.size() - 4), "python3 on PATH (" + dir + "/" + n + ")");
      break;
    }
  }
  const std::string home = d::env("HOME");
  if (!home.empty()) add(d::strip_slashes(home) + "/.local", "user site-packages (~/.local)");
  return envs;
}

// The site-packages/dist-packages folders of one environment prefix.
inline std::vector<std::string> dep_site_folders(const std::string& prefix) {
  namespace d = dep_search_detail;
  std::vector<std::string> out, real;  // a venv's lib64 is often a link to lib: one entry per real folder
  for (const char* lib : {"/lib", "/lib64", "/local/lib"})
    for (const std::string& n : d::list(prefix + lib))
      if (d::starts_with(n, "python3"))
        for (const char* sub : {"/site-packages", "/dist-packages"}) {
          const std::string site = prefix + lib + "/" + n + sub;
          if (!d::is_dir(site) || std::find(real.begin(), real.end(), d::real(site)) != real.end()) continue;
          real.push_back(d::real(site));
          out.push_back(site);
        }
  return out;
}

// What BACKPLANE_DEP_SEARCH and secure mode left of the search, and every
// folder that may hold a copy (for the "found elsewhere" diagnosis).
struct dep_search_plan {
  std::vector<dep_folder> folders;   // the search, in order
  std::vector<dep_folder> elsewhere; // folders looked at (never loaded from) when the search fails
  std::vector<dep_python_env> environments;
  std::string override_variable;     // "BACKPLANE_CUDNN_PATH"
  std::string override_value;        // its value as used ("" when unset or ignored)
  bool overrides_honoured = true;    // false in secure mode: a fix cannot be a BACKPLANE_*_PATH line
  dep_search_mode mode;
  std::vector<std::string> notes;    // what was left out and why (for the dependency's message)
};

struct dep_search_request {
  setting override_setting;     // read_setting("CUDNN_PATH")
  setting mode;                 // read_setting("DEP_SEARCH")
  std::string build_dir;        // the compile-time toolkit folder ("" = none)
  std::string soname;           // "libcudnn.so.9"
  bool environments = true;     // Python/conda wheel folders may hold it (not for the driver)
};

// The ordered search (see the top of this file) for one library.
inline dep_search_plan dep_plan_search(const dep_search_request& q) {
  namespace d = dep_search_detail;
  dep_search_plan plan;
  plan.override_variable = "BACKPLANE_" + q.override_setting.name;
  plan.override_value = q.override_setting.value;
  plan.overrides_honoured = !secure_mode();
  plan.mode = dep_search_mode::parse(q.mode.value);
  if (!plan.mode.error.empty()) plan.mode = dep_search_mode{};  // refused before this by the core and the probe
  const std::string stem = d::soname_stem(q.soname);
  auto add = [&](std::vector<dep_folder>& to, bp_search_origin origin, const std::string& dir, const std::string& label) {
    for (const dep_folder& f : to)
      if (f.directory == dir) return;
    to.push_back(dep_folder{origin, dir, "", label});
  };
  if (q.override_setting.ignored())
    plan.folders.push_back(dep_folder{BP_ORIGIN_ENV, q.override_setting.ignored_value, q.override_setting.ignored_note(), ""});
  for (std::string dir : d::split(q.override_setting.value, ':')) {
    dir = d::strip_slashes(dir);
    if (dir.empty()) continue;
    add(plan.folders, BP_ORIGIN_ENV, dir, "");
    for (const char* sub : {"/lib64", "/lib"})
      if (d::is_dir(dir + sub)) add(plan.folders, BP_ORIGIN_ENV, dir + sub, "");
  }
  if (q.mode.ignored()) plan.notes.push_back(q.mode.ignored_note());
  if (q.environments) {
    if (secure_mode())
      plan.notes.push_back("Python and conda environments not searched: " + secure_mode_reason());
    else
      plan.environments = dep_python_environments();
  }
  std::vector<dep_folder> python, conda;
  for (const dep_python_env& e : plan.environments) {
    for (const std::string& site : dep_site_folders(e.prefix))
      for (const std::string& pkg : d::list(site + "/nvidia")) {
        const std::string lib = site + "/nvidia/" + pkg + "/lib";
        if (d::is_dir(lib) && d::holds_stem(lib, stem)) add(python, BP_ORIGIN_ENV, lib, "python: " + e.found_by + " " + e.prefix);
      }
    if (e.conda && d::is_dir(e.prefix + "/lib") && d::holds_stem(e.prefix + "/lib", stem))
      add(conda, BP_ORIGIN_ENV, e.prefix + "/lib", "conda: " + e.found_by + " " + e.prefix);
  }
  const std::string setting_text = "BACKPLANE_DEP_SEARCH=" + q.mode.value;
  if (plan.mode.python) plan.folders.insert(plan.folders.end(), python.begin(), python.end());
  else if (!python.empty()) plan.notes.push_back("Python environments' wheel folders not searched (" + setting_text + ")");
  if (plan.mode.conda) plan.folders.insert(plan.folders.end(), conda.begin(), conda.end());
  else if (!conda.empty()) plan.notes.push_back("conda environments not searched (" + setting_text + ")");
  if (plan.mode.build && !q.build_dir.empty()) add(plan.folders, BP_ORIGIN_BUILD, q.build_dir, "");
  if (plan.mode.system) add(plan.folders, BP_ORIGIN_SYSTEM, "", "");

  // Looked at only to say "found elsewhere": the environments whatever the
  // mode, other CUDA versions' folders, the usual system folders, and the
  // folders the ldconfig cache names for this library.
  plan.elsewhere = python;
  plan.elsewhere.insert(plan.elsewhere.end(), conda.begin(), conda.end());
  if (!q.build_dir.empty()) add(plan.elsewhere, BP_ORIGIN_BUILD, q.build_dir, "");
  for (const std::string& n : d::list("/usr/local"))
    if (d::starts_with(n, "cuda")) {
      const std::string root = "/usr/local/" + n;
      for (const std::string& dir : {root + "/lib64", root + "/lib"})
        if (d::is_dir(dir)) add(plan.elsewhere, BP_ORIGIN_SYSTEM, d::real(dir), "");
      for (const std::string& t : d::list(root + "/targets"))
        if (d::is_dir(root + "/targets/" + t + "/lib")) add(plan.elsewhere, BP_ORIGIN_SYSTEM, d::real(root + "/targets/" + t + "/lib"), "");
    }
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"})
    if (d::is_dir(dir)) add(plan.elsewhere, BP_ORIGIN_SYSTEM, dir, "");
  // The cache's paths are NUL-terminated strings inside /etc/ld.so.cache (both formats).
  std::ifstream cache("/etc/ld.so.cache", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(cache)), std::istreambuf_iterator<char>());
  for (size_t pos = 0; pos < bytes.size();) {
    const size_t end = std::min(bytes.find('\0', pos), bytes.size());
    const std::string s = bytes.substr(pos, end - pos);
    pos = end + 1;
    const size_t slash = s.find_last_of('/');
    if (s.empty() || s[0] != '/' || slash == std::string::npos || !d::is_soname_file(s.substr(slash + 1), stem)) continue;
    add(plan.elsewhere, BP_ORIGIN_SYSTEM, s.substr(0, slash), "ldconfig cache");
  }
  return plan;
}

}  // namespace bp::sdk
