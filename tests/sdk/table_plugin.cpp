// table_plugin.cpp — a plugin written with backplane/sdk/table.hpp: a host-
// memory "accelerator" that implements MUL and SCALE and declines the rest.
// CTest sdk.table_plugin runs `backplane conformance` on it.
#include <cstdlib>
#include <cstring>

#include "backplane/sdk/table.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace {

struct table_plugin {
  static constexpr const char* name = "table-example";
  static constexpr const char* version = "0.1.0";
  static constexpr const char* description = "MUL and SCALE through backplane/sdk/table.hpp";
  static constexpr int32_t priority = 40;
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;

  static void check_device(uint32_t device) {
    if (device != 0) bp::sdk::fail(BP_ERR_NOT_FOUND, "table-example: device " + std::to_string(device) + " does not exist");
  }
  static void probe(const bp_host_api* host) {
    if (!BP_SDK_HOST_HAS(host, report_probe)) return;
    bp_probe_result r{};
    r.struct_size = sizeof r;
    r.state = BP_STATE_READY;
    r.device_count = 1;
    r.message = "host memory";
    r.remedy = "";
    host->report_probe(host->host_context, &r);
  }
  static void* init(const bp_host_api*) {
    static int token;
    return &token;
  }
  static void shutdown(void*) {}
  static uint32_t device_count(void*) { return 1; }
  static void device_props(void*, uint32_t index, bp_device_props& props) {
    check_device(index);
    props.kind = device_kind;
    props.device = bp_device{BP_DEVICE_CPU, 0};
    bp::sdk::copy_string(props.name, sizeof props.name, "table example device");
  }
  static void* mem_alloc(void*, uint32_t device, uint64_t bytes) {
    check_device(device);
    void* p = std::aligned_alloc(64, bytes == 0 ? 64 : (bytes + 63) / 64 * 64);
    if (!p) bp::sdk::fail(BP_ERR_OUT_OF_MEMORY, "table-example: out of host memory");
    return p;
  }
  static void mem_free(void*, uint32_t device, void* ptr) {
    check_device(device);
    std::free(ptr);
  }
  static void mem_copy(void*, uint32_t device, bp_stream_t, void* dst, const void* src, uint64_t bytes, bp_memcpy_kind) {
    check_device(device);
    if (bytes) std::memmove(dst, src, bytes);
  }
  static void stream_synchronize(void*, uint32_t device, bp_stream_t) { check_device(device); }
  static bp_status op_supports(void*, uint32_t device, const bp_op_desc& op, std::string& why) {
    check_device(device);
    for (uint32_t i = 0; i < op.num_inputs; ++i)
      if (op.inputs[i].device.device_type != BP_DEVICE_CPU) return why = "host memory only", BP_ERR_UNSUPPORTED;
    for (uint32_t i = 0; i < op.num_outputs; ++i)
      if (op.outputs[i].device.device_type != BP_DEVICE_CPU) return why = "host memory only", BP_ERR_UNSUPPORTED;
    if (op.kind == BP_OP_MUL || op.kind == BP_OP_SCALE) return BP_OK;
    why = std::string("table-example implements MUL and SCALE only, not ") + bp::sdk::op_kind_name(op.kind);
    return BP_ERR_UNSUPPORTED;
  }
  static void op_execute(void*, uint32_t, bp_stream_t, const bp_op_desc& op) {
    const float* a = bp::sdk::tensor_data<const float>(op.inputs[0]);
    float* y = bp::sdk::tensor_data<float>(op.outputs[0]);
    const int64_t n = bp::sdk::numel(op.inputs[0]);
    if (op.kind == BP_OP_MUL) {
      const float* b = bp::sdk::tensor_data<const float>(op.inputs[1]);
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
    } else {
      const float alpha = static_cast<const bp_scalar_attrs*>(op.attrs)->value;
      for (int64_t i = 0; i < n; ++i) y[i] = alpha * a[i];
    }
  }
};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  return bp::sdk::plugin_table<table_plugin>(host);
}
