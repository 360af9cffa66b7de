#include "backplane/nn/dense.hpp"

#include <stdexcept>

#include "backplane/nn/activation.hpp"

namespace bp::nn {
namespace {

bp_gemm_attrs gemm(int32_t trans_a, int32_t trans_b) {
  auto a = init_struct<bp_gemm_attrs>();
  a.trans_a = trans_a;
  a.trans_b = trans_b;
  a.alpha = 1.0f;
  a.beta = 0.0f;
  return a;
}

}  // namespace

LayerConfig Dense::config() const {
  LayerConfig c;
  c.set("units", int64_t{units_});
  c.set("activation", std::string(activation_name(activation_)));
  return c;
}

Shape Dense::on_build(const Shape& input_shape, Rng&) {
  if (input_shape.size() != 1)
    throw std::invalid_argument(name() + ": Dense needs a flat (features,) input, got " +
                                shape_to_string(input_shape) + "; add a Flatten layer before it");
  if (units_ < 1) throw std::invalid_argument(name() + ": units must be >= 1");
  const int64_t in = input_shape[0];
  kernel_ = &add_parameter("kernel", {in, units_}, Initializer::glorot(in, units_));
  bias_ = &add_parameter("bias", {units_}, Initializer::zeros());
  return {units_};
}

bp::tensor& Dense::forward(bp::tensor& x, bool) {
  current_ = &buffers_.get(batch_of(x), [&](int64_t batch) {
    Buffers b;
    b.y = rt().empty({batch, units_});
    if (activation_ != BP_ACTIVATION_NONE) {
      b.z = rt().empty({batch, units_});
      b.dz = rt().empty({batch, units_});
    }
    return b;
  });
  x_ = &x;
  Buffers& b = *current_;
  bp::tensor& pre = activation_ == BP_ACTIVATION_NONE ? b.y : b.z;
  const auto nn = gemm(0, 0);
  rt().run(BP_OP_GEMM, &nn, {&x, &kernel_->value}, {&pre});
  auto layout = init_struct<bp_layout_attrs>();
  layout.layout = BP_LAYOUT_NHWC;  // channel = last axis
  rt().run(BP_OP_BIAS_ADD, &layout, {&pre, &bias_->value}, {&pre});
  if (activation_ != BP_ACTIVATION_NONE) {
    auto act = init_struct<bp_activation_attrs>();
    act.activation = activation_;
    rt().run(BP_OP_ACTIVATION_FWD, &act, {&pre}, {&b.y});
  }
  return b.y;
}

bp::tensor* Dense::backward(bp::tensor& dy, bool need_input_grad) {
  Buffers& b = *current_;
  bp::tensor* dz = &dy;
  if (activation_ != BP_ACTIVATION_NONE) {
    auto act = init_struct<bp_activation_attrs>();
    act.activation = activation_;
    rt().run(BP_OP_ACTIVATION_BWD, &act, {&b.y, &dy}, {&b.dz});
    dz = &b.dz;
  }
  const auto tn = gemm(1, 0);  // dW = x^T dz
  rt().run(BP_OP_GEMM, &tn, {x_, dz}, {&kernel_->grad});
  auto layout = init_struct<bp_layout_attrs>();
  layout.layout = BP_LAYOUT_NHWC;
  rt().run(BP_OP_BIAS_GRAD, &layout, {dz}, {&bias_->grad});
  if (!need_input_grad) return nullptr;
  if (!b.dx) b.dx = rt().empty(x_->shape());
  const auto nt = gemm(0, 1);  // dx = dz W^T
  rt().run(BP_OP_GEMM, &nt, {dz, &kernel_->value}, {&b.dx});
  return &b.dx;
}

}  // namespace bp::nn
