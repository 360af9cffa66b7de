#include "optimizer.hpp"

#include <cmath>

#include "common.hpp"

namespace bp::openblas_cpu {

namespace {
constexpr int64_t kGrain = 1 << 14;

BP_MULTIVERSION void adam_range(const float* g, float* p, float* m, float* v, int64_t n, float lr_t, float b1,
                                float b2, float eps) {
  const float c1 = 1.0f - b1, c2 = 1.0f - b2;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + c1 * gi;
    const float vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr_t * mi / (std::sqrt(vi) + eps);
  }
}

BP_MULTIVERSION void sgd_range(const float* g, float* p, float* vel, int64_t n, float lr, float mu, bool nesterov) {
  if (!vel) {
    for (int64_t i = 0; i < n; ++i) p[i] -= lr * g[i];
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const float vi = mu * vel[i] - lr * g[i];
    vel[i] = vi;
    p[i] += nesterov ? mu * vi - lr * g[i] : vi;
  }
}
}  // namespace

void execute_adam(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_adam_attrs*>(op.attrs);
  const float* g = f32(op.inputs[0]);
  float* p = f32(op.outputs[0]);
  float* m = f32(op.outputs[1]);
  float* v = f32(op.outputs[2]);
  // The bias corrections fold into one step size, computed in double (b^t for
  // large t underflows gracefully to 0, giving lr_t -> lr).
  const double t = double(a.step);
  const float lr_t = float(double(a.lr) * std::sqrt(1.0 - std::pow(double(a.beta2), t)) /
                           (1.0 - std::pow(double(a.beta1), t)));
  parallel_ranges(bp::sdk::numel(op.inputs[0]), kGrain, [&](int64_t b, int64_t e) {
    adam_range(g + b, p + b, m + b, v + b, e - b, lr_t, a.beta1, a.beta2, a.epsilon);
  });
}

void execute_sgd(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_sgd_attrs*>(op.attrs);
  const float* g = f32(op.inputs[0]);
  float* p = f32(op.outputs[0]);
  float* vel = op.num_outputs > 1 ? f32(op.outputs[1]) : nullptr;
  const float lr = a.lr, mu = a.momentum;
  const bool nesterov = a.nesterov != 0;
  parallel_ranges(bp::sdk::numel(op.inputs[0]), kGrain, [&](int64_t b, int64_t e) {
    sgd_range(g + b, p + b, vel ? vel + b : nullptr, e - b, lr, mu, nesterov);
  });
}

}  // namespace bp::openblas_cpu
