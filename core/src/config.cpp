// config.cpp — options + environment => validated config; fault-spec parser.
#include "config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <cstddef>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "backplane/dep_search_words.hpp"
#include "backplane/secure_mode.hpp"
#include "backplane/text.hpp"
#include "entry_guard.hpp"
#include "errors.hpp"
#include "log.hpp"

extern char** environ;

namespace bp::core {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The secure-mode rule lives beneath the ABI (backplane/secure_mode.hpp), so plugins'
// dependency loaders apply exactly the core's rule.
bool process_is_privileged() { return bp::contract::secure_mode(); }

bool setting_names_a_location(const std::string& key) { return bp::contract::setting_names_a_location(key); }

bool is_plugin_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::vector<std::string> split_list(const std::string& text, const char* seps) {
  std::vector<std::string> items;
  std::string current;
  auto flush = [&] {
    size_t b = current.find_first_not_of(" \t");
    size_t e = current.find_last_not_of(" \t");
    if (b != std::string::npos) items.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (char c : text) {
    if (std::strchr(seps, c)) flush();
    else current += c;
  }
  flush();
  return items;
}

namespace {

// Faults the core or the SDK's dependency loader understands, and whether they take an argument.
struct fault_kind {
  const char* name;
  bool needs_arg;
  const char* arg_form;
};
const fault_kind known_faults[] = {
    {"missing", true, "SONAME"},      {"version", true, "SONAME@X.Y.Z"}, {"no_driver", false, ""},
    {"no_device", false, ""},         {"oom_at_init", false, ""},        {"init_fail", false, ""},
    {"crash_in_probe", false, ""},    {"hang_in_probe", false, ""},      {"abort_in_probe", false, ""},
    {"abi_major", true, "N"},         {"load_fail", false, ""},          {"oom_at_execute", false, ""},
};

// A comma-separated list of plugin names (BACKPLANE_BACKEND, BACKPLANE_DISABLE
// and the host's options.backends/disable). An empty item (",,", a trailing
// comma) or a list that names nothing is an error, never "no list".
bool parse_name_list(const std::string& text, const std::string& what, bool allow_auto, std::vector<std::string>* out,
                     std::string* why) {
  std::vector<std::string> names;
  size_t start = 0;
  for (int index = 1;; ++index) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    if (item.empty()) {
      *why = what + "='" + text + "': item " + std::to_string(index) +
             " is empty (expected comma-separated plugin names, e.g. cudnn,openblas-cpu)";
      return false;
    }
    if (!is_plugin_name(item) && !(allow_auto && item == "auto")) {
      *why = what + "='" + text + "': '" + item + "' is not a plugin name (expected e.g. cudnn,openblas-cpu)";
      return false;
    }
    names.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  *out = std::move(names);
  return true;
}

bool parse_bool(const std::string& v, bool* out) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return *out = true, true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return *out = false, true;
  return false;
}

std::string secure_mode_reason() { return bp::contract::secure_mode_reason(); }

// Secure mode: record every BACKPLANE_* setting that names a file or folder as ignored.
void ignore_location_settings(config* c) {
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    const std::string name = kv.substr(0, eq);
    if (eq == std::string::npos || name.rfind("BACKPLANE_", 0) != 0) continue;
    if (setting_names_a_location(name.substr(10)) && eq + 1 < kv.size())
      c->ignored.push_back({name, kv.substr(eq + 1), secure_mode_reason()});
  }
}

// The allowlist: "sha256hex  name-or-path" lines, '#' comments. A file that
// cannot be read or a malformed line is a configuration error (an allowlist
// that silently pins nothing would refuse every plugin for the wrong reason).
bool read_allowlist(const std::string& file, std::map<std::string, std::string>* pins, std::string* why) {
  constexpr long long kMaxAllowlistBytes = 1 << 20;
  const std::string what = "BACKPLANE_PLUGIN_ALLOWLIST='" + file + "'";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return *why = what + ": " + std::strerror(errno), false;
  if (!S_ISREG(st.st_mode)) return *why = what + " is not a regular file", false;
  if (st.st_size > kMaxAllowlistBytes)
    return *why = what + " is " + std::to_string(st.st_size) + " bytes; an allowlist is at most 1 MiB", false;
  std::ifstream in(file);
  if (!in) return *why = what + " cannot be read: " + std::strerror(errno), false;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream ls(line);
    std::string hash, entry;
    ls >> hash >> entry;
    if (hash.empty() || hash[0] == '#') continue;
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
      return *why = what + " line " + std::to_string(n) + ": expected '<64 lower-case hex digits of SHA-256>  <name>'", false;
    (*pins)[hash] = entry;
  }
  return true;
}

}  // namespace

bool parse_fault_spec(const std::string& spec, std::vector<fault_clause>* out, std::string* why) {
  if (spec.size() > 4096) {
    *why = "BACKPLANE_FAULT is longer than 4096 characters";
    return false;
  }
  int index = 0;
  for (const std::string& clause : split_list(spec, ",;")) {
    ++index;
    fault_clause f;
    f.text = clause;
    size_t colon = clause.find(':');
    if (colon == std::string::npos) {
      *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause +
             "': expected PLUGIN:FAULT[=ARG] (e.g. cudnn:missing=libcudnn.so.9, *:abi_major=99)";
      return false;
    }
    f.target = clause.substr(0, colon);
    std::string rest = clause.substr(colon + 1);
    size_t eq = rest.find('=');
    f.fault = rest.substr(0, eq);
    if (eq != std::string::npos) f.arg = rest.substr(eq + 1);
    if (f.target != "*" && !is_plugin_name(f.target)) {
      *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause + "': bad plugin name '" + f.target + "'";
      return false;
    }
    const fault_kind* kind = nullptr;
    for (const fault_kind& k : known_faults)
      if (f.fault == k.name) kind = &k;
    if (!kind) {
      std::string names;
      for (const fault_kind& k : known_faults) names += std::string(names.empty() ? "" : ", ") + k.name;
      *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause + "': unknown fault '" + f.fault +
             "' (known: " + names + ")";
      return false;
    }
    if (kind->needs_arg != (eq != std::string::npos) || (kind->needs_arg && f.arg.empty())) {
      *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause + "': fault '" + f.fault +
             (kind->needs_arg ? std::string("' needs =") + kind->arg_form : std::string("' takes no argument"));
      return false;
    }
    if (f.fault == "version") {
      size_t at = f.arg.find('@');
      if (at == std::string::npos || at == 0 || at + 1 == f.arg.size()) {
        *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause + "': version needs SONAME@X.Y.Z";
        return false;
      }
    }
    if (f.fault == "abi_major") {
      char* end = nullptr;
      long v = std::strtol(f.arg.c_str(), &end, 10);
      if (*end != '\0' || v < 0 || v > 65535) {
        *why = "BACKPLANE_FAULT clause " + std::to_string(index) + " '" + clause + "': abi_major needs an integer 0..65535";
        return false;
      }
    }
    out->push_back(std::move(f));
  }
  return true;
}

std::string config::fault_text_for(const std::string& plugin) const {
  std::string text;
  for (const fault_clause& f : faults) {
    if (f.target != "*" && f.target != plugin) continue;
    if (!text.empty()) text += ';';
    text += f.fault;
    if (!f.arg.empty()) text += "=" + f.arg;
  }
  return text;
}

const fault_clause* config::find_fault(const std::string& plugin, const std::string& fault) const {
  for (const fault_clause& f : faults)
    if ((f.target == "*" || f.target == plugin) && f.fault == fault) return &f;
  return nullptr;
}

bool config::is_disabled(const std::string& name) const {
  return std::find(disabled.begin(), disabled.end(), name) != disabled.end();
}

std::string config::plugin_setting(const std::string& plugin, const std::string& key) const {
  if (key == "fault") return fault_text_for(plugin);
  auto host = host_settings.find(key);
  if (host != host_settings.end()) return host->second;
  // A privileged process loads no code from where its caller points
  // (load_config lists the setting as ignored); the plugin sees it unset.
  if (secure_mode && setting_names_a_location(key)) return "";
  return use_environment ? env(("BACKPLANE_" + key).c_str()) : "";
}

namespace {

// options.plugin_settings: "NAME=value" each, NAME a setting name, given once.
bool parse_plugin_settings(const char* const* settings, uint32_t count, std::map<std::string, std::string>* out,
                           std::string* why) {
  if (count > 0 && !settings) {
    *why = "bp_runtime_create: num_plugin_settings is " + std::to_string(count) + " but plugin_settings is NULL";
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const std::string where = "bp_runtime_create: plugin_settings[" + std::to_string(i) + "]";
    if (!settings[i]) return *why = where + " is NULL", false;
    const std::string text = settings[i];
    const size_t eq = text.find('=');
    const std::string name = text.substr(0, eq);
    const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '_';
    });
    if (eq == std::string::npos || !name_ok)
      return *why = where + " '" + printable_line(text) + "' is not NAME=value (NAME of letters, digits and '_', "
                    "without BACKPLANE_, e.g. GPU_MEMORY_LIMIT=2G)", false;
    if (name == "fault") return *why = where + ": 'fault' is not a setting; use options.fault", false;
    if (!out->emplace(name, text.substr(eq + 1)).second)
      return *why = where + ": setting " + name + " is given twice", false;
  }
  return true;
}

// The host's choices (origin "host_api") from `options`; its fault spec as given.
bp_status load_host_options(const bp_runtime_options* options, config& c, std::string* fault_spec) {
  bp_runtime_options defaults;
  bp_runtime_options_init(&defaults);
  const bp_runtime_options& o = options ? *options : defaults;
  if (options && options->struct_size < offsetof(bp_runtime_options, plugin_paths))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: options->struct_size " +
                                             std::to_string(options->struct_size) +
                                             " is too small (call bp_runtime_options_init first)");
  auto has = [&](size_t end) { return o.struct_size >= end; };
#define BP_OPT(member) (has(offsetof(bp_runtime_options, member) + sizeof(o.member)) ? o.member : defaults.member)

  c.use_environment = BP_OPT(use_environment) != 0;
  c.explicit_paths_only = BP_OPT(explicit_paths_only) != 0;
  c.op_fallback = BP_OPT(op_fallback) != 0;
  c.on_event = BP_OPT(on_event);
  c.user_data = BP_OPT(user_data);
  const char* const* paths = BP_OPT(plugin_paths);
  uint32_t npaths = BP_OPT(num_plugin_paths);
  if (npaths > 0 && !paths) return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: num_plugin_paths is " + std::to_string(npaths) + " but plugin_paths is NULL");
  for (uint32_t i = 0; i < npaths; ++i) {
    if (!paths[i]) return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: plugin_paths[" + std::to_string(i) + "] is NULL");
    c.host_paths.push_back(paths[i]);
  }

  std::string why;
  if (const char* b = BP_OPT(backends); b && *b) {
    if (!parse_name_list(b, "options.backends", false, &c.backends, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
    c.backends_origin = "host_api";
  }
  if (const char* d = BP_OPT(disable); d && *d) {
    std::vector<std::string> names;
    if (!parse_name_list(d, "options.disable", false, &names, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
    for (auto& n : names) c.disabled.push_back(n), c.disabled_origin[n] = "host_api";
  }

  bp_fallback_policy policy = BP_OPT(fallback);
  if (policy != BP_FALLBACK_DEFAULT && policy != BP_FALLBACK_ALLOW && policy != BP_FALLBACK_WARN && policy != BP_FALLBACK_ERROR)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: options->fallback " + std::to_string(policy) + " is not a bp_fallback_policy");
  if (policy != BP_FALLBACK_DEFAULT) c.fallback = policy, c.fallback_origin = "host_api";

  *fault_spec = BP_OPT(fault) ? BP_OPT(fault) : "";
  if (!parse_plugin_settings(BP_OPT(plugin_settings), BP_OPT(num_plugin_settings), &c.host_settings, &why))
    return fail(BP_ERR_INVALID_ARGUMENT, why);
#undef BP_OPT
  return BP_OK;
}

// BACKPLANE_* variables, each validated even where the host's choice wins, so
// a typo is never silently ignored; the environment's faults join the host's.
bp_status load_environment(config& c, std::string* fault_spec) {
  std::string why;
  if (c.secure_mode) ignore_location_settings(&c);
  std::string v = env("BACKPLANE_PLUGIN_PATH");
  if (!v.empty() && !c.secure_mode) c.env_paths = split_list(v, ":");
  v = env("BACKPLANE_BACKEND");
  if (!v.empty()) {
    // Validated even when the host's list wins.
    std::vector<std::string> names;
    if (!parse_name_list(v, "BACKPLANE_BACKEND", true, &names, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
    if (names.size() > 1 && std::find(names.begin(), names.end(), "auto") != names.end())
      return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_BACKEND='" + v + "': 'auto' stands alone (it means: by priority)");
    if (c.backends_origin != "host_api") {
      c.backends = names[0] == "auto" ? std::vector<std::string>{} : names;
      c.backends_origin = names[0] == "auto" ? "" : "BACKPLANE_BACKEND";
    }
  }
  v = env("BACKPLANE_DISABLE");
  if (!v.empty()) {
    std::vector<std::string> names;
    if (!parse_name_list(v, "BACKPLANE_DISABLE", false, &names, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
    for (auto& n : names) c.disabled.push_back(n), c.disabled_origin[n] = "BACKPLANE_DISABLE";
  }
  v = env("BACKPLANE_FALLBACK");
  if (!v.empty()) {
    // Validated even when the host's setting wins, so a typo never goes unnoticed.
    bp_fallback_policy from_env;
    if (v == "allow") from_env = BP_FALLBACK_ALLOW;
    else if (v == "warn") from_env = BP_FALLBACK_WARN;
    else if (v == "error") from_env = BP_FALLBACK_ERROR;
    else return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_FALLBACK='" + v + "' is not one of allow, warn, error");
    if (c.fallback_origin != "host_api") c.fallback = from_env, c.fallback_origin = "BACKPLANE_FALLBACK";
  }
  v = env("BACKPLANE_ALLOW_UNSAFE_PLUGINS");
  if (!parse_bool(v, &c.allow_unsafe))
    return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_ALLOW_UNSAFE_PLUGINS='" + v + "' is not 0 or 1");
  if (c.allow_unsafe && c.secure_mode) {
    c.allow_unsafe = false;
    c.ignored.push_back({"BACKPLANE_ALLOW_UNSAFE_PLUGINS", v, secure_mode_reason()});
  }
  // Checked even in secure mode (where it is ignored), so a typo is caught before it matters.
  v = env("BACKPLANE_DEP_SEARCH");
  // The words and their meaning live in backplane/dep_search_words.hpp, shared with the plugins.
  if (const std::string bad = bp::contract::dep_search_mode::parse(v).error; !bad.empty())
    return fail(BP_ERR_INVALID_ARGUMENT, bad);
  if (!c.secure_mode) {
    c.allowlist_file = env("BACKPLANE_PLUGIN_ALLOWLIST");
    if (!c.allowlist_file.empty() && !read_allowlist(c.allowlist_file, &c.allowlist, &why))
      return fail(BP_ERR_INVALID_ARGUMENT, why);
  }
  std::string env_fault = env("BACKPLANE_FAULT");
  if (!env_fault.empty()) *fault_spec = fault_spec->empty() ? env_fault : *fault_spec + ";" + env_fault;
  if (!configure_logging(env("BACKPLANE_LOG"), &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
  return BP_OK;
}

}  // namespace

bp_status load_config(const bp_runtime_options* options, config* out) {
  config& c = *out;
  std::string fault_spec, why;
  if (bp_status s = load_host_options(options, c, &fault_spec); s != BP_OK) return s;
  // Validated whatever else is set, so a typo is never silently ignored.
  const std::string secure_text = env("BACKPLANE_SECURE_MODE");
  if (!secure_text.empty() && secure_text != "0" && secure_text != "1")
    return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_SECURE_MODE='" + secure_text + "' is not 0 or 1");
  c.secure_mode = process_is_privileged();

  if (c.use_environment) {
    if (bp_status s = load_environment(c, &fault_spec); s != BP_OK) return s;
  }

  if (!fault_spec.empty()) {
    if (c.secure_mode)
      return fail(BP_ERR_POLICY, "BACKPLANE_FAULT is refused: " + secure_mode_reason());
    if (!parse_fault_spec(fault_spec, &c.faults, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
  }
  for (const ignored_setting& i : c.ignored)
    log_message(BP_LOG_WARN, "loader", "ignoring " + i.name + "='" + i.value + "': " + i.reason);
  return BP_OK;
}

}  // namespace bp::core

// Writes at most `size` bytes: the caller's struct may be an older, smaller version.
static void bp_runtime_options_init_unguarded(bp_runtime_options* options, size_t size) {
  if (!options) return;
  bp_runtime_options full{};
  full.fallback = BP_FALLBACK_DEFAULT;
  full.use_environment = 1;
  full.op_fallback = 1;
  const size_t n = std::min(size, sizeof full);
  full.struct_size = static_cast<uint32_t>(n);
  std::memcpy(options, &full, n);
}

extern "C" BP_API void bp_runtime_options_init_sized(bp_runtime_options* options, size_t struct_size) {
  bp::core::guarded_void("bp_runtime_options_init_sized",
                         [&] { bp_runtime_options_init_unguarded(options, struct_size); });
}

// The 1.0 entry point (hosts built before 1.1 call it with a 1.0-sized struct, which ended
// where plugin_settings begins); the header's macro of the same name calls the sized one.
extern "C" BP_API void(bp_runtime_options_init)(bp_runtime_options* options) {
  bp::core::guarded_void("bp_runtime_options_init",
                         [&] { bp_runtime_options_init_unguarded(options, offsetof(bp_runtime_options, plugin_settings)); });
}
