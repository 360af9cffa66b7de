// table_plugin.cpp — a plugin written with backplane/sdk/table.hpp: a host-
// memory "accelerator" (bp::sdk::host_memory_device) that implements MUL and
// SCALE and declines the rest. No version, shutdown or streams: the table
// takes the version from the build and leaves the optional members out.
// CTest sdk.table_plugin runs `backplane conformance` on it.
//
// Deliberately broken builds (CTest sdk.contract_holes: the kit must FAIL each,
// naming the hole):
//   TABLE_BREAK_BYTE_OFFSET   kernels read and write tensor.data, ignoring byte_offset
//   TABLE_BREAK_WRITE_PAST    kernels write one element past the output
//   TABLE_BREAK_DECLINE_INTERNAL  declines are BP_ERR_INTERNAL instead of BP_ERR_UNSUPPORTED
//   TABLE_BREAK_MISALIGNED    the raw table's mem_alloc returns addresses 16 bytes past a 64-byte boundary
//                             (bypassing the SDK's table, which would refuse them)
#include <cstdlib>
#include <cstring>

#include "backplane/sdk/table.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace {

struct table_plugin : bp::sdk::host_memory_device<table_plugin> {
  static constexpr const char* name = BACKPLANE_PLUGIN_NAME;  // each build's file name (tests/sdk/CMakeLists.txt)
  static constexpr const char* description = "MUL and SCALE through backplane/sdk/table.hpp";
  static constexpr int32_t priority = 40;
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;

  static void probe(const bp_host_api* host) { bp::sdk::report_ready(host, 1, "host memory"); }
  static void* init(const bp_host_api*) {
    static int token;
    return &token;
  }
  static uint32_t device_count(void*) { return 1; }
  static void device_props(void*, uint32_t index, bp_device_props& props) {
    check_device(index, "device_props");
    props.kind = device_kind;
    props.device = bp_device{BP_DEVICE_CPU, 0};
    bp::sdk::copy_string(props.name, sizeof props.name, "table example device");
  }
  static bp_status op_supports(void*, uint32_t device, const bp_op_desc& op, std::string& why) {
    check_device(device, "op_supports");
    for (uint32_t i = 0; i < op.num_inputs; ++i)
      if (op.inputs[i].device.device_type != BP_DEVICE_CPU) return why = "host memory only", BP_ERR_UNSUPPORTED;
    for (uint32_t i = 0; i < op.num_outputs; ++i)
      if (op.outputs[i].device.device_type != BP_DEVICE_CPU) return why = "host memory only", BP_ERR_UNSUPPORTED;
    if (op.kind == BP_OP_MUL || op.kind == BP_OP_SCALE) return BP_OK;
    why = std::string(name) + " implements MUL and SCALE only, not " + bp::sdk::op_kind_name(op.kind);
#ifdef TABLE_BREAK_DECLINE_INTERNAL
    return BP_ERR_INTERNAL;
#endif
    return BP_ERR_UNSUPPORTED;
  }
  template <typename T>
  static T* data(const bp_tensor& t) {
#ifdef TABLE_BREAK_BYTE_OFFSET
    return static_cast<T*>(t.data);
#else
    return bp::sdk::tensor_data<T>(t);
#endif
  }
  static void op_execute(void*, uint32_t, bp_stream_t, const bp_op_desc& op) {
    const float* a = data<const float>(op.inputs[0]);
    float* y = data<float>(op.outputs[0]);
    const int64_t n = bp::sdk::numel(op.inputs[0]);
#ifdef TABLE_BREAK_WRITE_PAST
    y[n] = 0.0f;
#endif
    if (op.kind == BP_OP_MUL) {
      const float* b = data<const float>(op.inputs[1]);
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
    } else {
      const float alpha = static_cast<const bp_scalar_attrs*>(op.attrs)->value;
      for (int64_t i = 0; i < n; ++i) y[i] = alpha * a[i];
    }
  }
};

}  // namespace

#ifdef TABLE_BREAK_MISALIGNED
namespace {
bp_status misaligned_alloc(void*, uint32_t, uint64_t bytes, void** ptr) {
  static char* arena = static_cast<char*>(std::aligned_alloc(64, 64 << 20));  // never freed: a test plugin
  static uint64_t used = 0;
  const uint64_t size = (bytes + 16 + 63) / 64 * 64;
  if (!ptr || used + size > (64u << 20)) return BP_ERR_OUT_OF_MEMORY;
  *ptr = arena + used + 16;
  used += size;
  return BP_OK;
}
bp_status misaligned_free(void*, uint32_t, void*) { return BP_OK; }
}  // namespace
#endif

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
#ifdef TABLE_BREAK_MISALIGNED
  static bp_plugin_api raw = *bp::sdk::plugin_table<table_plugin>(host);
  raw.mem_alloc = misaligned_alloc;
  raw.mem_free = misaligned_free;
  return &raw;
#else
  return bp::sdk::plugin_table<table_plugin>(host);
#endif
}
