// gpu_env.hpp — where the cudnn GPU tests run, from the environment:
// BP_CUDNN_TEST_STACK=<folder> runs them on the CUDA stack in that folder (the
// emulated one, tests/cudnn/emulator, or a real driver/toolkit copy);
// BP_CUDNN_TEST_REQUIRE_GPU=1 (implied by a stack) makes "cannot serve" a
// failure instead of a skip: on a GPU machine or the emulator a skip would
// hide a broken plugin.
#pragma once

#include <cstdlib>
#include <string>

namespace cudnn_test {

inline const char* test_stack() {
  const char* s = std::getenv("BP_CUDNN_TEST_STACK");
  return s && *s ? s : nullptr;
}

inline bool gpu_required() {
  const char* r = std::getenv("BP_CUDNN_TEST_REQUIRE_GPU");
  return test_stack() || (r && std::string(r) == "1");
}

}  // namespace cudnn_test
