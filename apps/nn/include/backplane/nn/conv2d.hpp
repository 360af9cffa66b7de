// backplane/nn/conv2d.hpp — 2-D convolution, NHWC input, OHWI kernel
// (filters, kh, kw, in_channels), bias per filter, optional activation.
//
// Forward uses one fused CONV2D_FWD (bias + activation) when the backend
// says it runs that itself; otherwise CONV2D_FWD + BIAS_ADD + ACTIVATION_FWD.
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

struct Conv2DOptions {
  int32_t filters = 32;
  int32_t kernel_h = 3, kernel_w = 3;
  int32_t stride_h = 1, stride_w = 1;
  bp_padding padding = BP_PADDING_VALID;
  bp_activation activation = BP_ACTIVATION_NONE;
};

class Conv2D : public Layer {
 public:
  explicit Conv2D(const Conv2DOptions& options) : options_(options) {}
  Conv2D(int32_t filters, int32_t kernel, bp_activation activation = BP_ACTIVATION_NONE, int32_t stride = 1,
         bp_padding padding = BP_PADDING_VALID)
      : options_{filters, kernel, kernel, stride, stride, padding, activation} {}

  std::string kind() const override { return "Conv2D"; }
  LayerConfig config() const override;
  const Conv2DOptions& options() const { return options_; }
  bp::tensor& forward(bp::tensor& x, bool training) override;
  bp::tensor* backward(bp::tensor& dy, bool need_input_grad) override;
  // Whether the last forward used the fused CONV2D_FWD (bias + activation in one op).
  bool fused() const { return current_ && current_->fused; }

 protected:
  Shape on_build(const Shape& input_shape, Rng& rng) override;

 private:
  struct Buffers {
    bool fused = false;
    bp::tensor y;   // layer output (after activation)
    bp::tensor z;   // pre-activation, unfused path with an activation only
    bp::tensor dx;  // made on the first backward that needs it
  };
  Buffers make_buffers(bp::tensor& x);
  bp_conv2d_attrs attrs(bp_activation activation) const;

  Conv2DOptions options_;
  Parameter* kernel_ = nullptr;
  Parameter* bias_ = nullptr;
  PerBatch<Buffers> buffers_;
  Buffers* current_ = nullptr;
  bp::tensor* x_ = nullptr;
};

}  // namespace bp::nn
