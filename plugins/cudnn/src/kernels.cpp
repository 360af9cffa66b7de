#include "kernels.hpp"

namespace bp::cudnn {

kernel_library::kernel_library(const driver_api& cu) : cu_(cu) {
  for (size_t i = 0; i < kFatbinImageCount; ++i) {
    CUmodule m = nullptr;
    CUresult r = cu_.cuModuleLoadData(&m, kFatbinImages[i].data);
    if (r != CUDA_SUCCESS) {
      for (CUmodule loaded : modules_) cu_.cuModuleUnload(loaded);
      modules_.clear();
      // NO_BINARY_FOR_GPU: the GPU is older than sm_80 and the embedded PTX (compute_90) cannot be JIT'ed for it.
      check(r, (std::string("cuModuleLoadData(kernels/") + kFatbinImages[i].name +
                ".cu; embedded SASS sm_80, sm_90 + PTX compute_90)")
                   .c_str());
    }
    modules_.push_back(m);
  }
}

kernel_library::~kernel_library() {
  for (CUmodule m : modules_) cu_.cuModuleUnload(m);
}

CUfunction kernel_library::get(const char* name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = functions_.find(name);
  if (it != functions_.end()) return it->second;
  for (CUmodule m : modules_) {
    CUfunction f = nullptr;
    if (cu_.cuModuleGetFunction(&f, m, name) == CUDA_SUCCESS && f) {
      functions_.emplace(name, f);
      return f;
    }
  }
  bp::sdk::fail(BP_ERR_INTERNAL, std::string("cudnn plugin: kernel ") + name + " is not in the embedded fatbins");
}

}  // namespace bp::cudnn
