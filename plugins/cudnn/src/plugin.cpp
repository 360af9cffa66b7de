// plugin.cpp — the cudnn plugin's class and entry symbol.
//
// Loads anywhere: no vendor library is linked; probe() loads them with the
// SDK's dependency loader and reports why the plugin cannot serve when it
// cannot. backplane/sdk/table.hpp builds the table and runs every member
// inside bp::sdk::guard, so no exception and no vendor failure crosses the C
// ABI without a status and a message.
#include <string>

#include "backplane/sdk/table.hpp"
#include "device.hpp"
#include "memory.hpp"
#include "ops.hpp"
#include "probe.hpp"

namespace bp::cudnn {
namespace {

plugin_context& as_context(void* context) {
  if (!context) bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: NULL context (init did not succeed)");
  return *static_cast<plugin_context*>(context);
}

using limits_fn = std::string (*)(const bp_op_desc&);
using execute_fn = void (*)(const op_call&);

struct family {
  limits_fn limits = nullptr;
  execute_fn execute = nullptr;
};

family family_of(bp_op_kind kind) {
  switch (kind) {
    case BP_OP_CONV2D_FWD:
    case BP_OP_CONV2D_BWD_DATA:
    case BP_OP_CONV2D_BWD_FILTER: return {conv_limits, conv_execute};
    case BP_OP_POOL2D_FWD:
    case BP_OP_POOL2D_BWD: return {pool_limits, pool_execute};
    case BP_OP_ACTIVATION_FWD:
    case BP_OP_ACTIVATION_BWD: return {activation_limits, activation_execute};
    case BP_OP_GEMM: return {gemm_limits, gemm_execute};
    case BP_OP_SOFTMAX:
    case BP_OP_SOFTMAX_BWD:
    case BP_OP_SOFTMAX_XENT_FWD:
    case BP_OP_SOFTMAX_XENT_BWD: return {softmax_loss_limits, softmax_loss_execute};
    case BP_OP_ADAM_UPDATE:
    case BP_OP_SGD_UPDATE: return {optimizer_limits, optimizer_execute};
    case BP_OP_ADD:
    case BP_OP_SUB:
    case BP_OP_MUL:
    case BP_OP_SCALE:
    case BP_OP_FILL:
    case BP_OP_COPY:
    case BP_OP_BIAS_ADD: return {elementwise_limits, elementwise_execute};
    case BP_OP_REDUCE:
    case BP_OP_BIAS_GRAD:
    case BP_OP_ARGMAX: return {reduce_limits, reduce_execute};
    default: return {};
  }
}

// BP_OK, or BP_ERR_UNSUPPORTED with the reason in *why: this backend's limits
// (the table ran the shared validator first).
bp_status backend_limits(const bp_op_desc& op, std::string* why) {
  family f = family_of(op.kind);
  if (!f.limits) {
    *why = "cudnn plugin does not implement op kind " + std::to_string(op.kind);
    return BP_ERR_UNSUPPORTED;
  }
  std::string limit = f.limits(op);
  if (!limit.empty()) {
    *why = std::string("cudnn plugin declines ") + bp::sdk::op_kind_name(op.kind) + ": " + limit;
    return BP_ERR_UNSUPPORTED;
  }
  return BP_OK;
}

void require_device_memory(const bp_op_desc& op) {
  auto check = [&](const bp_tensor& t, bool input, uint32_t i) {
    if (bp::sdk::numel(t) > 0 && t.device.device_type != BP_DEVICE_CUDA)
      bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: " + bp::sdk::tensor_label(op.kind, input, i) +
                                                 " is not CUDA device memory (device_type " +
                                                 std::to_string(t.device.device_type) + ")");
  };
  for (uint32_t i = 0; i < op.num_inputs; ++i) check(op.inputs[i], true, i);
  for (uint32_t i = 0; i < op.num_outputs; ++i) check(op.outputs[i], false, i);
}

// The plugin class; backplane/sdk/table.hpp builds the table and guards every member.
struct plugin {
  static constexpr const char* name = "cudnn";
  static constexpr const char* description =
      "NVIDIA GPU backend: cuDNN 9 + cuBLAS + CUDA driver API, loaded at run time (no link-time vendor dependency)";
  static constexpr int32_t priority = 100;
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_GPU;

  static void probe(const bp_host_api* host) {
    // Settings first, before and whatever the driver: a typo is a configuration
    // error on every machine, not a GPU that silently never serves.
    read_memory_settings(host);
    vendor_state& v = vendor();
    std::lock_guard<std::mutex> lock(v.mutex);
    load_vendor_libraries(host);
    report_to_host(host, current_verdict());
  }
  static void* init(const bp_host_api* host) { return create_context(host); }
  static void shutdown(void* context) { destroy_context(static_cast<plugin_context*>(context)); }
  static uint32_t device_count(void* context) { return static_cast<uint32_t>(as_context(context).devices.size()); }
  static void device_props(void* context, uint32_t index, bp_device_props& props) {
    fill_device_props(as_context(context).device(index), &props);
  }

  static void* mem_alloc(void* context, uint32_t device, uint64_t bytes) {
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    return reinterpret_cast<void*>(dev.memory->allocate(bytes));
  }
  static void mem_free(void* context, uint32_t device, void* ptr) {
    if (!ptr) return;
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    // With several streams, a cached block could be handed to another stream while queued work still uses it.
    if (dev.extra_streams.load() > 0) BP_CHECK(dev.cu().cuCtxSynchronize());
    dev.memory->release(reinterpret_cast<CUdeviceptr>(ptr));
  }
  // The table refused NULL pointers and unknown kinds, and skips 0 bytes.
  static void mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src, uint64_t bytes,
                       bp_memcpy_kind kind) {
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    CUstream s = dev.resolve(stream);
    const driver_api& cu = dev.cu();
    switch (kind) {
      case BP_MEMCPY_HOST_TO_DEVICE:
        BP_CHECK(cu.cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(dst), src, bytes, s));
        break;
      case BP_MEMCPY_DEVICE_TO_HOST:  // the host reads dst right after: wait for it
        BP_CHECK(cu.cuMemcpyDtoHAsync(dst, reinterpret_cast<CUdeviceptr>(src), bytes, s));
        BP_CHECK(cu.cuStreamSynchronize(s));
        break;
      case BP_MEMCPY_DEVICE_TO_DEVICE:
        BP_CHECK(cu.cuMemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(dst), reinterpret_cast<CUdeviceptr>(src), bytes, s));
        break;
      default: bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn mem_copy: unknown copy kind " + std::to_string(kind));
    }
  }

  static bp_stream_t stream_create(void* context, uint32_t device) {
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    CUstream s = nullptr;
    BP_CHECK(dev.cu().cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    dev.extra_streams.fetch_add(1);
    return reinterpret_cast<bp_stream_t>(s);
  }
  static void stream_destroy(void* context, uint32_t device, bp_stream_t stream) {
    if (!stream) return;  // the plugin's own stream lives until shutdown
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    CUstream s = reinterpret_cast<CUstream>(stream);
    BP_CHECK(dev.cu().cuStreamSynchronize(s));
    BP_CHECK(dev.cu().cuStreamDestroy(s));
    dev.extra_streams.fetch_sub(1);
  }
  static void stream_synchronize(void* context, uint32_t device, bp_stream_t stream) {
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    BP_CHECK(dev.cu().cuStreamSynchronize(dev.resolve(stream)));
  }

  // The same answer op_execute gives: our limits, a device that exists, tensors in CUDA memory.
  static bp_status op_supports(void* context, uint32_t device, const bp_op_desc& op, std::string& why) {
    const bp_status s = backend_limits(op, &why);
    if (s != BP_OK) return s;
    require_device_memory(op);  // before the context: a host pointer is refused even without a GPU
    as_context(context).device(device);
    return BP_OK;
  }
  static void op_execute(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc& op) {
    device_context& dev = as_context(context).device(device);
    dev.make_current();
    family_of(op.kind).execute(op_call{dev, dev.resolve(stream), op});
  }
};

}  // namespace
}  // namespace bp::cudnn

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  return bp::sdk::plugin_table<bp::cudnn::plugin>(host);
}
