// backplane/names.hpp — the one name table per vocabulary of the ABI: op kinds,
// tensor roles, statuses, causes, plugin states, search origins, stages, event
// kinds and device kinds.
//
// Header-only and next to abi.h so that the core (bp_*_name), the SDK (the op
// contract's messages, dependency rules) and the tool read the same words; a
// new enum value that lacks a name fails to compile here (static_assert), not
// at a user's desk. The words are stable: reports, logs and scripts match on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backplane/abi.h"
#include "backplane/runtime.h"  // bp_stage, bp_event_kind (host-side vocabularies)

namespace bp::names {

namespace detail {
template <typename E, std::size_t N>
constexpr const char* lookup(const char* const (&table)[N], E value, const char* unknown) {
  return static_cast<int64_t>(value) >= 0 && static_cast<std::size_t>(value) < N ? table[value] : unknown;
}
template <std::size_t N>
inline int index_of(const char* const (&table)[N], const char* name) {
  for (std::size_t i = 0; name && i < N; ++i)
    if (std::strcmp(table[i], name) == 0) return static_cast<int>(i);
  return -1;
}
}  // namespace detail

inline constexpr const char* op_kinds[] = {
    "INVALID",     "CONV2D_FWD",     "CONV2D_BWD_DATA", "CONV2D_BWD_FILTER", "BIAS_ADD",         "BIAS_GRAD",
    "ACTIVATION_FWD", "ACTIVATION_BWD", "POOL2D_FWD",  "POOL2D_BWD",        "GEMM",             "SOFTMAX",
    "SOFTMAX_BWD", "SOFTMAX_XENT_FWD", "SOFTMAX_XENT_BWD", "ADAM_UPDATE",    "SGD_UPDATE",       "ADD",
    "SUB",         "MUL",            "SCALE",           "FILL",              "COPY",             "REDUCE",
    "ARGMAX"};
static_assert(sizeof(op_kinds) / sizeof(op_kinds[0]) == BP_OP_KIND_COUNT_, "one name per op kind");

inline constexpr const char* causes[] = {
    "none",           "not_found",      "missing_dependency", "version_mismatch", "symbol_missing",
    "driver_missing", "driver_too_old", "no_device",          "out_of_memory",    "init_failed",
    "wrong_arch",     "not_a_plugin",   "abi_mismatch",       "probe_crashed",    "probe_timeout",
    "disabled",       "unsafe_file",    "not_allowlisted",    "duplicate",        "fault_injected",
    "plugin_error",   "damaged_file"};
static_assert(sizeof(causes) / sizeof(causes[0]) == BP_CAUSE_COUNT_, "one name per cause");

inline constexpr const char* statuses[] = {"ok",          "invalid_argument", "unsupported", "out_of_memory",
                                           "device_error", "unavailable",     "internal",    "abi_mismatch",
                                           "not_found",   "policy"};
static_assert(BP_OK == 0 && sizeof(statuses) / sizeof(statuses[0]) == BP_ERR_POLICY + 1, "one name per status");

inline constexpr const char* states[] = {"ready",       "no_device", "unavailable",   "load_failed",  "incompatible",
                                         "init_failed", "disabled",  "refused",       "probe_crashed", "probe_timeout"};
static_assert(BP_STATE_READY == 0 && sizeof(states) / sizeof(states[0]) == BP_STATE_PROBE_TIMEOUT + 1,
              "one name per plugin state");

inline constexpr const char* origins[] = {"host_api", "env", "install", "build", "system", "fault"};
static_assert(BP_ORIGIN_HOST_API == 0 && sizeof(origins) / sizeof(origins[0]) == BP_ORIGIN_FAULT + 1,
              "one name per search origin");

inline constexpr const char* stages[] = {"discover", "load", "abi", "probe", "init", "execute", "policy"};
static_assert(BP_STAGE_DISCOVER == 0 && sizeof(stages) / sizeof(stages[0]) == BP_STAGE_POLICY + 1,
              "one name per stage");

inline constexpr const char* event_kinds[] = {"backend_fallback", "op_fallback", "runtime_failure"};
static_assert(BP_EVENT_BACKEND_FALLBACK == 0 && sizeof(event_kinds) / sizeof(event_kinds[0]) == BP_EVENT_RUNTIME_FAILURE + 1,
              "one name per event kind");

inline constexpr const char* device_kinds[] = {"cpu", "gpu", "other"};
static_assert(BP_DEVICE_KIND_CPU == 0 && BP_DEVICE_KIND_GPU == 1 && BP_DEVICE_KIND_OTHER == 2,
              "device kind names follow the enum");

constexpr const char* op_kind(bp_op_kind k) { return detail::lookup(op_kinds, k, "UNKNOWN_OP"); }
constexpr const char* cause(bp_cause c) { return detail::lookup(causes, c, "unknown_cause"); }
constexpr const char* status(bp_status s) { return detail::lookup(statuses, s, "unknown_status"); }
constexpr const char* state(bp_plugin_state s) { return detail::lookup(states, s, "unknown_state"); }
constexpr const char* origin(bp_search_origin o) { return detail::lookup(origins, o, "unknown"); }
constexpr const char* stage(bp_stage s) { return detail::lookup(stages, s, "unknown"); }
constexpr const char* event_kind(bp_event_kind k) { return detail::lookup(event_kinds, k, "unknown"); }
constexpr const char* device_kind(bp_device_kind k) { return detail::lookup(device_kinds, k, "other"); }

// Reverse lookups (reports back to codes); -1 when the name is not in the table.
inline int cause_from_name(const char* name) { return detail::index_of(causes, name); }
inline int op_kind_from_name(const char* name) { return detail::index_of(op_kinds, name); }

}  // namespace bp::names
