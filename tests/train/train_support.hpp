// train_support.hpp — shared helpers of the train tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "backplane/backplane.hpp"
#include "backplane/nn/nn.hpp"

namespace train_test {

// A hermetic runtime on the build tree's openblas-cpu plugin only, or null
// (with a MESSAGE saying why) when the plugin was not built.
inline std::unique_ptr<bp::runtime> openblas_runtime() {
#ifdef BACKPLANE_OPENBLAS_PLUGIN
  static const char* paths[] = {BACKPLANE_OPENBLAS_PLUGIN};
  bp_runtime_options options = bp::runtime::options();
  options.plugin_paths = paths;
  options.num_plugin_paths = 1;
  options.explicit_paths_only = 1;
  options.use_environment = 0;
  options.backends = "openblas-cpu";
  options.fallback = BP_FALLBACK_ERROR;
  return std::make_unique<bp::runtime>(options);
#else
  MESSAGE("skipped: the openblas-cpu plugin is not part of this build");
  return nullptr;
#endif
}

}  // namespace train_test
