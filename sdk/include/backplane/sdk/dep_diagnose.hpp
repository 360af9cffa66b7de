// backplane/sdk/dep_diagnose.hpp — what dep_load() says when a library is
// not usable where it was searched (part of dep_loader.hpp; include that).
//
// It looks (file names, links and pip's dist-info RECORD files only: nothing
// is loaded) at every folder of the plan's search and "elsewhere" lists for
// files named like the library (libcudnn.so.<major>), and then:
//   - a copy of the right major that passes the version rule, outside the
//     search or behind an earlier folder: "cuDNN 9.28.1 found in <folder>
//     (pip package nvidia-cudnn-cu13 9.28.1.4) but not on the search path",
//     fix: BACKPLANE_CUDNN_PATH=<folder> (in secure mode, where that setting
//     is ignored: an ld.so.conf.d line and ldconfig);
//   - only copies of another major or too old a version (libcudnn.so.8 when 9
//     is needed, another CUDA version's folder): named, fix: the pip package
//     to install or upgrade in the active environment, or the system package;
//   - nothing: the install line.
// The fix line ends the remedy as "; fix: <line>" (dep_search_words.hpp), so
// `backplane doctor --fix` can print it.
#pragma once

#ifndef BP_SDK_DEP_LOADER_TYPES
#error "include backplane/sdk/dep_loader.hpp, not dep_diagnose.hpp"
#endif

#include <tuple>

namespace bp::sdk {

// One file named like a library, seen (not loaded) somewhere.
struct dep_copy {
  std::string folder, file, path;  // folder + "/" + file; file = "libcudnn.so.9"
  int major = -1;                  // from the file name
  std::optional<dep_version> version;  // from the link target's name or pip's dist-info
  std::string source;              // "pip package nvidia-cudnn-cu13 9.28.1.4", "CUDA toolkit /usr/local/cuda-12.8", ...
  std::string root;                // the installation it belongs to (site-packages, toolkit, conda prefix, folder)
};

namespace dep_detail {

// site-packages folder of a wheel folder ("" when it is none).
inline std::string site_of(const std::string& folder) {
  for (const char* marker : {"/site-packages/nvidia/", "/dist-packages/nvidia/"}) {
    const size_t at = folder.find(marker);
    if (at != std::string::npos) return folder.substr(0, at + std::string(marker).size() - 8);
  }
  return {};
}

// "nvidia-cudnn-cu13", "9.28.1.4" of the dist-info whose RECORD lists site/<rel>.
inline std::pair<std::string, std::string> pip_owner(const std::string& site, const std::string& rel) {
  for (const std::string& n : dep_search_detail::list(site)) {
    const size_t dash = n.find('-');
    if (n.size() < 10 || n.compare(n.size() - 10, 10, ".dist-info") != 0 || dash == std::string::npos) continue;
    std::ifstream record(site + "/" + n + "/RECORD");
    std::string line;
    while (std::getline(record, line))
      if (line.compare(0, rel.size() + 1, rel + ",") == 0) {
        std::string name = n.substr(0, dash);
        std::replace(name.begin(), name.end(), '_', '-');
        return {name, n.substr(dash + 1, n.size() - 10 - dash - 1)};
      }
  }
  return {};
}

// "9.28.1.4" -> 9.28.1 (pip versions may have four parts).
inline std::optional<dep_version> first_three(const std::string& text) {
  std::string t = text;
  size_t dots = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] == '.' && ++dots == 3) t = t.substr(0, i);
  return dep_version::parse(t);
}

// Where a file comes from, in words, and the installation it belongs to.
inline void describe_source(const std::string& folder, const std::string& file, std::string* source, std::string* root) {
  const std::string site = site_of(folder + "/");
  if (!site.empty()) {
    const auto owner = pip_owner(site, folder.substr(site.size() + 1) + "/" + file);
    *source = owner.first.empty() ? "a Python wheel folder" : "pip package " + owner.first + " " + owner.second;
    *root = site;
    return;
  }
  if (folder.size() > 4 && folder.compare(folder.size() - 4, 4, "/lib") == 0 &&
      dep_search_detail::is_dir(folder.substr(0, folder.size() - 4) + "/conda-meta")) {
    *root = folder.substr(0, folder.size() - 4);
    *source = "conda environment " + *root;
    return;
  }
  if (dep_search_detail::starts_with(folder, "/usr/local/cuda")) {
    const size_t end = folder.find('/', 11);
    *root = folder.substr(0, end);
    *source = "CUDA toolkit " + *root;
    return;
  }
  *root = folder;
  *source = "system folder " + folder;
}

inline std::vector<dep_copy> find_copies(const dep_spec& spec) {
  namespace d = dep_search_detail;
  const std::string stem = d::soname_stem(spec.soname);
  std::vector<dep_copy> copies;
  std::vector<std::string> seen;
  auto scan = [&](const dep_folder& f) {
    if (f.directory.empty() || !f.ignored.empty()) return;
    for (const std::string& n : d::list(f.directory)) {
      if (!d::is_soname_file(n, stem)) continue;
      dep_copy c;
      c.folder = f.directory, c.file = n, c.path = f.directory + "/" + n;
      const std::string real = d::real(c.path);
      if (std::find(seen.begin(), seen.end(), real) != seen.end() || !d::is_file(real)) continue;
      seen.push_back(real);
      c.major = std::atoi(n.c_str() + stem.size());
      // libcudnn.so.9.19.0 says its version; a bare libcudnn.so.9 only its major.
      const std::string tail = base_name(real).substr(std::min(stem.size(), base_name(real).size()));
      if (tail.find('.') != std::string::npos) c.version = dep_version::parse(tail);
      if (c.version && c.version->major != c.major) c.version.reset();
      describe_source(f.directory, n, &c.source, &c.root);
      if (!c.version && c.source.rfind("pip package ", 0) == 0) {
        const std::string v = c.source.substr(c.source.find_last_of(' ') + 1);
        c.version = first_three(v);
        if (c.version && c.version->major != c.major) c.version.reset();
      }
      copies.push_back(std::move(c));
    }
  };
  for (const dep_folder& f : spec.search.folders) scan(f);
  for (const dep_folder& f : spec.search.elsewhere) scan(f);
  return copies;
}

// The interpreter of the environment a wheel folder belongs to ("python3" when none is known).
inline std::string python_of(const dep_search_plan& plan, const std::string& site) {
  for (const dep_python_env& e : plan.environments)
    if (site.empty() || dep_search_detail::starts_with(site, e.prefix + "/"))
      if (dep_search_detail::is_file(e.prefix + "/bin/python3")) return e.prefix + "/bin/python3";
  return "python3";
}

// The command that installs (or upgrades) the library: pip in the environment
// that holds (or would hold) it, else the system package.
inline std::string install_line(const dep_spec& spec, const std::string& wheel_site) {
  const bool python_ok = spec.search.mode.python && !spec.search.environments.empty();
  if (!spec.pip_package.empty() && (!wheel_site.empty() || python_ok))
    return python_of(spec.search, wheel_site) + " -m pip install --upgrade " + spec.pip_package;
  if (!spec.system_package.empty()) return "sudo apt-get install " + spec.system_package;
  return {};
}

inline std::string use_folder_line(const dep_search_plan& plan, const std::string& folder, const std::string& name) {
  if (!plan.overrides_honoured) {
    std::string file = name;
    for (char& c : file) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : (c == ' ' ? '-' : c);
    return "echo " + folder + " | sudo tee /etc/ld.so.conf.d/backplane-" + file + ".conf && sudo ldconfig";
  }
  return plan.override_variable + "=" + folder + (plan.override_value.empty() ? "" : ":" + plan.override_value);
}

inline bool passes_rule(const dep_spec& spec, const dep_copy& c) {
  if (c.file != spec.soname) return false;
  if (!c.version || !spec.check_version) return true;
  return spec.check_version(*c.version, nullptr).ok;
}

// Adds the "found elsewhere" sentence to r.message and the fix line to r.remedy.
inline void explain_elsewhere(const dep_spec& spec, dep_result& r) {
  if (r.ok() || spec.soname.empty()) return;
  std::vector<dep_copy> copies = find_copies(spec);
  const std::string loaded_real = r.loaded_path.empty() ? std::string() : dep_search_detail::real(r.loaded_path);
  auto attempt_of = [&](const std::string& folder) -> const dep_attempt* {
    for (const dep_attempt& a : r.attempts)
      if (a.directory == folder) return &a;
    return nullptr;
  };
  const dep_copy* best = nullptr;
  const dep_copy* other = nullptr;
  for (const dep_copy& c : copies) {
    if (!loaded_real.empty() && dep_search_detail::real(c.path) == loaded_real) continue;
    const dep_attempt* a = attempt_of(c.folder);
    const bool reached = a && a->result.rfind("not tried", 0) != 0 && a->result.rfind("not searched", 0) != 0;
    if (reached && c.file == spec.soname) continue;  // the copy the search already judged
    if (passes_rule(spec, c)) {
      auto newer = [](const dep_version& a, const dep_version& b) {
        return std::tie(a.major, a.minor, a.patch) > std::tie(b.major, b.minor, b.patch);
      };
      if (!best || (c.version && (!best->version || newer(*c.version, *best->version)))) best = &c;
    } else if (!other) {
      other = &c;
    }
  }
  auto label = [&](const dep_copy& c) {
    return spec.name + (c.version ? " " + c.version->str() : std::string()) + " (" + c.file + ") found in " + c.folder +
           " (" + c.source + ")";
  };
  std::string fix;
  if (best) {
    const dep_attempt* a = attempt_of(best->folder);
    r.message += "; " + label(*best) + " but " +
                 (a ? "not used: an earlier folder on the search path holds " + spec.soname : std::string("not on the search path"));
    fix = use_folder_line(spec.search, best->folder, spec.name);
  } else {
    if (other)
      r.message += "; " + label(*other) + ", but the plugin needs " +
                   (spec.version_required.empty() ? spec.soname : spec.version_required + " (" + spec.soname + ")");
    fix = install_line(spec, site_of(r.loaded_path.substr(0, r.loaded_path.find_last_of('/') + 1)));
  }
  r.remedy = dep_with_fix(r.remedy, fix);
}

}  // namespace dep_detail

// Where a loaded library comes from, in words ("pip package nvidia-cudnn-cu13 9.28.1.4").
inline std::string dep_source_of(const dep_result& r, std::string* root = nullptr) {
  std::string source, where;
  const size_t slash = r.loaded_path.find_last_of('/');
  if (slash == std::string::npos) return {};
  dep_detail::describe_source(r.loaded_path.substr(0, slash), r.loaded_path.substr(slash + 1), &source, &where);
  if (root) *root = where;
  return source;
}

// "mixed sources: cuDNN 9.28.1 from pip package ..., cuBLAS 13.0.0 from CUDA
// toolkit /usr/local/cuda-13.0" when the libraries that loaded (usable or
// not: a cuDNN wheel for CUDA 12 next to a CUDA 13 cuBLAS is worth naming)
// come from more than one installation ("" otherwise). A note: the version
// rules decide whether the mix works.
inline std::string dep_mixed_sources(const std::vector<const dep_result*>& loaded) {
  std::vector<std::string> roots;
  std::string text;
  for (const dep_result* r : loaded) {
    if (!r || r->loaded_path.empty()) continue;
    std::string root;
    const std::string source = dep_source_of(*r, &root);
    if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
    text += (text.empty() ? "" : ", ") + r->name + (r->version_found.empty() ? "" : " " + r->version_found) + " from " + source;
  }
  return roots.size() > 1 ? "mixed sources: " + text : std::string();
}

}  // namespace bp::sdk
