// backplane/nn/activation.hpp — element-wise activation as a layer
// (ACTIVATION_FWD / ACTIVATION_BWD), plus activation name helpers.
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

// "none"/"linear", "relu", "sigmoid", "tanh" -> code; throws std::invalid_argument otherwise.
bp_activation parse_activation(const std::string& name);
const char* activation_name(bp_activation activation);

class Activation : public Layer {
 public:
  explicit Activation(bp_activation activation) : activation_(activation) {}
  std::string kind() const override { return "Activation"; }
  LayerConfig config() const override;
  bp::tensor& forward(bp::tensor& x, bool training) override;
  bp::tensor* backward(bp::tensor& dy, bool need_input_grad) override;

 protected:
  Shape on_build(const Shape& input_shape, Rng& rng) override;

 private:
  struct Buffers {
    bp::tensor y, dx;
  };
  bp_activation activation_;
  PerBatch<Buffers> buffers_;
  Buffers* current_ = nullptr;
};

}  // namespace bp::nn
