// errors.cpp — last-error storage; the stable names of the ABI's codes come
// from the one table per vocabulary in backplane/names.hpp.
#include "entry_guard.hpp"
#include "errors.hpp"

#include "backplane/names.hpp"
#include "backplane/text.hpp"
#include "records.hpp"

namespace bp::core {
namespace {
struct last_error {
  bp_status status = BP_OK;
  std::string message;
};
last_error& thread_last_error() {
  thread_local last_error error;
  return error;
}
}  // namespace

bp_status fail(bp_status status, std::string message) {
  last_error& e = thread_last_error();
  e.status = status;
  e.message = printable_utf8(message);  // hosts print it: names and values in it may hold any bytes
  return status;
}

bp_status fail_from_exception(bp_status status, const char* fn, const char* what) noexcept {
  last_error& e = thread_last_error();
  e.status = status;
  try {
    e.message = printable_utf8(std::string(fn) + ": " + (what ? what : "an exception") + " (caught at the C ABI boundary)");
  } catch (...) {
    e.message.clear();  // no memory even for the message: the status still says what happened
  }
  return status;
}

void clear_error() {
  last_error& e = thread_last_error();
  e.status = BP_OK;
  e.message.clear();
}

plugin_error& thread_plugin_error() {
  thread_local plugin_error error;
  return error;
}

const char* origin_name(bp_search_origin origin) {
  return bp::names::origin(origin);
}

const char* stage_name(bp_stage stage) {
  return bp::names::stage(stage);
}

const char* event_kind_name(bp_event_kind kind) {
  return bp::names::event_kind(kind);
}

const char* device_kind_name(bp_device_kind kind) {
  return bp::names::device_kind(kind);
}

}  // namespace bp::core

using namespace bp::core;

extern "C" {

static const char* bp_last_error_message_unguarded(void) { return thread_last_error().message.c_str(); }

BP_API const char* bp_last_error_message(void) {
  return guarded_value<const char*>("bp_last_error_message", "", [&] { return bp_last_error_message_unguarded(); });
}
static bp_status bp_last_error_status_unguarded(void) { return thread_last_error().status; }

BP_API bp_status bp_last_error_status(void) {
  return guarded("bp_last_error_status", [&] { return bp_last_error_status_unguarded(); });
}

static const char* bp_status_name_unguarded(bp_status status) {
  return bp::names::status(status);
}

BP_API const char* bp_status_name(bp_status status) {
  return guarded_value<const char*>("bp_status_name", "unknown", [&] { return bp_status_name_unguarded(status); });
}

static const char* bp_cause_name_unguarded(bp_cause cause) {
  return bp::names::cause(cause);
}

BP_API const char* bp_cause_name(bp_cause cause) {
  return guarded_value<const char*>("bp_cause_name", "unknown", [&] { return bp_cause_name_unguarded(cause); });
}

static const char* bp_cause_remedy_unguarded(bp_cause cause) {
  switch (cause) {
    case BP_CAUSE_NONE: return "";
    case BP_CAUSE_NOT_FOUND: return "install the missing library, or point BACKPLANE_<DEP>_PATH / BACKPLANE_PLUGIN_PATH at its folder";
    case BP_CAUSE_MISSING_DEPENDENCY: return "install the library named in the message (a dependency of the one that failed to load)";
    case BP_CAUSE_VERSION_MISMATCH: return "install the version named under 'required', or point BACKPLANE_<DEP>_PATH at a compatible copy";
    case BP_CAUSE_SYMBOL_MISSING: return "the library is too old or not the expected one; install the required version";
    case BP_CAUSE_DRIVER_MISSING: return "install the NVIDIA driver (it provides libcuda.so.1; `nvidia-smi` should list the GPU), or run on the CPU";
    case BP_CAUSE_DRIVER_TOO_OLD: return "upgrade the NVIDIA driver to one that supports the CUDA version named under 'required'";
    case BP_CAUSE_NO_DEVICE: return "check that a GPU is present and visible (`nvidia-smi`; CUDA_VISIBLE_DEVICES must not hide it)";
    case BP_CAUSE_OUT_OF_MEMORY: return "free device memory (other processes?) or cap usage with BACKPLANE_GPU_MEMORY_LIMIT";
    case BP_CAUSE_INIT_FAILED: return "see the message; rerun with BACKPLANE_LOG=debug for details";
    case BP_CAUSE_WRONG_ARCH: return "install the plugin built for this machine's architecture";
    case BP_CAUSE_NOT_A_PLUGIN: return "remove the file from the plugin folder, or rebuild it with backplane_add_plugin()";
    case BP_CAUSE_ABI_MISMATCH: return "rebuild the plugin against this Backplane SDK (same ABI major version)";
    case BP_CAUSE_PROBE_CRASHED: return "the plugin or a vendor library crashed while probing; disable it with BACKPLANE_DISABLE=<name> and report it";
    case BP_CAUSE_PROBE_TIMEOUT: return "the plugin hung while probing; disable it with BACKPLANE_DISABLE=<name> and report it";
    case BP_CAUSE_DISABLED: return "remove it from BACKPLANE_DISABLE (or the host's disable list) to use it";
    case BP_CAUSE_UNSAFE_FILE: return "fix the permissions (no write access for others) or use an absolute path; BACKPLANE_ALLOW_UNSAFE_PLUGINS=1 overrides";
    case BP_CAUSE_NOT_ALLOWLISTED: return "add the file's SHA-256 to the BACKPLANE_PLUGIN_ALLOWLIST file";
    case BP_CAUSE_DUPLICATE: return "remove one of the copies; the first one found is used";
    case BP_CAUSE_FAULT_INJECTED: return "unset BACKPLANE_FAULT";
    case BP_CAUSE_PLUGIN_ERROR: return "see the message; the plugin reported an error";
    case BP_CAUSE_DAMAGED_FILE: return "reinstall the package that provides the file named in the message (it is empty, truncated or not a shared library)";
    default: return "";
  }
}

BP_API const char* bp_cause_remedy(bp_cause cause) {
  return guarded_value<const char*>("bp_cause_remedy", "unknown", [&] { return bp_cause_remedy_unguarded(cause); });
}

static const char* bp_state_name_unguarded(bp_plugin_state state) {
  return bp::names::state(state);
}

BP_API const char* bp_state_name(bp_plugin_state state) {
  return guarded_value<const char*>("bp_state_name", "unknown", [&] { return bp_state_name_unguarded(state); });
}

static const char* bp_op_kind_name_unguarded(bp_op_kind kind) {
  return bp::names::op_kind(kind);
}

BP_API const char* bp_op_kind_name(bp_op_kind kind) {
  return guarded_value<const char*>("bp_op_kind_name", "unknown", [&] { return bp_op_kind_name_unguarded(kind); });
}

}  // extern "C"
