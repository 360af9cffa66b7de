#include "backplane/nn/activation.hpp"

#include <stdexcept>

namespace bp::nn {

bp_activation parse_activation(const std::string& name) {
  if (name == "none" || name == "linear" || name.empty()) return BP_ACTIVATION_NONE;
  if (name == "relu") return BP_ACTIVATION_RELU;
  if (name == "sigmoid") return BP_ACTIVATION_SIGMOID;
  if (name == "tanh") return BP_ACTIVATION_TANH;
  throw std::invalid_argument("unknown activation '" + name + "' (expected linear, relu, sigmoid or tanh)");
}

const char* activation_name(bp_activation activation) {
  switch (activation) {
    case BP_ACTIVATION_NONE: return "linear";
    case BP_ACTIVATION_RELU: return "relu";
    case BP_ACTIVATION_SIGMOID: return "sigmoid";
    case BP_ACTIVATION_TANH: return "tanh";
    default: return "unknown";
  }
}

LayerConfig Activation::config() const {
  LayerConfig c;
  c.set("activation", std::string(activation_name(activation_)));
  return c;
}

Shape Activation::on_build(const Shape& input_shape, Rng&) {
  if (activation_ == BP_ACTIVATION_NONE) throw std::invalid_argument(name() + ": Activation layer needs a function");
  return input_shape;
}

bp::tensor& Activation::forward(bp::tensor& x, bool) {
  current_ = &buffers_.get(batch_of(x), [&](int64_t batch) {
    return Buffers{rt().empty(batched(batch, output_shape())), bp::tensor{}};
  });
  auto attrs = init_struct<bp_activation_attrs>();
  attrs.activation = activation_;
  rt().run(BP_OP_ACTIVATION_FWD, &attrs, {&x}, {&current_->y});
  return current_->y;
}

bp::tensor* Activation::backward(bp::tensor& dy, bool need_input_grad) {
  if (!need_input_grad) return nullptr;  // no parameters: nothing else to compute
  if (!current_->dx) current_->dx = rt().empty(current_->y.shape());
  auto attrs = init_struct<bp_activation_attrs>();
  attrs.activation = activation_;
  rt().run(BP_OP_ACTIVATION_BWD, &attrs, {&current_->y, &dy}, {&current_->dx});
  return &current_->dx;
}

}  // namespace bp::nn
