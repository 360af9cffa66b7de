// runtime_fallback_test.cpp — the cudnn plugin through the core's runtime API:
// on a machine where it cannot serve, "cudnn,openblas-cpu" selects the CPU
// plugin, raises one structured BACKEND_FALLBACK event carrying the plugin's
// cause and remedy, and the JSON report holds the per-dependency search.
#include <dlfcn.h>

#include "runtime_support.hpp"

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string report_json(bp_runtime_t rt) {
  uint64_t needed = 0;
  REQUIRE(bp_runtime_report_json(rt, nullptr, 0, &needed) == BP_OK);
  std::string text(needed, '\0');
  REQUIRE(bp_runtime_report_json(rt, text.data(), needed, &needed) == BP_OK);
  text.resize(text.find('\0') == std::string::npos ? text.size() : text.find('\0'));
  return text;
}

bool driver_present() { return ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) != nullptr; }

}  // namespace

TEST_CASE("runtime with backends cudnn then openblas-cpu falls back with a structured event") {
  if (driver_present()) {
    BP_SKIP("this machine has a CUDA driver, so there is no driver_missing fallback to observe");
    return;
  }
  cudnn_test::event_log log;
  bp_runtime_options o = cudnn_test::hermetic_options("cudnn,openblas-cpu", &log);
  o.fallback = BP_FALLBACK_ALLOW;
  bp_runtime_t rt = nullptr;
  REQUIRE_MESSAGE(bp_runtime_create(&o, &rt) == BP_OK, bp_last_error_message());
  CHECK(std::string(bp_runtime_backend(rt)) == "openblas-cpu");
  REQUIRE(log.events.size() >= 1);
  const auto& e = log.events.front();
  CHECK(e.kind == BP_EVENT_BACKEND_FALLBACK);
  CHECK(e.plugin == "cudnn");
  CHECK(e.selected == "openblas-cpu");
  CHECK(e.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(contains(e.message, "libcuda.so.1"));
  CHECK(contains(e.remedy, "install the NVIDIA driver"));
  // The same event is queryable afterwards.
  REQUIRE(bp_runtime_event_count(rt) >= 1);
  bp_event stored{};
  stored.struct_size = sizeof(stored);
  REQUIRE(bp_runtime_event(rt, 0, &stored) == BP_OK);
  CHECK(stored.cause == BP_CAUSE_DRIVER_MISSING);
  // Per-plugin info says why cudnn was not selected.
  bool saw_cudnn = false;
  for (uint32_t i = 0; i < bp_runtime_plugin_count(rt); ++i) {
    bp_plugin_info info{};
    info.struct_size = sizeof(info);
    REQUIRE(bp_runtime_plugin_info(rt, i, &info) == BP_OK);
    if (std::string(info.name) != "cudnn") continue;
    saw_cudnn = true;
    CHECK(info.state == BP_STATE_UNAVAILABLE);
    CHECK(info.cause == BP_CAUSE_DRIVER_MISSING);
    CHECK(info.selected == 0);
  }
  CHECK(saw_cudnn);
  const std::string json = report_json(rt);
  CHECK(contains(json, "driver_missing"));
  CHECK(contains(json, "libcuda.so.1: cannot open shared object file"));
  CHECK(contains(json, "libcudnn.so.9"));
  bp_runtime_destroy(rt);
}

TEST_CASE("runtime fault cudnn:missing=libcudnn.so.9 reaches the plugin's report") {
  cudnn_test::event_log log;
  bp_runtime_options o = cudnn_test::hermetic_options("cudnn,openblas-cpu", &log, "cudnn:missing=libcudnn.so.9");
  o.fallback = BP_FALLBACK_ALLOW;
  bp_runtime_t rt = nullptr;
  REQUIRE_MESSAGE(bp_runtime_create(&o, &rt) == BP_OK, bp_last_error_message());
  CHECK(std::string(bp_runtime_backend(rt)) == "openblas-cpu");
  const std::string json = report_json(rt);
  CHECK(contains(json, "hidden by fault injection (BACKPLANE_FAULT)"));
  bp_runtime_destroy(rt);
}

TEST_CASE("runtime with fallback=error refuses and carries the cudnn report") {
  if (driver_present()) {
    BP_SKIP("this machine has a CUDA driver");
    return;
  }
  bp_runtime_options o = cudnn_test::hermetic_options("cudnn,openblas-cpu");
  o.fallback = BP_FALLBACK_ERROR;
  bp_runtime_t rt = nullptr;
  const bp_status s = bp_runtime_create(&o, &rt);
  CHECK(s != BP_OK);
  CHECK(rt == nullptr);
  CHECK(contains(bp_last_error_message(), "libcuda.so.1"));
}

TEST_CASE("runtime: a malformed GPU setting is a configuration error on any machine, never a fallback") {
  // Read at probe, before the driver: the same answer with or without a GPU (issue #17 item 13).
  for (const char* setting : {"BACKPLANE_GPU_MEMORY_LIMIT=abc", "BACKPLANE_GPU_MEMORY_CACHING=maybe"}) {
    CAPTURE(setting);
    const std::string text = setting;
    const std::string name = text.substr(0, text.find('='));
    ::setenv(name.c_str(), text.substr(text.find('=') + 1).c_str(), 1);
    cudnn_test::event_log log;
    bp_runtime_options o = cudnn_test::hermetic_options("cudnn,openblas-cpu", &log);
    o.use_environment = 1;  // the plugin reads BACKPLANE_GPU_* through the host's options
    o.fallback = BP_FALLBACK_ALLOW;
    bp_runtime_t rt = nullptr;
    const bp_status s = bp_runtime_create(&o, &rt);
    ::unsetenv(name.c_str());
    CHECK(s == BP_ERR_INVALID_ARGUMENT);
    CHECK(rt == nullptr);
    const std::string why = bp_last_error_message();
    CHECK(contains(why, "setting is malformed"));
    CHECK(contains(why, name));
    CHECK(log.events.empty());  // no fallback event: nothing was selected
    if (rt) bp_runtime_destroy(rt);
  }
}
