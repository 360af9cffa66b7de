// fixtures.hpp — helpers shared by the core tests: hermetic runtime options
// pointing at one fake-plugin folder, and a scoped environment variable.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"

namespace fixtures {

inline std::string fake_dir(const std::string& variant) { return std::string(BACKPLANE_FAKES_DIR) + "/" + variant; }

// Options that see only `paths` and ignore the environment.
struct hermetic_options {
  std::vector<std::string> storage;
  std::vector<const char*> ptrs;
  bp_runtime_options o;
  explicit hermetic_options(std::vector<std::string> paths) : storage(std::move(paths)) {
    for (auto& p : storage) ptrs.push_back(p.c_str());
    bp_runtime_options_init(&o);
    o.plugin_paths = ptrs.data();
    o.num_plugin_paths = static_cast<uint32_t>(ptrs.size());
    o.use_environment = 0;
    o.explicit_paths_only = 1;
    o.fallback = BP_FALLBACK_ALLOW;
  }
};

struct scoped_env {
  std::string name;
  std::string old;
  bool had;
  scoped_env(const char* n, const char* value) : name(n) {
    const char* v = std::getenv(n);
    had = v != nullptr;
    if (had) old = v;
    if (value) setenv(n, value, 1);
    else unsetenv(n);
  }
  ~scoped_env() {
    if (had) setenv(name.c_str(), old.c_str(), 1);
    else unsetenv(name.c_str());
  }
};

inline const bp_plugin_info* find_plugin(const std::vector<bp_plugin_info>& infos, const std::string& name) {
  for (auto& i : infos)
    if (name == i.name) return &i;
  return nullptr;
}

}  // namespace fixtures
