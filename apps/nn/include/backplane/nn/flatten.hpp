// backplane/nn/flatten.hpp — (N, H, W, C) -> (N, H*W*C) without copying.
//
// bp_tensor_reshape changes a tensor's shape in place, so Flatten reshapes
// the previous layer's output for the next layer and, in backward, reshapes
// that output back (the previous layer's backward needs its own shape) and
// the incoming gradient to the unflattened shape. restore_views() puts the
// gradient buffer back after the step so the next layer can write it again.
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class Flatten : public Layer {
 public:
  std::string kind() const override { return "Flatten"; }
  bp::tensor& forward(bp::tensor& x, bool training) override;
  bp::tensor* backward(bp::tensor& dy, bool need_input_grad) override;
  void restore_views() override;

 protected:
  Shape on_build(const Shape& input_shape, Rng& rng) override;

 private:
  // Tensors this layer reshaped, with the shape each had before.
  struct Reshaped {
    bp::tensor* tensor = nullptr;
    Shape original;
  };
  void reshape(bp::tensor& t, const Shape& shape, Reshaped& record);
  void restore(Reshaped& record);

  Reshaped input_, gradient_;
};

}  // namespace bp::nn
