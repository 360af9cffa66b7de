// probe_support.hpp — the cudnn plugin probed through a fake host (one
// plugin instance per case), shared by probe_test.cpp and
// probe_diagnosis_test.cpp. Each case is its own ctest entry (own process).
#pragma once

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "doctest/doctest.h"
#include "fake_host.hpp"

namespace bp_test::probe {

using options = std::map<std::string, std::string>;

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// An empty folder that lives for the process.
inline std::string empty_temp_folder() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/bp-cudnn-empty-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    return std::string(d);
  }();
  return dir;
}

inline bool real_driver_present() {
  static const bool present = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) != nullptr;
  return present;
}

struct probe_run {
  bp_test::fake_host host;
  std::unique_ptr<bp_test::plugin_file> plugin;
  bp_status status = BP_ERR_INTERNAL;

  bp_host_api table{};  // the host table the plugin gets (the fake host's, or a trimmed copy)

  // `without_get_option`: a minimal (older) host whose table ends before get_option.
  explicit probe_run(std::map<std::string, std::string> options = {}, bool without_get_option = false) {
    host.options = std::move(options);
    table = *host.api();
    if (without_get_option) {
      table.get_option = nullptr;
      table.struct_size = offsetof(bp_host_api, get_option);
    }
    plugin = std::make_unique<bp_test::plugin_file>(BP_CUDNN_PLUGIN_PATH, &table);
    status = plugin->api().probe(&table);
  }
  const bp_test::recorded_dependency& dep(const std::string& soname) const {
    const auto* d = host.dep(soname);
    REQUIRE_MESSAGE(d != nullptr, "no dependency report for " << soname);
    return *d;
  }
  void print() const {
    for (const auto& d : host.deps) MESSAGE(d.name << " [cause " << d.cause << "]: " << d.message);
    MESSAGE("verdict: state " << host.probe.state << " cause " << host.probe.cause << ": " << host.probe.message);
  }
};

// A fake driver (tests/cudnn/fake_libs/fake_cuda_driver.c) found through CUDA_PATH.
inline std::map<std::string, std::string> with_fake_driver(std::map<std::string, std::string> extra = {}) {
  extra["CUDA_PATH"] = BP_FAKE_DRIVER_DIR;
  return extra;
}

// probe + init with the fake driver and `fault`; returns init's status.
inline bp_status init_with(probe_run& run) {
  if (run.host.probe.state != BP_STATE_READY) return BP_ERR_UNAVAILABLE;
  void* ctx = nullptr;
  bp_status s = run.plugin->api().init(&run.table, &ctx);
  if (s == BP_OK) run.plugin->api().shutdown(ctx);
  return s;
}

}  // namespace bp_test::probe
