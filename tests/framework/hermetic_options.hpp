// hermetic_options.hpp — THE hermetic runtime options of the tests
// (tests/framework): a runtime that sees only the given plugin files or
// folders and reads no BACKPLANE_* variable, so the caller's environment can
// never change a test's outcome. Fallback between backends allowed; fault
// injection and backends as given.
#pragma once

#include <string>
#include <vector>

#include "backplane/runtime.h"

namespace bp_test {

struct hermetic_options {
  std::vector<std::string> storage;  // the paths, kept alive for o.plugin_paths
  std::vector<const char*> ptrs;
  std::string fault_storage, backends_storage;
  bp_runtime_options o;

  explicit hermetic_options(std::vector<std::string> paths, const char* fault = nullptr, const char* backends = nullptr)
      : storage(std::move(paths)) {
    for (auto& p : storage) ptrs.push_back(p.c_str());
    bp_runtime_options_init(&o);
    o.plugin_paths = ptrs.data();
    o.num_plugin_paths = static_cast<uint32_t>(ptrs.size());
    o.use_environment = 0;
    o.explicit_paths_only = 1;
    o.fallback = BP_FALLBACK_ALLOW;
    if (fault) {
      fault_storage = fault;
      o.fault = fault_storage.c_str();
    }
    if (backends) {
      backends_storage = backends;
      o.backends = backends_storage.c_str();
    }
  }
  // o points into this object: no copies.
  hermetic_options(const hermetic_options&) = delete;
  hermetic_options& operator=(const hermetic_options&) = delete;
};

}  // namespace bp_test
