// optimizer.cpp — ADAM_UPDATE and SGD_UPDATE (kernels/optimizer.cu), in place.
#include <cmath>

#include "ops.hpp"

namespace bp::cudnn {

std::string optimizer_limits(const bp_op_desc&) { return {}; }

void optimizer_execute(const op_call& call) {
  const bp_tensor& grad = call.in(0);
  const int64_t n = count(grad);
  if (n == 0) return;
  kernel_library& k = *call.dev.kernels;
  if (call.op.kind == BP_OP_ADAM_UPDATE) {  // out: param, m, v
    const auto& a = call.attrs<bp_adam_attrs>();
    const double t = double(a.step);
    // Keras: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), in double for small t.
    const double lr_t = double(a.lr) * std::sqrt(1.0 - std::pow(double(a.beta2), t)) / (1.0 - std::pow(double(a.beta1), t));
    k.launch("bp_adam_f32", call.stream, n, 256, typed<float>(call.out(0)), typed<float>(call.out(1)),
             typed<float>(call.out(2)), typed<const float>(grad), (long long)n, float(lr_t), a.beta1, a.beta2,
             a.epsilon);
  } else {  // out: param [, velocity]
    const auto& a = call.attrs<bp_sgd_attrs>();
    float* velocity = call.op.num_outputs > 1 ? typed<float>(call.out(1)) : nullptr;
    k.launch("bp_sgd_f32", call.stream, n, 256, typed<float>(call.out(0)), velocity, typed<const float>(grad),
             (long long)n, a.lr, a.momentum, int(a.nesterov));
  }
}

}  // namespace bp::cudnn
