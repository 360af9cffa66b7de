// ops.cpp — the template plugin's kernels: simple, obviously-correct loops.
// A real backend would call its vendor library here; the structure stays the
// same: one function that says yes/no with a reason, one that runs.
#include "ops.hpp"

#include <cstdint>

#include "backplane/sdk/plugin.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace template_plugin {
namespace {

using bp::sdk::tensor_data;

// c = alpha * op(a) * op(b) + beta * c, row-major, float32.
void gemm(const bp_op_desc& op) {
  const auto& attrs = *static_cast<const bp_gemm_attrs*>(op.attrs);
  const bp_tensor& a = op.inputs[0];
  const bp_tensor& b = op.inputs[1];
  const bp_tensor& c = op.outputs[0];
  const int64_t m = c.shape[0], n = c.shape[1];
  const int64_t k = attrs.trans_a ? a.shape[0] : a.shape[1];
  const int64_t lda = a.shape[1], ldb = b.shape[1];
  const float* pa = tensor_data<const float>(a);
  const float* pb = tensor_data<const float>(b);
  float* pc = tensor_data<float>(c);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;  // double accumulation: the reference is within float rounding of this
      for (int64_t p = 0; p < k; ++p) {
        const float av = attrs.trans_a ? pa[p * lda + i] : pa[i * lda + p];
        const float bv = attrs.trans_b ? pb[j * ldb + p] : pb[p * ldb + j];
        sum += double(av) * double(bv);
      }
      // beta == 0 means c is write-only: never read it (it may hold NaN).
      const double old = attrs.beta == 0.0f ? 0.0 : double(attrs.beta) * pc[i * n + j];
      pc[i * n + j] = float(double(attrs.alpha) * sum + old);
    }
  }
}

void relu(const bp_op_desc& op) {
  const bp_tensor& x = op.inputs[0];
  const float* src = tensor_data<const float>(x);
  float* dst = tensor_data<float>(op.outputs[0]);
  for (int64_t i = 0, n = bp::sdk::numel(x); i < n; ++i) dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
}

void add(const bp_op_desc& op) {
  const float* a = tensor_data<const float>(op.inputs[0]);
  const float* b = tensor_data<const float>(op.inputs[1]);
  float* c = tensor_data<float>(op.outputs[0]);
  for (int64_t i = 0, n = bp::sdk::numel(op.inputs[0]); i < n; ++i) {
#ifdef BACKPLANE_TEMPLATE_BREAK_ADD
    // Deliberately wrong (used by the SDK tests to prove the conformance kit catches it).
    c[i] = a[i] + b[i] + 0.01f;
#else
    c[i] = a[i] + b[i];
#endif
  }
}

}  // namespace

bp_status op_supported(const bp_op_desc& op, std::string* why) {
  // Our memory is host memory; a tensor that lives elsewhere cannot be read.
  for (int side = 0; side < 2; ++side) {
    const bp_tensor* tensors = side == 0 ? op.inputs : op.outputs;
    const uint32_t count = side == 0 ? op.num_inputs : op.num_outputs;
    for (uint32_t i = 0; i < count; ++i) {
      if (tensors[i].device.device_type != BP_DEVICE_CPU) {
        *why = bp::sdk::tensor_label(op.kind, side == 0, i) + ": device type " +
               std::to_string(tensors[i].device.device_type) + " is not host memory";
        return BP_ERR_UNSUPPORTED;
      }
    }
  }
  switch (op.kind) {
    case BP_OP_GEMM:
    case BP_OP_ADD:
      return BP_OK;
    case BP_OP_ACTIVATION_FWD: {
      const auto& attrs = *static_cast<const bp_activation_attrs*>(op.attrs);
      if (attrs.activation == BP_ACTIVATION_RELU) return BP_OK;
      *why = "template plugin implements ACTIVATION_FWD for RELU only (asked for activation " +
             std::to_string(attrs.activation) + ")";
      return BP_ERR_UNSUPPORTED;
    }
    default:
      *why = std::string("template plugin implements GEMM, ACTIVATION_FWD (RELU) and ADD only, not ") +
             bp::sdk::op_kind_name(op.kind);
      return BP_ERR_UNSUPPORTED;
  }
}

void op_run(const bp_op_desc& op) {
  switch (op.kind) {
    case BP_OP_GEMM: return gemm(op);
    case BP_OP_ACTIVATION_FWD: return relu(op);
    case BP_OP_ADD: return add(op);
    default:
      bp::sdk::fail(BP_ERR_UNSUPPORTED, std::string("template plugin: no kernel for ") + bp::sdk::op_kind_name(op.kind));
  }
}

}  // namespace template_plugin
