// runtime.hpp — the state behind a bp_runtime_t and a bp_tensor_t.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "config.hpp"
#include "discovery.hpp"
#include "op_dispatch.hpp"
#include "plugin_loader.hpp"
#include "records.hpp"

struct bp_tensor_s;

// Per op kind: where it ran and why it did not run on the backend.
struct op_placement {
  uint64_t on_backend = 0;
  uint64_t on_fallback = 0;
  std::string fallback_reason;
};

struct bp_runtime_s {
  static constexpr uint64_t live_magic = 0x4250525554494d45ull;  // "BPRUTIME"
  uint64_t magic = live_magic;
  bp::core::config cfg;
  bp::core::discovery_result discovery;
  // Records have stable addresses (plugins keep pointers to theirs).
  std::vector<std::unique_ptr<bp::core::plugin_record>> records;
  std::vector<std::unique_ptr<bp::core::loaded_plugin>> plugins;
  bp::core::loaded_plugin* active = nullptr;
  bp::core::loaded_plugin* fallback = nullptr;  // CPU plugin for per-op fallback (initialised on first use)
  bool fallback_tried = false;
  std::string preferred;
  bool refused_by_policy = false;  // BACKPLANE_FALLBACK=error refused the fallback (creation failed)
  std::vector<bp::core::event_record> events;
  std::unordered_set<bp_tensor_s*> tensors;
  std::map<bp_op_kind, op_placement> placement;
  uint64_t bytes_moved = 0;
  bp::core::op_dispatch_state dispatch;  // support verdicts and fallback buffers (op_dispatch.cpp)
  std::mutex mutex;  // guards events, tensors, placement, fallback

  ~bp_runtime_s();
  // Record an event, tell the host's callback, and apply the print policy.
  void raise_event(bp::core::event_record event);
  // The CPU plugin used for per-op fallback; nullptr if none can serve. Call with `mutex` held.
  bp::core::loaded_plugin* fallback_plugin();
};

struct bp_tensor_s {
  static constexpr uint64_t live_magic = 0x4250544e534f5221ull;  // "BPTNSOR!"
  uint64_t magic = live_magic;
  bp_runtime_s* runtime = nullptr;
  bp::core::loaded_plugin* owner = nullptr;  // the plugin whose memory holds `data`
  void* data = nullptr;
  uint64_t nbytes = 0;
  int64_t shape[BP_MAX_DIMS] = {0};
  bp_tensor view{};
  // Imported (host-owned) memory: not freed by the plugin; the deleter runs instead.
  bp_external_deleter external_deleter = nullptr;
  void* external_context = nullptr;
  bool external = false;
};

namespace bp::core {
// Handle validation through a process-wide registry, so a destroyed or
// foreign handle is reported instead of dereferenced.
bool runtime_is_live(bp_runtime_t rt);
bool tensor_is_live(bp_tensor_t t);
void register_tensor(bp_tensor_t t);
void unregister_tensor(bp_tensor_t t);
std::string report_json(bp_runtime_s& rt);
std::string discovery_report_json(const discovery_result& d);
std::string human_summary(const bp_runtime_s& rt);
}  // namespace bp::core

// Early return with a clear error when `rt` is not a live runtime.
#define BP_CHECK_RUNTIME(rt, fn)                                                               \
  if (!bp::core::runtime_is_live(rt))                                                          \
    return bp::core::fail(BP_ERR_INVALID_ARGUMENT,                                             \
                          std::string(fn) + ": runtime handle is " +                           \
                              (rt ? "not a live runtime (destroyed, or not a runtime)" : "NULL"));
