// activation_plugin.cpp — a partial plugin for the kit's modes (CTest
// ops.conformance_modes): host memory, ACTIVATION_FWD and ACTIVATION_BWD
// only, every other op declined. Built twice: as is (grad mode passes, the
// support matrix shows what it declines) and with ACTIVATION_BREAK_GRADIENT,
// whose sigmoid backward forgets the (1 - y) factor: a plausible kernel the
// op comparison alone would catch only against a reference, and grad mode
// must catch on the plugin by itself.
#include <cmath>

#include "backplane/sdk/table.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace {

struct activation_plugin : bp::sdk::host_memory_device<activation_plugin> {
  static constexpr const char* name = BACKPLANE_PLUGIN_NAME;
  static constexpr const char* description = "ACTIVATION_FWD and ACTIVATION_BWD only";
  static constexpr int32_t priority = 30;
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;

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
  static uint32_t device_count(void*) { return 1; }
  static void device_props(void*, uint32_t index, bp_device_props& props) {
    check_device(index, "device_props");
    props.kind = device_kind;
    props.device = bp_device{BP_DEVICE_CPU, 0};
    bp::sdk::copy_string(props.name, sizeof props.name, "activation test device");
  }
  static bp_status op_supports(void*, uint32_t device, const bp_op_desc& op, std::string& why) {
    check_device(device, "op_supports");
    if (op.kind == BP_OP_ACTIVATION_FWD || op.kind == BP_OP_ACTIVATION_BWD) return BP_OK;
    why = std::string(name) + " implements activations only, not " + bp::sdk::op_kind_name(op.kind);
    return BP_ERR_UNSUPPORTED;
  }
  static void op_execute(void*, uint32_t, bp_stream_t, const bp_op_desc& op) {
    const bp_activation act = static_cast<const bp_activation_attrs*>(op.attrs)->activation;
    const int64_t n = bp::sdk::numel(op.inputs[0]);
    float* out = bp::sdk::tensor_data<float>(op.outputs[0]);
    const float* a = bp::sdk::tensor_data<const float>(op.inputs[0]);
    if (op.kind == BP_OP_ACTIVATION_FWD) {
      for (int64_t i = 0; i < n; ++i)
        out[i] = act == BP_ACTIVATION_RELU      ? std::max(0.f, a[i])
                 : act == BP_ACTIVATION_SIGMOID ? 1.f / (1.f + std::exp(-a[i]))
                 : act == BP_ACTIVATION_TANH    ? std::tanh(a[i])
                                                : a[i];
      return;
    }
    const float* dy = bp::sdk::tensor_data<const float>(op.inputs[1]);  // a = y, the forward output
    for (int64_t i = 0; i < n; ++i) {
#ifdef ACTIVATION_BREAK_GRADIENT
      const float sigmoid_slope = a[i];
#else
      const float sigmoid_slope = a[i] * (1.f - a[i]);
#endif
      out[i] = dy[i] * (act == BP_ACTIVATION_RELU      ? (a[i] > 0.f ? 1.f : 0.f)
                        : act == BP_ACTIVATION_SIGMOID ? sigmoid_slope
                        : act == BP_ACTIVATION_TANH    ? 1.f - a[i] * a[i]
                                                       : 1.f);
    }
  }
};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  return bp::sdk::plugin_table<activation_plugin>(host);
}
