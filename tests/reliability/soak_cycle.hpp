// soak_cycle.hpp — one load/use/unload cycle of a runtime, shared by the soak
// test (RSS/fd growth) and soak_runner (the same cycles under valgrind).
#pragma once

#include <string>

#include "backplane/runtime.h"

namespace rel {
// Creates a runtime from `options`, allocates, runs a few ops, checks the
// numbers, reads the report and destroys everything. Returns "" or what failed.
std::string soak_cycle(const bp_runtime_options& options, int index);
}  // namespace rel
