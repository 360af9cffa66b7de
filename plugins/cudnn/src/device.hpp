// device.hpp — per-device state created by init(): primary context, the
// plugin stream, cuBLAS/cuDNN handles, the caching allocator and the kernels.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backplane/abi.h"
#include "kernels.hpp"
#include "memory.hpp"
#include "vendor.hpp"

namespace bp::cudnn {

struct device_context {
  int ordinal = 0;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;  // the plugin's stream (bp_stream_t NULL)
  cublasHandle_t blas = nullptr;
  cudnnHandle_t dnn = nullptr;
  std::unique_ptr<caching_allocator> memory;
  std::unique_ptr<kernel_library> kernels;
  std::mutex library_mutex;            // cuBLAS/cuDNN handles: set-stream + enqueue as one step
  std::atomic<int> extra_streams{0};   // streams made by stream_create
  std::mutex algo_mutex;
  std::map<std::string, std::vector<int>> algo_cache;  // ranked conv algorithms per shape key (conv.cpp)

  const driver_api& cu() const { return vendor().cu; }
  const cublas_api& blas_api() const { return vendor().blas; }
  const cudnn_api& dnn_api() const { return vendor().dnn; }

  // Makes this device's context current on the calling thread.
  void make_current() const;
  CUstream resolve(bp_stream_t s) const { return s ? reinterpret_cast<CUstream>(s) : stream; }
  // Temporary device memory for one op, returned to the cache after the op is enqueued.
  // Safe because reuse is ordered on the same stream; with extra streams the
  // release waits for `stream` first (another stream could reuse the block early).
  CUdeviceptr scratch(uint64_t bytes) { return memory->allocate(bytes); }
  void release_scratch(CUdeviceptr p, CUstream on);
};

struct plugin_context {
  std::vector<std::unique_ptr<device_context>> devices;
  device_context& device(uint32_t index);
};

// init()/shutdown() bodies (called under bp::sdk::guard by plugin.cpp).
plugin_context* create_context(const bp_host_api* host);
void destroy_context(plugin_context* ctx) noexcept;
void fill_device_props(device_context& dev, bp_device_props* props);

}  // namespace bp::cudnn
