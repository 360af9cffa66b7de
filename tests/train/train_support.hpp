// train_support.hpp — shared helpers of the train tests.
#pragma once

#include <doctest/doctest.h>
#include "skip.hpp"

#include <cstdlib>
#include <memory>
#include <string>

#include "backplane/backplane.hpp"
#include "backplane/nn/nn.hpp"

namespace train_test {

// A hermetic runtime on the build tree's openblas-cpu plugin only, or null
// (with a MESSAGE saying why) when the plugin was not built. threads > 0 pins
// the plugin's worker count: the only way to hand it an option is
// BACKPLANE_CPU_THREADS, so that one variable is set for the creation and
// the environment is read just then.
inline std::unique_ptr<bp::runtime> openblas_runtime(int threads = 0) {
#ifdef BACKPLANE_OPENBLAS_PLUGIN
  static const char* paths[] = {BACKPLANE_OPENBLAS_PLUGIN};
  bp_runtime_options options = bp::runtime::options();
  options.plugin_paths = paths;
  options.num_plugin_paths = 1;
  options.explicit_paths_only = 1;
  options.use_environment = threads > 0 ? 1 : 0;
  options.backends = "openblas-cpu";
  options.fallback = BP_FALLBACK_ERROR;
  if (threads <= 0) return std::make_unique<bp::runtime>(options);
  const char* old = std::getenv("BACKPLANE_CPU_THREADS");
  const std::string saved = old ? old : "";
  setenv("BACKPLANE_CPU_THREADS", std::to_string(threads).c_str(), 1);
  auto rt = std::make_unique<bp::runtime>(options);
  if (old)
    setenv("BACKPLANE_CPU_THREADS", saved.c_str(), 1);
  else
    unsetenv("BACKPLANE_CPU_THREADS");
  return rt;
#else
  BP_SKIP("the openblas-cpu plugin is not part of this build");
  return nullptr;
#endif
}

}  // namespace train_test
