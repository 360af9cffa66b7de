// errors.cpp — last-error storage and the stable string names of the ABI's codes.
#include "errors.hpp"

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
  switch (origin) {
    case BP_ORIGIN_HOST_API: return "host_api";
    case BP_ORIGIN_ENV: return "env";
    case BP_ORIGIN_INSTALL: return "install";
    case BP_ORIGIN_BUILD: return "build";
    case BP_ORIGIN_SYSTEM: return "system";
    case BP_ORIGIN_FAULT: return "fault";
    default: return "unknown";
  }
}

const char* stage_name(bp_stage stage) {
  switch (stage) {
    case BP_STAGE_DISCOVER: return "discover";
    case BP_STAGE_LOAD: return "load";
    case BP_STAGE_ABI: return "abi";
    case BP_STAGE_PROBE: return "probe";
    case BP_STAGE_INIT: return "init";
    case BP_STAGE_EXECUTE: return "execute";
    case BP_STAGE_POLICY: return "policy";
    default: return "unknown";
  }
}

const char* event_kind_name(bp_event_kind kind) {
  switch (kind) {
    case BP_EVENT_BACKEND_FALLBACK: return "backend_fallback";
    case BP_EVENT_OP_FALLBACK: return "op_fallback";
    case BP_EVENT_RUNTIME_FAILURE: return "runtime_failure";
    default: return "unknown";
  }
}

const char* device_kind_name(bp_device_kind kind) {
  switch (kind) {
    case BP_DEVICE_KIND_CPU: return "cpu";
    case BP_DEVICE_KIND_GPU: return "gpu";
    default: return "other";
  }
}

}  // namespace bp::core

using namespace bp::core;

extern "C" {

BP_API const char* bp_last_error_message(void) { return thread_last_error().message.c_str(); }
BP_API bp_status bp_last_error_status(void) { return thread_last_error().status; }

BP_API const char* bp_status_name(bp_status status) {
  switch (status) {
    case BP_OK: return "ok";
    case BP_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case BP_ERR_UNSUPPORTED: return "unsupported";
    case BP_ERR_OUT_OF_MEMORY: return "out_of_memory";
    case BP_ERR_DEVICE: return "device_error";
    case BP_ERR_UNAVAILABLE: return "unavailable";
    case BP_ERR_INTERNAL: return "internal";
    case BP_ERR_ABI_MISMATCH: return "abi_mismatch";
    case BP_ERR_NOT_FOUND: return "not_found";
    case BP_ERR_POLICY: return "policy";
    default: return "unknown_status";
  }
}

BP_API const char* bp_cause_name(bp_cause cause) {
  static const char* const names[] = {
      "none",          "not_found",     "missing_dependency", "version_mismatch", "symbol_missing",
      "driver_missing", "driver_too_old", "no_device",         "out_of_memory",    "init_failed",
      "wrong_arch",    "not_a_plugin",  "abi_mismatch",       "probe_crashed",    "probe_timeout",
      "disabled",      "unsafe_file",   "not_allowlisted",    "duplicate",        "fault_injected",
      "plugin_error",  "damaged_file"};
  static_assert(sizeof(names) / sizeof(names[0]) == BP_CAUSE_COUNT_, "one name per cause");
  return cause >= 0 && cause < BP_CAUSE_COUNT_ ? names[cause] : "unknown_cause";
}

BP_API const char* bp_cause_remedy(bp_cause cause) {
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

BP_API const char* bp_state_name(bp_plugin_state state) {
  switch (state) {
    case BP_STATE_READY: return "ready";
    case BP_STATE_NO_DEVICE: return "no_device";
    case BP_STATE_UNAVAILABLE: return "unavailable";
    case BP_STATE_LOAD_FAILED: return "load_failed";
    case BP_STATE_INCOMPATIBLE: return "incompatible";
    case BP_STATE_INIT_FAILED: return "init_failed";
    case BP_STATE_DISABLED: return "disabled";
    case BP_STATE_REFUSED: return "refused";
    case BP_STATE_PROBE_CRASHED: return "probe_crashed";
    case BP_STATE_PROBE_TIMEOUT: return "probe_timeout";
    default: return "unknown_state";
  }
}

BP_API const char* bp_op_kind_name(bp_op_kind kind) {
  static const char* const names[] = {
      "INVALID",          "CONV2D_FWD",       "CONV2D_BWD_DATA", "CONV2D_BWD_FILTER", "BIAS_ADD",
      "BIAS_GRAD",        "ACTIVATION_FWD",   "ACTIVATION_BWD",  "POOL2D_FWD",        "POOL2D_BWD",
      "GEMM",             "SOFTMAX",          "SOFTMAX_BWD",     "SOFTMAX_XENT_FWD",  "SOFTMAX_XENT_BWD",
      "ADAM_UPDATE",      "SGD_UPDATE",       "ADD",             "SUB",               "MUL",
      "SCALE",            "FILL",             "COPY",            "REDUCE",            "ARGMAX"};
  static_assert(sizeof(names) / sizeof(names[0]) == BP_OP_KIND_COUNT_, "one name per op kind");
  return kind >= 0 && kind < BP_OP_KIND_COUNT_ ? names[kind] : "UNKNOWN_OP";
}

}  // extern "C"
