// backplane/nn/dense.hpp — fully connected layer: y = act(x W + b) with a
// Keras-layout kernel W (in_features, units); GEMM + BIAS_ADD (+ activation).
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class Dense : public Layer {
 public:
  explicit Dense(int32_t units, bp_activation activation = BP_ACTIVATION_NONE)
      : units_(units), activation_(activation) {}
  std::string kind() const override { return "Dense"; }
  LayerConfig config() const override;
  bp::tensor& forward(bp::tensor& x, bool training) override;
  bp::tensor* backward(bp::tensor& dy, bool need_input_grad) override;

 protected:
  Shape on_build(const Shape& input_shape, Rng& rng) override;

 private:
  struct Buffers {
    bp::tensor y;   // output
    bp::tensor z;   // pre-activation (with an activation only)
    bp::tensor dz;  // dL/d(pre-activation) (with an activation only)
    bp::tensor dx;  // made on the first backward that needs it
  };

  int32_t units_;
  bp_activation activation_;
  Parameter* kernel_ = nullptr;
  Parameter* bias_ = nullptr;
  PerBatch<Buffers> buffers_;
  Buffers* current_ = nullptr;
  bp::tensor* x_ = nullptr;
};

}  // namespace bp::nn
