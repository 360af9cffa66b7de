// errors.hpp — the thread's last error, and the stable names of codes.
#pragma once

#include <string>

#include "backplane/runtime.h"

namespace bp::core {

// Record a failure for bp_last_error_message() and return `status`.
bp_status fail(bp_status status, std::string message);
// fail() for a caught exception; never throws (entry_guard.hpp).
bp_status fail_from_exception(bp_status status, const char* fn, const char* what) noexcept;
// Clear the thread's last error (called at the start of public calls that succeed silently).
void clear_error();

// Plugin-side message slot: bp_host_api.set_error writes here; the core reads it right after the call.
struct plugin_error {
  bp_status status = BP_OK;
  std::string message;
};
plugin_error& thread_plugin_error();

}  // namespace bp::core
