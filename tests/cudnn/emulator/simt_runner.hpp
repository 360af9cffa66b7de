// simt_runner.hpp — runs one kernel launch on the CPU (see simt.hpp for the
// device-side half). Used by the emulated driver's cuLaunchKernel.
#pragma once

#include <functional>
#include <string>

#include "simt_dims.hpp"

namespace bp_emu::simt {

// Runs body() once per thread of the grid. `cooperative` kernels (those that
// use __syncthreads or warp shuffles) run each block's threads as fibers that
// switch at barriers; the others as plain calls (fast). Returns "" or what
// went wrong (a barrier in a kernel registered as non-cooperative, a
// deadlock, a lane leaving while its warp waits in a shuffle).
std::string run_grid(dim3v grid, dim3v block, bool cooperative, const std::function<void()>& body);

}  // namespace bp_emu::simt
