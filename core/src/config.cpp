// config.cpp — options + environment => validated config; fault-spec parser.
#include "config.hpp"

#include <sys/auxv.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <cstddef>

#include "errors.hpp"
#include "log.hpp"

namespace bp::core {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool process_is_privileged() { return getauxval(AT_SECURE) != 0; }

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

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool parse_bool(const std::string& v, bool* out) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return *out = true, true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return *out = false, true;
  return false;
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
    if (f.target != "*" && !valid_name(f.target)) {
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

bp_status load_config(const bp_runtime_options* options, config* out) {
  config& c = *out;
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

  if (const char* b = BP_OPT(backends)) {
    c.backends = split_list(b);
    c.backends_origin = "host_api";
  }
  if (const char* d = BP_OPT(disable))
    for (auto& n : split_list(d)) c.disabled.push_back(n), c.disabled_origin[n] = "host_api";

  bp_fallback_policy policy = BP_OPT(fallback);
  if (policy != BP_FALLBACK_DEFAULT && policy != BP_FALLBACK_ALLOW && policy != BP_FALLBACK_WARN && policy != BP_FALLBACK_ERROR)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_runtime_create: options->fallback " + std::to_string(policy) + " is not a bp_fallback_policy");
  if (policy != BP_FALLBACK_DEFAULT) c.fallback = policy, c.fallback_origin = "host_api";

  std::string fault_spec = BP_OPT(fault) ? BP_OPT(fault) : "";
#undef BP_OPT

  if (c.use_environment) {
    std::string v = env("BACKPLANE_PLUGIN_PATH");
    if (!v.empty()) c.env_paths = split_list(v, ":");
    if (c.backends.empty()) {
      v = env("BACKPLANE_BACKEND");
      if (!v.empty()) {
        c.backends = split_list(v);
        c.backends_origin = "BACKPLANE_BACKEND";
        for (auto& n : c.backends)
          if (!valid_name(n) && n != "auto")
            return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_BACKEND='" + v + "': '" + n + "' is not a plugin name (expected e.g. cudnn,openblas-cpu)");
        if (c.backends.size() == 1 && c.backends[0] == "auto") c.backends.clear();
      }
    }
    for (auto& n : split_list(env("BACKPLANE_DISABLE"))) {
      if (!valid_name(n)) return fail(BP_ERR_INVALID_ARGUMENT, "BACKPLANE_DISABLE: '" + n + "' is not a plugin name");
      c.disabled.push_back(n);
      c.disabled_origin[n] = "BACKPLANE_DISABLE";
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
    c.allowlist_file = env("BACKPLANE_PLUGIN_ALLOWLIST");
    std::string env_fault = env("BACKPLANE_FAULT");
    if (!env_fault.empty()) fault_spec = fault_spec.empty() ? env_fault : fault_spec + ";" + env_fault;
    std::string why;
    if (!configure_logging(env("BACKPLANE_LOG"), &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
  }
  for (auto& n : c.backends)
    if (!valid_name(n)) return fail(BP_ERR_INVALID_ARGUMENT, "backend list: '" + n + "' is not a plugin name");

  if (!fault_spec.empty()) {
    if (process_is_privileged())
      return fail(BP_ERR_POLICY, "BACKPLANE_FAULT is refused: this process runs with elevated privileges (setuid/setgid or capabilities)");
    std::string why;
    if (!parse_fault_spec(fault_spec, &c.faults, &why)) return fail(BP_ERR_INVALID_ARGUMENT, why);
  }
  if (process_is_privileged() && c.use_environment && (!c.env_paths.empty() || c.allow_unsafe)) {
    // Like the Vulkan loader: path overrides from the environment are ignored when elevated.
    log_message(BP_LOG_WARN, "loader", "ignoring BACKPLANE_PLUGIN_PATH / BACKPLANE_ALLOW_UNSAFE_PLUGINS: process runs with elevated privileges");
    c.env_paths.clear();
    c.allow_unsafe = false;
  }
  return BP_OK;
}

}  // namespace bp::core

extern "C" BP_API void bp_runtime_options_init(bp_runtime_options* options) {
  if (!options) return;
  *options = bp_runtime_options{};
  options->struct_size = sizeof(bp_runtime_options);
  options->fallback = BP_FALLBACK_DEFAULT;
  options->use_environment = 1;
  options->op_fallback = 1;
}
