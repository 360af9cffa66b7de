// records.hpp — the core's structured records of discovery, loading and
// fallback. Everything a report, an event or `backplane doctor` shows is
// kept here in plain data, so the JSON and the C accessors read one source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backplane/runtime.h"

namespace bp::core {

struct search_record {
  bp_search_origin origin = BP_ORIGIN_SYSTEM;
  std::string directory;
  std::string result;
};

struct dependency_record {
  bp_cause cause = BP_CAUSE_NONE;
  std::string name, soname, loaded_path, version_found, version_required, rule, message, remedy;
  bool required = true;
  std::vector<search_record> searched;
};

// One folder the discovery looked in.
struct search_path_record {
  std::string path;
  std::string origin;  // "host_api", "env", "install", "build"
  bool exists = false;  // something is at the path (a folder, a file, a FIFO, a symlink...)
  // What discovery did with it: "listed" (a folder it read), "file", "missing",
  // "unreadable" (a folder it could not list), "not_usable" (neither folder nor
  // file: a FIFO, a symlink loop...), "refused" (relative), "duplicate".
  std::string state = "missing";
  std::string note;    // why it was refused/skipped, if it was
};

// One file the discovery considered.
struct candidate_record {
  std::string path;
  std::string decision;  // "loaded", "refused", "skipped", "duplicate", "disabled"
  std::string reason;
};

// Everything known about one plugin (or a file that failed to become one).
struct plugin_record {
  std::string name;  // from the plugin table, else derived from the file name
  std::string path;
  std::string version, description;
  bp_plugin_state state = BP_STATE_LOAD_FAILED;
  bp_cause cause = BP_CAUSE_NONE;
  bp_stage stage = BP_STAGE_DISCOVER;
  std::string message, remedy;
  int32_t priority = 0;
  bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;
  uint32_t device_count = 0;
  uint32_t abi_major = 0, abi_minor = 0, negotiated_minor = 0;
  bool selected = false;
  bool fault_injected = false;
  bool configuration_error = false;  // probe found a malformed setting: the runtime refuses to start
  std::vector<dependency_record> dependencies;
  std::vector<bp_device_props> devices;
};

struct event_record {
  bp_event_kind kind = BP_EVENT_BACKEND_FALLBACK;
  std::string plugin, selected;
  bp_stage stage = BP_STAGE_PROBE;
  bp_cause cause = BP_CAUSE_NONE;
  bp_op_kind op = BP_OP_INVALID;
  std::string message, remedy;
};

const char* origin_name(bp_search_origin origin);
const char* stage_name(bp_stage stage);
const char* event_kind_name(bp_event_kind kind);
const char* device_kind_name(bp_device_kind kind);

}  // namespace bp::core
