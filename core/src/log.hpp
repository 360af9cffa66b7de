// log.hpp — BACKPLANE_LOG: levels and categories in the spirit of VK_LOADER_DEBUG.
//   BACKPLANE_LOG=warn (default) | error | info | debug | all, optionally with
//   categories: "debug,loader" or "info,plugin,op". No category => all categories.
//   Categories: loader (discovery/selection), plugin (messages from plugins),
//   dependency (vendor library search), op (placement and per-op fallback).
// Fallback warnings are printed by the policy code, not by this filter, so
// they are visible by default at any level.
#pragma once

#include <string>

#include "backplane/abi.h"

namespace bp::core {
bool configure_logging(const std::string& spec, std::string* why);
bool log_enabled(bp_log_level level, const char* category);
void log_message(bp_log_level level, const char* category, const std::string& message);
}  // namespace bp::core
