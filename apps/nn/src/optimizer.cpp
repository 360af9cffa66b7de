#include "backplane/nn/optimizer.hpp"

#include <stdexcept>

namespace bp::nn {

bp::tensor Optimizer::zeros(const bp::runtime& rt, const Shape& shape) {
  bp::tensor t = rt.empty(shape);
  auto fill = init_struct<bp_scalar_attrs>();
  fill.value = 0.0f;
  rt.run(BP_OP_FILL, &fill, {}, {&t});
  return t;
}

void Adam::step(const bp::runtime& rt, const std::vector<Parameter*>& params) {
  if (moments_.size() != params.size()) {
    if (!moments_.empty()) throw std::logic_error("Adam: the parameter list changed between steps");
    for (const Parameter* p : params) moments_.push_back({zeros(rt, p->shape), zeros(rt, p->shape)});
  }
  ++iterations_;
  auto attrs = init_struct<bp_adam_attrs>();
  attrs.lr = options_.learning_rate;
  attrs.beta1 = options_.beta1;
  attrs.beta2 = options_.beta2;
  attrs.epsilon = options_.epsilon;
  attrs.step = iterations_;
  for (size_t i = 0; i < params.size(); ++i)
    rt.run(BP_OP_ADAM_UPDATE, &attrs, {&params[i]->grad}, {&params[i]->value, &moments_[i].m, &moments_[i].v});
}

void Sgd::step(const bp::runtime& rt, const std::vector<Parameter*>& params) {
  const bool with_velocity = options_.momentum != 0.0f;
  if (with_velocity && velocity_.size() != params.size()) {
    if (!velocity_.empty()) throw std::logic_error("SGD: the parameter list changed between steps");
    for (const Parameter* p : params) velocity_.push_back(zeros(rt, p->shape));
  }
  ++iterations_;
  auto attrs = init_struct<bp_sgd_attrs>();
  attrs.lr = options_.learning_rate;
  attrs.momentum = options_.momentum;
  attrs.nesterov = options_.nesterov ? 1 : 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (with_velocity)
      rt.run(BP_OP_SGD_UPDATE, &attrs, {&params[i]->grad}, {&params[i]->value, &velocity_[i]});
    else
      rt.run(BP_OP_SGD_UPDATE, &attrs, {&params[i]->grad}, {&params[i]->value});
  }
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, float learning_rate, float momentum) {
  if (name == "adam") {
    AdamOptions o;
    if (learning_rate > 0) o.learning_rate = learning_rate;
    return std::make_unique<Adam>(o);
  }
  if (name == "sgd") {
    SgdOptions o;
    if (learning_rate > 0) o.learning_rate = learning_rate;
    o.momentum = momentum;
    return std::make_unique<Sgd>(o);
  }
  throw std::invalid_argument("unknown optimizer '" + name + "' (expected adam or sgd)");
}

}  // namespace bp::nn
