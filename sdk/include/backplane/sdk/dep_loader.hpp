// backplane/sdk/dep_loader.hpp — header-only loader for a plugin's vendor
// libraries (CUDA driver, cuBLAS, cuDNN, ...) that explains every outcome.
//
// A plugin that must LOAD on machines without its vendor stack never links
// those libraries (no DT_NEEDED); it describes each one as a dep_spec and
// calls dep_load(). For each dependency the loader:
//   1. takes the ordered folder list of dep_plan_search() (dep_search.hpp:
//      overrides, Python/conda environments, the build-time toolkit, the
//      linker default; BACKPLANE_DEP_SEARCH and the secure-mode rule), each
//      folder tagged with its origin;
//   2. stops at the FIRST folder that holds the file (as ld.so does), so an
//      explicit override is never silently replaced by another copy;
//   3. preloads the sub-libraries leaf-first with RTLD_GLOBAL from that same
//      folder, so lazily dlopen'ed parts (cuDNN engines) stay one coherent set;
//   4. records per folder what happened ("not present", verbatim dlerror,
//      "loaded", "hidden by fault injection (BACKPLANE_FAULT)");
//   5. resolves the realpath of the object actually loaded, asks it what it
//      is (check_loaded: e.g. a link stub instead of the driver), queries its
//      version, applies the version rule, then checks the required symbols;
//   6. classifies: not_found (or the spec's absent cause, e.g. driver_missing),
//      missing_dependency (names the missing library, parsed from dlerror),
//      damaged_file (empty, truncated, not an ELF shared object), wrong_arch,
//      symbol_missing, version_mismatch / driver_too_old;
//   7. on a failure, names a usable copy found elsewhere (or one of another
//      major) and ends the remedy with one fix line (dep_diagnose.hpp).
// dep_report() hands the result to the host (bp_host_api.report_dependency).
//
// Fault injection (dep_fault_plan, from the plugin's "fault" option) acts at
// the dlopen and version-query layers, so the real classification runs.
#pragma once

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backplane/abi.h"
#include "backplane/names.hpp"
#include "backplane/sdk/dep_search.hpp"
#include "backplane/sdk/library_file.hpp"
#include "backplane/sdk/plugin.hpp"

namespace bp::sdk {

// ---- versions ------------------------------------------------------------------

struct dep_version {
  int major = 0, minor = 0, patch = 0;
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch); }
  // "9.19.0", "13.0", "8" -> version; nullopt on anything else.
  static std::optional<dep_version> parse(const std::string& text) {
    dep_version v;
    int* parts[3] = {&v.major, &v.minor, &v.patch};
    size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
      size_t end = pos;
      while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
      if (end == pos || end - pos > 6) return std::nullopt;
      *parts[i] = std::atoi(text.substr(pos, end - pos).c_str());
      if (end == text.size()) return v;
      if (text[end] != '.') return std::nullopt;
      pos = end + 1;
    }
    return std::nullopt;
  }
};

// ---- fault injection -----------------------------------------------------------

// The plugin's BACKPLANE_FAULT clauses (';'-separated, syntax-checked by the core):
// missing=<soname>, version=<soname>@<x.y.z>, and bare words (no_driver, ...)
// that the plugin interprets itself.
struct dep_fault_plan {
  std::string spec;
  std::set<std::string> hidden;                   // sonames treated as absent everywhere
  std::map<std::string, std::string> versions;    // soname -> forced version text
  std::set<std::string> flags;                    // bare words

  static dep_fault_plan parse(const std::string& spec) {
    dep_fault_plan plan;
    plan.spec = spec;
    size_t pos = 0;
    while (pos <= spec.size()) {
      size_t end = spec.find(';', pos);
      if (end == std::string::npos) end = spec.size();
      std::string item = trim(spec.substr(pos, end - pos));
      pos = end + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string::npos) {
        plan.flags.insert(item);
        continue;
      }
      std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
      if (key == "missing") {
        plan.hidden.insert(value);
      } else if (key == "version") {
        size_t at = value.find('@');
        if (at != std::string::npos) plan.versions[value.substr(0, at)] = value.substr(at + 1);
      } else {
        plan.flags.insert(item);
      }
    }
    return plan;
  }
  bool empty() const { return hidden.empty() && versions.empty() && flags.empty(); }
  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  bool hides(const std::string& soname) const { return hidden.count(soname) != 0; }

 private:
  static std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  }
};

// Stable snake_case name of a dependency cause, from the one table
// (backplane/names.hpp); "other" for a cause no dependency rule gives.
inline const char* dep_cause_name(bp_cause cause) {
  switch (cause) {
    case BP_CAUSE_NONE:
    case BP_CAUSE_NOT_FOUND:
    case BP_CAUSE_MISSING_DEPENDENCY:
    case BP_CAUSE_VERSION_MISMATCH:
    case BP_CAUSE_SYMBOL_MISSING:
    case BP_CAUSE_DRIVER_MISSING:
    case BP_CAUSE_DRIVER_TOO_OLD:
    case BP_CAUSE_NO_DEVICE:
    case BP_CAUSE_OUT_OF_MEMORY:
    case BP_CAUSE_INIT_FAILED:
    case BP_CAUSE_WRONG_ARCH:
    case BP_CAUSE_DAMAGED_FILE: return bp::names::cause(cause);
    default: return "other";
  }
}

inline const char* dep_fault_hidden_text() { return "hidden by fault injection (BACKPLANE_FAULT)"; }

// ---- specs -----------------------------------------------------------------------

struct dep_rule_result {
  bool ok = true;
  bp_cause cause = BP_CAUSE_NONE;
  std::string message;  // why it failed (or a note when ok)
};

struct dep_sublibrary {
  std::string soname;
  bool required = true;
};

struct dep_spec {
  std::string name;    // "cuDNN"
  std::string soname;  // "libcudnn.so.9"
  bool required = true;
  bp_cause absent_cause = BP_CAUSE_NOT_FOUND;  // e.g. DRIVER_MISSING for libcuda.so.1
  std::vector<dep_sublibrary> sublibraries;    // leaf-first; preloaded from the folder holding soname
  std::vector<std::string> required_symbols;   // checked with dlsym after the version rule
  // What the loaded file is, before its version is read (e.g. the toolkit's
  // link stub standing in for the driver); a failure's cause and message win.
  std::function<dep_rule_result(void* handle)> check_loaded;
  std::string version_required;                // "9.x, minor >= 19"
  std::string rule;                            // the compatibility rule, in words
  // Reads the version from the loaded library; nullopt + *error on failure.
  std::function<std::optional<dep_version>(void* handle, std::string* error)> query_version;
  // Applies the rule to the found version (handle given for extra queries).
  std::function<dep_rule_result(const dep_version& found, void* handle)> check_version;
  std::map<bp_cause, std::string> remedies;  // one line per cause
  std::string default_remedy;
  std::string pip_package;     // the wheel that ships it ("nvidia-cudnn-cu13"; "" = none), for fix lines
  std::string system_package;  // the Debian/NVIDIA package ("libcudnn9-cuda-13"), for fix lines
  dep_search_plan search;      // where to look, in order: dep_plan_search()
  std::vector<std::string> notes;  // appended to the result's message (e.g. an ignored setting)
};

// ---- results -----------------------------------------------------------------------

struct dep_attempt {
  bp_search_origin origin = BP_ORIGIN_SYSTEM;
  std::string directory;
  std::string result;
};

struct dep_result {
  std::string name, soname;
  bool required = true;
  bp_cause cause = BP_CAUSE_NOT_FOUND;
  void* handle = nullptr;  // kept open (RTLD_GLOBAL) when usable
  std::string loaded_path, version_found, version_required, rule, message, remedy;
  bool fault_injected = false;
  std::optional<dep_version> version;
  std::vector<dep_attempt> attempts;
  std::vector<dep_result> sublibraries;
  bool ok() const { return cause == BP_CAUSE_NONE; }
};

namespace dep_detail {

inline bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

inline std::string real_path_of(void* handle) {
  struct link_map* map = nullptr;
  if (handle && ::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0]) {
    char buf[PATH_MAX];
    if (::realpath(map->l_name, buf)) return buf;
    return map->l_name;
  }
  return {};
}

inline std::string last_dlerror() {
  const char* e = ::dlerror();
  return e ? std::string(e) : std::string("dlopen failed without a message");
}

inline std::string origin_name(bp_search_origin o) {
  switch (o) {
    case BP_ORIGIN_HOST_API: return "host";
    case BP_ORIGIN_ENV: return "env";
    case BP_ORIGIN_INSTALL: return "install";
    case BP_ORIGIN_BUILD: return "build";
    case BP_ORIGIN_SYSTEM: return "system";
    case BP_ORIGIN_FAULT: return "fault";
    default: return "unknown";
  }
}

inline std::string base_name(const std::string& p) {
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The file a dlopen error is about: "<path>: ..." (glibc puts it first).
inline std::string dlerror_subject(const std::string& err) {
  const size_t colon = err.find(": ");
  return colon == std::string::npos ? std::string() : err.substr(0, colon);
}

// Classifies a dlopen failure of a file that exists (or of a bare soname).
// glibc names a missing dependency as "<dep>: cannot open shared object file".
inline dep_rule_result classify_dlerror(const std::string& target, const std::string& err) {
  static const std::string cannot_open = ": cannot open shared object file";
  size_t at = err.find(cannot_open);
  if (at != std::string::npos) {
    std::string who = err.substr(0, at);
    if (who != target && base_name(who) != base_name(target))
      return {false, BP_CAUSE_MISSING_DEPENDENCY, "depends on " + base_name(who) + ", which was not found: " + err};
    return {false, BP_CAUSE_NOT_FOUND, err};
  }
  // Empty, text or cut-short files are damaged, not built for another machine.
  std::string subject = dlerror_subject(err);
  if (subject.empty() || subject[0] != '/') subject = target;
  const std::string damaged = bp::sdk::damaged_file_problem(subject);
  if (!damaged.empty()) return {false, BP_CAUSE_DAMAGED_FILE, damaged + " (" + err + ")"};
  if (err.find("file too short") != std::string::npos)
    return {false, BP_CAUSE_DAMAGED_FILE, "the file is truncated: " + err};
  if (err.find("wrong ELF class") != std::string::npos || err.find("invalid ELF header") != std::string::npos ||
      err.find("ELF file") != std::string::npos)
    return {false, BP_CAUSE_WRONG_ARCH, err};
  if (err.find("undefined symbol") != std::string::npos || err.find("symbol lookup error") != std::string::npos ||
      err.find("version `") != std::string::npos)
    return {false, BP_CAUSE_SYMBOL_MISSING, err};
  return {false, BP_CAUSE_INIT_FAILED, err};
}

inline std::string folder_label(const dep_folder& f) {
  return f.directory.empty() ? std::string("<dynamic linker default>") : f.directory;
}

// Opens one library from one folder (or by bare soname). Returns the handle or
// nullptr; *present says whether the file was there at all.
inline void* open_in(const dep_folder& f, const std::string& soname, const dep_fault_plan& faults,
                     std::string* result, bool* present, dep_rule_result* failure, bool* fault_hit) {
  *present = false;
  if (faults.hides(soname)) {
    *result = dep_fault_hidden_text();
    *fault_hit = true;
    return nullptr;
  }
  std::string target = f.directory.empty() ? soname : f.directory + "/" + soname;
  if (!f.directory.empty() && !file_exists(target)) {
    *result = "not present";
    return nullptr;
  }
  ::dlerror();
  void* h = ::dlopen(target.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (h) {
    *present = true;
    *result = "loaded";
    return h;
  }
  std::string err = last_dlerror();
  *result = err;
  dep_rule_result c = classify_dlerror(target, err);
  // A bare-soname miss is "not present" for the linker default; anything else means the file was found.
  *present = !(f.directory.empty() && c.cause == BP_CAUSE_NOT_FOUND);
  if (!f.directory.empty() && c.cause == BP_CAUSE_NOT_FOUND) c.cause = BP_CAUSE_INIT_FAILED;
  *failure = c;
  return nullptr;
}

inline std::string remedy_for(const dep_spec& spec, bp_cause cause) {
  auto it = spec.remedies.find(cause);
  return it != spec.remedies.end() ? it->second : spec.default_remedy;
}

inline std::string searched_text(const std::vector<dep_attempt>& attempts) {
  std::string s;
  for (const dep_attempt& a : attempts) {
    if (!s.empty()) s += "; ";
    s += (a.directory.empty() ? std::string("<dynamic linker default>") : a.directory) + " (" +
         origin_name(a.origin) + "): " + a.result;
  }
  return s.empty() ? std::string("no folder to search") : s;
}

}  // namespace dep_detail

}  // namespace bp::sdk

#define BP_SDK_DEP_LOADER_TYPES 1
#include "backplane/sdk/dep_diagnose.hpp"

namespace bp::sdk {

// Human-readable "folder (origin): result; ..." list of a result's attempts.
inline std::string dep_searched_text(const dep_result& r) { return dep_detail::searched_text(r.attempts); }

namespace dep_detail {

// An attempt's result with where its folder came from ("not present [python: VIRTUAL_ENV /v]").
inline std::string tagged(const dep_folder& f, const std::string& result) {
  return f.label.empty() ? result : result + " [" + f.label + "]";
}

// dep_load without the spec's notes.
inline dep_result load_one(const dep_spec& spec, const dep_fault_plan& faults) {
  dep_result r;
  r.name = spec.name, r.soname = spec.soname, r.required = spec.required;
  r.version_required = spec.version_required, r.rule = spec.rule;
  r.cause = spec.absent_cause;

  const dep_folder* holder = nullptr;  // the first folder that held the file
  dep_rule_result load_failure;
  for (const dep_folder& f : spec.search.folders) {
    if (!f.ignored.empty()) {
      r.attempts.push_back({f.origin, f.directory, "not searched: " + f.ignored});
      continue;
    }
    if (holder) {
      r.attempts.push_back({f.origin, f.directory, tagged(f, "not tried (an earlier folder holds " + spec.soname + ")")});
      continue;
    }
    bool present = false, fault_hit = false;
    std::string result;
    dep_rule_result failure;
    // Sub-libraries leaf-first with RTLD_GLOBAL from the folder that holds the main
    // library (before it, so its lazy dlopen()s by soname find these copies). For the
    // linker default the main library is opened first: only then is it known to exist.
    auto load_subs = [&]() {
      for (const dep_sublibrary& sub : spec.sublibraries) {
        dep_result s;
        s.name = spec.name + " sub-library " + sub.soname;
        s.soname = sub.soname;
        s.required = spec.required && sub.required;
        s.version_required = spec.version_required;
        s.rule = "loaded from the same folder as " + spec.soname + " so the set stays coherent";
        bool sub_present = false, sub_fault = false;
        std::string sub_result;
        dep_rule_result sub_failure;
        s.handle = open_in(f, sub.soname, faults, &sub_result, &sub_present, &sub_failure, &sub_fault);
        s.attempts.push_back({f.origin, f.directory, tagged(f, sub_result)});
        s.fault_injected = sub_fault;
        if (s.handle) {
          s.cause = BP_CAUSE_NONE;
          s.loaded_path = real_path_of(s.handle);
          s.message = "loaded";
        } else {
          s.cause = sub_present ? sub_failure.cause : BP_CAUSE_NOT_FOUND;
          s.message = sub.soname + ": " + (sub_present ? sub_failure.message : sub_result + " in " + folder_label(f));
          s.remedy = remedy_for(spec, s.cause == BP_CAUSE_DAMAGED_FILE ? s.cause : BP_CAUSE_MISSING_DEPENDENCY);
        }
        r.sublibraries.push_back(std::move(s));
      }
    };
    if (!f.directory.empty() && !faults.hides(spec.soname) && file_exists(f.directory + "/" + spec.soname)) load_subs();
    r.handle = open_in(f, spec.soname, faults, &result, &present, &failure, &fault_hit);
    r.fault_injected = r.fault_injected || fault_hit;
    r.attempts.push_back({f.origin, f.directory, tagged(f, result)});
    if (f.directory.empty() && r.handle) load_subs();
    if (r.handle || present) {
      holder = &f;
      if (!r.handle) load_failure = failure;
    }
  }

  if (!holder) {
    r.cause = spec.absent_cause;
    r.message = spec.soname + " not found" + (r.fault_injected ? " (hidden by fault injection: BACKPLANE_FAULT missing=" + spec.soname + ")" : "") +
                "; searched: " + searched_text(r.attempts);
    if (spec.search.folders.empty()) r.message = spec.soname + " not searched: no folder to search (DEP_SEARCH=override_only without an override folder)";
    r.remedy = remedy_for(spec, r.cause);
    return r;
  }
  if (!r.handle) {
    r.cause = load_failure.cause;
    r.message = spec.soname + " found in " + folder_label(*holder) + " but could not be loaded: " + load_failure.message;
    r.remedy = remedy_for(spec, r.cause);
    return r;
  }
  r.loaded_path = real_path_of(r.handle);
  if (spec.check_loaded) {
    dep_rule_result what = spec.check_loaded(r.handle);
    if (!what.ok) {
      r.cause = what.cause == BP_CAUSE_NONE ? BP_CAUSE_INIT_FAILED : what.cause;
      r.message = "loaded " + r.loaded_path + ", but " + what.message;
      r.remedy = remedy_for(spec, r.cause);
      return r;
    }
  }

  // Version: the real query unless fault injection forces one.
  std::string version_error;
  auto forced = faults.versions.find(spec.soname);
  if (forced != faults.versions.end()) {
    r.version = dep_version::parse(forced->second);
    r.fault_injected = true;
    if (!r.version) version_error = "fault injection gave an unreadable version '" + forced->second + "'";
  } else if (spec.query_version) {
    r.version = spec.query_version(r.handle, &version_error);
  }
  if (r.version) r.version_found = r.version->str();
  const std::string fault_note = forced != faults.versions.end()
                                     ? " (version reported by fault injection: BACKPLANE_FAULT version=" + spec.soname +
                                           "@" + forced->second + ")"
                                     : std::string();
  if (spec.query_version && !r.version) {
    r.cause = BP_CAUSE_SYMBOL_MISSING;
    r.message = r.loaded_path + ": cannot read its version: " + version_error + fault_note;
    r.remedy = remedy_for(spec, r.cause);
    return r;
  }
  if (r.version && spec.check_version) {
    dep_rule_result verdict = spec.check_version(*r.version, r.handle);
    if (!verdict.ok) {
      r.cause = verdict.cause == BP_CAUSE_NONE ? BP_CAUSE_VERSION_MISMATCH : verdict.cause;
      r.message = r.loaded_path + ": found version " + r.version_found + ", required " + spec.version_required + ": " +
                  verdict.message + fault_note;
      r.remedy = remedy_for(spec, r.cause);
      return r;
    }
  }
  std::string missing;
  for (const std::string& sym : spec.required_symbols)
    if (!::dlsym(r.handle, sym.c_str())) missing += (missing.empty() ? "" : ", ") + sym;
  if (!missing.empty()) {
    r.cause = BP_CAUSE_SYMBOL_MISSING;
    r.message = r.loaded_path + " (version " + (r.version_found.empty() ? "unknown" : r.version_found) +
                ") lacks required symbols: " + missing;
    r.remedy = remedy_for(spec, r.cause);
    return r;
  }
  for (const dep_result& s : r.sublibraries) {
    if (s.required && !s.ok()) {
      r.cause = BP_CAUSE_MISSING_DEPENDENCY;
      r.message = spec.soname + " loaded from " + r.loaded_path + " but its sub-library " + s.message;
      r.remedy = remedy_for(spec, r.cause);
      return r;
    }
  }
  r.cause = BP_CAUSE_NONE;
  r.message = "loaded " + r.loaded_path + (r.version_found.empty() ? "" : " (version " + r.version_found + ")") + fault_note;
  return r;
}

}  // namespace dep_detail

// Loads one dependency following the spec; never throws on a missing library.
inline dep_result dep_load(const dep_spec& spec, const dep_fault_plan& faults) {
  dep_result r = dep_detail::load_one(spec, faults);
  dep_detail::explain_elsewhere(spec, r);
  for (const std::string& note : spec.search.notes)
    if (!note.empty()) r.message += " [" + note + "]";
  for (const std::string& note : spec.notes)
    if (!note.empty()) r.message += " [" + note + "]";
  return r;
}

// Sends one result (and then each of its sub-libraries) to the host.
inline void dep_report(const bp_host_api* host, const dep_result& r) {
  if (!BP_SDK_HOST_HAS(host, report_dependency)) return;
  std::vector<bp_search_entry> entries;
  entries.reserve(r.attempts.size());
  for (const dep_attempt& a : r.attempts) {
    bp_search_entry e{};
    e.struct_size = sizeof(e);
    e.origin = a.origin;
    e.directory = a.directory.c_str();
    e.result = a.result.c_str();
    entries.push_back(e);
  }
  bp_dependency_report d{};
  d.struct_size = sizeof(d);
  d.cause = r.cause;
  d.name = r.name.c_str();
  d.soname = r.soname.c_str();
  d.loaded_path = r.loaded_path.c_str();
  d.version_found = r.version_found.c_str();
  d.version_required = r.version_required.c_str();
  d.rule = r.rule.c_str();
  d.message = r.message.c_str();
  d.remedy = r.remedy.c_str();
  d.searched = entries.data();
  d.num_searched = static_cast<uint32_t>(entries.size());
  d.required = r.required ? 1 : 0;
  host->report_dependency(host->host_context, &d);
  for (const dep_result& s : r.sublibraries) dep_report(host, s);
}

// Closes the handles of a result that will not be used (sub-libraries too).
inline void dep_unload(dep_result& r) {
  if (r.handle) ::dlclose(r.handle);
  r.handle = nullptr;
  for (dep_result& s : r.sublibraries) dep_unload(s);
}

}  // namespace bp::sdk
