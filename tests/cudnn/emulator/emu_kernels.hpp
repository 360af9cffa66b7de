// emu_kernels.hpp — the cudnn plugin's kernels, compiled for the CPU, by name.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace bp_emu {

struct kernel_info {
  std::string name;
  bool cooperative = false;  // uses __syncthreads / warp shuffles: needs fibers
  size_t num_params = 0;
  // Copies the arguments out of cuLaunchKernel's params (as the driver does at
  // launch) into a callable that runs the kernel body for the current thread.
  std::function<std::function<void()>(void** params)> bind;
  // The values of the pointer-typed parameters (to check they are device memory).
  std::function<std::vector<const void*>(void** params)> pointer_args;
};

// nullptr when no kernel has that name.
const kernel_info* find_kernel(const std::string& name);

}  // namespace bp_emu
