// kernels.hpp — the plugin's own CUDA kernels: fatbins compiled by nvcc at
// build time and embedded in the plugin (kernels_embedded.cpp, generated),
// loaded with cuModuleLoadData once a context exists, launched with
// cuLaunchKernel.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.hpp"

namespace bp::cudnn {

struct fatbin_image {
  const char* name;           // source file stem, e.g. "elementwise"
  const unsigned char* data;  // fatbin bytes (aligned)
  size_t size;
};
// Defined in the generated kernels_embedded.cpp.
extern const fatbin_image kFatbinImages[];
extern const size_t kFatbinImageCount;

class kernel_library {
 public:
  // Loads every embedded image into the CURRENT context.
  explicit kernel_library(const driver_api& cu);
  ~kernel_library();
  kernel_library(const kernel_library&) = delete;
  kernel_library& operator=(const kernel_library&) = delete;

  CUfunction get(const char* name);

  // 1-D launch; every kernel uses grid-stride loops so the grid is capped.
  template <typename... Args>
  void launch(const char* name, CUstream stream, long long work_items, unsigned block, Args... args) {
    long long grid = (work_items + block - 1) / block;
    if (grid < 1) grid = 1;
    if (grid > 65535LL * 16) grid = 65535LL * 16;
    launch_grid(name, stream, static_cast<unsigned>(grid), block, args...);
  }
  template <typename... Args>
  void launch_grid(const char* name, CUstream stream, unsigned grid, unsigned block, Args... args) {
    void* params[] = {static_cast<void*>(&args)...};
    CUfunction f = get(name);
    CUresult r = cu_.cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, stream, params, nullptr);
    if (r != CUDA_SUCCESS) check(r, (std::string("cuLaunchKernel(") + name + ")").c_str());
  }

 private:
  const driver_api& cu_;
  std::vector<CUmodule> modules_;
  std::mutex mutex_;
  std::unordered_map<std::string, CUfunction> functions_;
};

}  // namespace bp::cudnn
