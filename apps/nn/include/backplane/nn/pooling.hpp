// backplane/nn/pooling.hpp — 2-D max / average pooling over NHWC
// (POOL2D_FWD / POOL2D_BWD). Keras defaults: stride = pool size, 'valid'.
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class Pool2D : public Layer {
 public:
  Pool2D(bp_pool_mode mode, int32_t pool, int32_t stride = 0, bp_padding padding = BP_PADDING_VALID)
      : mode_(mode), pool_(pool), stride_(stride > 0 ? stride : pool), padding_(padding) {}
  std::string kind() const override { return mode_ == BP_POOL_MAX ? "MaxPool2D" : "AvgPool2D"; }
  LayerConfig config() const override;
  bp::tensor& forward(bp::tensor& x, bool training) override;
  bp::tensor* backward(bp::tensor& dy, bool need_input_grad) override;

 protected:
  Shape on_build(const Shape& input_shape, Rng& rng) override;

 private:
  struct Buffers {
    bp::tensor y, dx;
  };
  bp_pool2d_attrs attrs() const;

  bp_pool_mode mode_;
  int32_t pool_, stride_;
  bp_padding padding_;
  PerBatch<Buffers> buffers_;
  Buffers* current_ = nullptr;
  bp::tensor* x_ = nullptr;
};

class MaxPool2D : public Pool2D {
 public:
  explicit MaxPool2D(int32_t pool = 2, int32_t stride = 0, bp_padding padding = BP_PADDING_VALID)
      : Pool2D(BP_POOL_MAX, pool, stride, padding) {}
};

class AvgPool2D : public Pool2D {
 public:
  explicit AvgPool2D(int32_t pool = 2, int32_t stride = 0, bp_padding padding = BP_PADDING_VALID)
      : Pool2D(BP_POOL_AVG, pool, stride, padding) {}
};

}  // namespace bp::nn
