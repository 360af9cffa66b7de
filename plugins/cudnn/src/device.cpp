// device.cpp — init/shutdown of the per-device state and device properties.
#include "device.hpp"

#include <cstring>

#include "backplane/sdk/plugin.hpp"
#include "errors.hpp"
#include "probe.hpp"

namespace bp::cudnn {

void device_context::make_current() const { BP_CHECK(cu().cuCtxSetCurrent(context)); }

void device_context::release_scratch(CUdeviceptr p, CUstream on) {
  if (!p) return;
  if (extra_streams.load() > 0) BP_CHECK(cu().cuStreamSynchronize(on));
  memory->release(p);
}

device_context& plugin_context::device(uint32_t index) {
  if (index >= devices.size())
    bp::sdk::fail(BP_ERR_NOT_FOUND, "cudnn plugin: device " + std::to_string(index) + " does not exist (" +
                                        std::to_string(devices.size()) + " device(s))");
  return *devices[index];
}

namespace {

void destroy_device(device_context& dev) noexcept {
  const driver_api& cu = dev.cu();
  if (!dev.context) return;
  cu.cuCtxSetCurrent(dev.context);
  if (dev.stream) cu.cuStreamSynchronize(dev.stream);
  dev.kernels.reset();
  if (dev.dnn) dev.dnn_api().cudnnDestroy(dev.dnn);
  if (dev.blas) dev.blas_api().cublasDestroy(dev.blas);
  dev.dnn = nullptr, dev.blas = nullptr;
  dev.memory.reset();
  if (dev.stream) cu.cuStreamDestroy(dev.stream);
  dev.stream = nullptr;
  cu.cuDevicePrimaryCtxRelease(dev.device);
  dev.context = nullptr;
}

void create_device(device_context& dev, int ordinal, const memory_settings& memory, const bp::sdk::dep_fault_plan& faults) {
  const vendor_state& v = vendor();
  const driver_api& cu = v.cu;
  dev.ordinal = ordinal;
  BP_CHECK(cu.cuDeviceGet(&dev.device, ordinal));
  CUresult r = cu.cuDevicePrimaryCtxRetain(&dev.context, dev.device);
  if (faults.has("init_fail") && r == CUDA_SUCCESS) {
    // Injected at the driver-call layer: the real error path below reports it.
    cu.cuDevicePrimaryCtxRelease(dev.device);
    dev.context = nullptr;
    r = CUDA_ERROR_UNKNOWN;
  }
  if (r != CUDA_SUCCESS) {
    std::string what = "cuDevicePrimaryCtxRetain(device " + std::to_string(ordinal) + ")";
    if (faults.has("init_fail")) what += " [fault injected: BACKPLANE_FAULT init_fail]";
    bp::sdk::fail(BP_ERR_DEVICE, "cudnn plugin: init failed (cause init_failed): " + what + ": " + describe(r));
  }
  BP_CHECK(cu.cuCtxSetCurrent(dev.context));
  dev.memory = std::make_unique<caching_allocator>(cu, memory);
  if (faults.has("oom_at_init")) dev.memory->inject_oom_once();
  // A first allocation proves the device has memory for us now, not at the first op.
  dev.memory->release(dev.memory->allocate(1u << 20));
  BP_CHECK(cu.cuStreamCreate(&dev.stream, CU_STREAM_NON_BLOCKING));
  BP_CHECK(v.blas.cublasCreate(&dev.blas));
  BP_CHECK(v.blas.cublasSetStream(dev.blas, dev.stream));
  // Full FP32 (no TF32) so results match the CPU backend within FP32 tolerances.
  BP_CHECK(v.blas.cublasSetMathMode(dev.blas, CUBLAS_DEFAULT_MATH));
  BP_CHECK(v.dnn.cudnnCreate(&dev.dnn));
  BP_CHECK(v.dnn.cudnnSetStream(dev.dnn, dev.stream));
  dev.kernels = std::make_unique<kernel_library>(cu);
}

}  // namespace

plugin_context* create_context(const bp_host_api* host) {
  const memory_settings memory = read_memory_settings(host);  // a configuration error whatever the hardware
  vendor_state& v = vendor();
  std::lock_guard<std::mutex> lock(v.mutex);
  load_vendor_libraries(host);
  const probe_verdict verdict = current_verdict();
  if (verdict.state != BP_STATE_READY)
    bp::sdk::fail(BP_ERR_UNAVAILABLE,
                  "cudnn plugin cannot initialise (cause " + std::string(bp::sdk::dep_cause_name(verdict.cause)) +
                      "): " + verdict.message + ". Remedy: " + verdict.remedy);
  auto ctx = std::make_unique<plugin_context>();
  try {
    for (uint32_t i = 0; i < verdict.device_count; ++i) {
      ctx->devices.push_back(std::make_unique<device_context>());
      create_device(*ctx->devices.back(), static_cast<int>(i), memory, v.faults);
    }
  } catch (...) {
    for (auto& dev : ctx->devices) destroy_device(*dev);
    throw;
  }
  bp::sdk::log(host, BP_LOG_INFO, "cudnn plugin ready: " + verdict.message);
  ++v.live_contexts;
  return ctx.release();
}

void destroy_context(plugin_context* ctx) noexcept {
  if (!ctx) return;
  for (auto& dev : ctx->devices) destroy_device(*dev);
  delete ctx;
  vendor_state& v = vendor();
  std::lock_guard<std::mutex> lock(v.mutex);
  --v.live_contexts;
}

void fill_device_props(device_context& dev, bp_device_props* props) {
  const driver_api& cu = dev.cu();
  const uint32_t size = props->struct_size;
  bp_device_props p{};
  p.struct_size = size;
  p.kind = BP_DEVICE_KIND_GPU;
  p.device.device_type = BP_DEVICE_CUDA;
  p.device.device_id = dev.ordinal;
  BP_CHECK(cu.cuDeviceGetName(p.name, sizeof(p.name), dev.device));
  BP_CHECK(cu.cuDeviceGetAttribute(&p.compute_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev.device));
  BP_CHECK(cu.cuDeviceGetAttribute(&p.compute_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev.device));
  std::string cap = "sm_" + std::to_string(p.compute_major) + std::to_string(p.compute_minor);
  bp::sdk::copy_string(p.capability, sizeof(p.capability), cap);
  size_t total = 0, free_bytes = 0;
  BP_CHECK(cu.cuDeviceTotalMem(&total, dev.device));
  dev.make_current();
  BP_CHECK(cu.cuMemGetInfo(&free_bytes, &total));
  p.memory_total = total;
  p.memory_free = free_bytes;
  p.driver_version = vendor().driver_version;
  p.runtime_version = vendor().runtime_version;
  // Copy only what the caller's (possibly older, smaller) struct holds.
  std::memcpy(props, &p, size < sizeof(p) ? size : sizeof(p));
  props->struct_size = size;
}

}  // namespace bp::cudnn
