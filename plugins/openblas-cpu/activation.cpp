#include "activation.hpp"

#include <cmath>
#include <cstring>

#include "common.hpp"

namespace bp::openblas_cpu {

namespace {
// Elements per parallel chunk: below this a pointwise op is cheaper on one thread.
constexpr int64_t kGrain = 1 << 15;
}  // namespace

BP_MULTIVERSION void activation_forward(bp_activation act, const float* x, float* y, int64_t n) {
  switch (act) {
    case BP_ACTIVATION_RELU:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case BP_ACTIVATION_SIGMOID:
      // Written so that neither branch overflows exp for large |x|.
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (v >= 0.0f) {
          y[i] = 1.0f / (1.0f + std::exp(-v));
        } else {
          const float e = std::exp(v);
          y[i] = e / (1.0f + e);
        }
      }
      break;
    case BP_ACTIVATION_TANH:
      for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      break;
    default:  // NONE: identity
      if (x != y) std::memmove(y, x, sizeof(float) * size_t(n));
      break;
  }
}

BP_MULTIVERSION void activation_backward(bp_activation act, const float* y, const float* dy, float* dx, int64_t n) {
  switch (act) {
    case BP_ACTIVATION_RELU:
      // Both loads unconditional so the select vectorises.
      for (int64_t i = 0; i < n; ++i) {
        const float g = dy[i];
        dx[i] = y[i] > 0.0f ? g : 0.0f;
      }
      break;
    case BP_ACTIVATION_SIGMOID:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
    case BP_ACTIVATION_TANH:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    default:
      if (dx != dy) std::memmove(dx, dy, sizeof(float) * size_t(n));
      break;
  }
}

void execute_activation_fwd(const bp_op_desc& op) {
  const bp_activation act = static_cast<const bp_activation_attrs*>(op.attrs)->activation;
  const float* x = f32(op.inputs[0]);
  float* y = f32(op.outputs[0]);
  parallel_ranges(bp::sdk::numel(op.inputs[0]), kGrain,
                  [&](int64_t b, int64_t e) { activation_forward(act, x + b, y + b, e - b); });
}

void execute_activation_bwd(const bp_op_desc& op) {
  const bp_activation act = static_cast<const bp_activation_attrs*>(op.attrs)->activation;
  const float* y = f32(op.inputs[0]);
  const float* dy = f32(op.inputs[1]);
  float* dx = f32(op.outputs[0]);
  // Backwards through each thread's share (see mirrored_in_share): in a
  // training step the pooling backward just streamed over y and wrote dy in
  // ascending order, so their ends are what is still in this core's L2.
  parallel_ranges_mirrored(bp::sdk::numel(op.inputs[0]), kGrain,
                           [&](int64_t b, int64_t e) { activation_backward(act, y + b, dy + b, dx + b, e - b); });
}

}  // namespace bp::openblas_cpu
