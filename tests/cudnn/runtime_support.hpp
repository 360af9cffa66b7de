// runtime_support.hpp — runtimes over the build tree's plugin folder for the
// cudnn tests, event capture, and the GPU-or-skip helper.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"
#include "doctest/doctest.h"
#include "skip.hpp"
#include "gpu_env.hpp"
#include "hermetic_options.hpp"

namespace cudnn_test {

struct captured_event {
  bp_event_kind kind;
  std::string plugin, selected, message, remedy;
  bp_cause cause;
  bp_stage stage;
};

struct event_log {
  std::vector<captured_event> events;
  static void callback(void* user, const bp_event* e) {
    static_cast<event_log*>(user)->events.push_back(
        {e->kind, e->plugin ? e->plugin : "", e->selected ? e->selected : "", e->message ? e->message : "",
         e->remedy ? e->remedy : "", e->cause, e->stage});
  }
};

// Hermetic options: only the build's plugin folder, no BACKPLANE_* variables.
// (tests/framework's, over the build's plugin folder; backends, events and faults as given)
inline bp_runtime_options hermetic_options(const char* backends, event_log* log = nullptr, const char* fault = nullptr) {
  static const bp_test::hermetic_options plugin_folder({BP_PLUGIN_DIR});
  bp_runtime_options o = plugin_folder.o;
  o.fallback = BP_FALLBACK_DEFAULT;  // the default policy: these tests check what a host gets by default
  o.backends = backends;
  o.fault = fault;
  if (log) {
    o.on_event = &event_log::callback;
    o.user_data = log;
  }
  return o;
}

// The plugin looks only in the test stack's folder, when there is one (gpu_env.hpp):
// BACKPLANE_CUDA_PATH, BACKPLANE_CUDNN_PATH, BACKPLANE_DEP_SEARCH=override_only.
inline bp_runtime_options cudnn_options(const char* backends) {
  bp_runtime_options o = hermetic_options(backends);
  if (const char* stack = test_stack()) {
    ::setenv("BACKPLANE_CUDA_PATH", stack, 1);
    ::setenv("BACKPLANE_CUDNN_PATH", stack, 1);
    ::setenv("BACKPLANE_DEP_SEARCH", "override_only", 1);
    o.use_environment = 1;  // the plugin reads the stack folder through the host's options
  }
  return o;
}

// The cudnn runtime, or nullptr after a visible SKIPPED message saying why
// (a failed REQUIRE when a GPU is required).
// use_environment: the plugin reads BACKPLANE_* settings (e.g. GPU_MEMORY_LIMIT) the test sets.
inline std::unique_ptr<bp::runtime> gpu_runtime_or_skip(bool use_environment = false) {
  bp_runtime_options o = cudnn_options("cudnn");
  if (use_environment) o.use_environment = 1;
  o.fallback = BP_FALLBACK_ERROR;
  o.op_fallback = 0;  // conformance means the GPU runs every op itself
  bp_runtime_t rt = nullptr;
  if (bp_runtime_create(&o, &rt) != BP_OK) {
    const std::string why = bp_last_error_message();
    if (gpu_required()) FAIL("the cudnn plugin must serve here (BP_CUDNN_TEST_STACK / BP_CUDNN_TEST_REQUIRE_GPU): " << why);
    if (why.find("libcuda.so.1 not found") != std::string::npos)
      BP_SKIP("no CUDA driver (libcuda.so.1 not found)");
    else
      BP_SKIP("the cudnn plugin cannot serve here: " << why);
    return nullptr;
  }
  bp_runtime_destroy(rt);
  if (const char* stack = test_stack()) MESSAGE("cudnn plugin on the CUDA stack in " << std::string(stack));
  return std::make_unique<bp::runtime>(o);
}

inline std::unique_ptr<bp::runtime> cpu_runtime() {
  bp_runtime_options o = hermetic_options("openblas-cpu");
  o.fallback = BP_FALLBACK_ERROR;
  return std::make_unique<bp::runtime>(o);
}

}  // namespace cudnn_test
