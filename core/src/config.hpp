// config.hpp — the runtime's settings, merged from bp_runtime_options and the
// BACKPLANE_* environment, validated up front so a bad value is an error that
// names the variable, never a surprise later.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backplane/runtime.h"

namespace bp::core {

// One BACKPLANE_FAULT clause, e.g. "cudnn:version=libcudnn.so.9@8.9.7".
struct fault_clause {
  std::string target;  // plugin name or "*"
  std::string fault;   // "missing", "version", "no_driver", ...
  std::string arg;     // text after '=', if any
  std::string text;    // the clause as written (for messages)
};

// A setting from the environment that was not applied, and why (shown in the report).
struct ignored_setting {
  std::string name;   // e.g. "BACKPLANE_CUDA_PATH"
  std::string value;  // as set
  std::string reason;
};

struct config {
  bool use_environment = true;
  std::vector<std::string> host_paths;  // from options
  std::vector<std::string> env_paths;   // BACKPLANE_PLUGIN_PATH entries as written
  bool explicit_paths_only = false;
  std::vector<std::string> backends;    // ordered preference; empty => by priority
  std::string backends_origin;          // "host_api", "BACKPLANE_BACKEND" or ""
  std::vector<std::string> disabled;    // names
  std::map<std::string, std::string> disabled_origin;
  bp_fallback_policy fallback = BP_FALLBACK_WARN;
  std::string fallback_origin = "default";
  bool op_fallback = true;
  bool allow_unsafe = false;            // BACKPLANE_ALLOW_UNSAFE_PLUGINS=1
  std::string allowlist_file;           // BACKPLANE_PLUGIN_ALLOWLIST
  std::map<std::string, std::string> allowlist;  // pinned SHA-256 (hex) -> the entry's name or path
  bool secure_mode = false;             // privileged process (or BACKPLANE_SECURE_MODE=1): see process_is_privileged
  std::vector<ignored_setting> ignored; // environment settings not applied (secure mode)
  std::vector<fault_clause> faults;
  std::map<std::string, std::string> host_settings;  // options.plugin_settings: NAME -> value
  bp_event_callback on_event = nullptr;
  void* user_data = nullptr;

  // Faults aimed at `plugin` (or "*"), as the ';'-joined text a plugin reads via get_option("fault").
  std::string fault_text_for(const std::string& plugin) const;
  // The first clause named `fault` that targets `plugin` (or "*"), or nullptr.
  const fault_clause* find_fault(const std::string& plugin, const std::string& fault) const;
  bool is_disabled(const std::string& name) const;
  // What a plugin's get_option(`key`) answers ("" = unset): "fault" the faults
  // aimed at `plugin`; else the host's setting; else BACKPLANE_<key> when the
  // environment is used (never a location in secure mode).
  std::string plugin_setting(const std::string& plugin, const std::string& key) const;
};

// Build the config; on a bad value returns BP_ERR_INVALID_ARGUMENT with the thread's error set.
bp_status load_config(const bp_runtime_options* options, config* out);

// Parse a fault spec (BACKPLANE_FAULT syntax) into clauses; false + `why` on malformed input.
bool parse_fault_spec(const std::string& spec, std::vector<fault_clause>* out, std::string* why);

// A plugin name: 1..64 of letters, digits, '-', '_', '.' (so it is printable
// and fits a file name libbackplane-<name>.so).
bool is_plugin_name(const std::string& name);

// Split "a,b, c" into trimmed non-empty items (separators: any of `seps`).
std::vector<std::string> split_list(const std::string& text, const char* seps = ",");

// getenv that returns "" when unset.
std::string env(const char* name);

// True when the process runs with elevated privileges (setuid/setgid, file
// capabilities: AT_SECURE), or when BACKPLANE_SECURE_MODE=1 asks for the same
// rules (a rehearsal; it can only make the process stricter, never lift them).
bool process_is_privileged();

// True for a setting (name without "BACKPLANE_") that names a file or folder or
// steers a search for code: BACKPLANE_*_PATH, *_DIR, *_FILE, DEP_SEARCH,
// PLUGIN_ALLOWLIST. A privileged process takes none of them from the
// environment (core and plugins alike: plugins read settings via get_option).
bool setting_names_a_location(const std::string& key);

}  // namespace bp::core
