#include "backplane/nn/pooling.hpp"

#include <stdexcept>

namespace bp::nn {

bp_pool2d_attrs Pool2D::attrs() const {
  auto a = init_struct<bp_pool2d_attrs>();
  a.layout = BP_LAYOUT_NHWC;
  a.mode = mode_;
  a.window_h = a.window_w = pool_;
  a.stride_h = a.stride_w = stride_;
  a.padding = padding_;
  return a;
}

LayerConfig Pool2D::config() const {
  LayerConfig c;
  c.set("pool", int64_t{pool_});
  c.set("stride", int64_t{stride_});
  c.set("padding", std::string(padding_name(padding_)));
  return c;
}

Shape Pool2D::on_build(const Shape& input_shape, Rng&) {
  if (input_shape.size() != 3)
    throw std::invalid_argument(name() + ": " + kind() + " needs a (height, width, channels) input, got " +
                                shape_to_string(input_shape));
  if (pool_ < 1 || stride_ < 1) throw std::invalid_argument(name() + ": pool size and stride must be >= 1");
  if (padding_ != BP_PADDING_VALID && padding_ != BP_PADDING_SAME)
    throw std::invalid_argument(name() + ": padding must be 'valid' or 'same'");
  const auto extent = [&](int64_t in) {
    if (padding_ == BP_PADDING_SAME) return (in + stride_ - 1) / stride_;
    return in < pool_ ? int64_t{0} : (in - pool_) / stride_ + 1;
  };
  const Shape out{extent(input_shape[0]), extent(input_shape[1]), input_shape[2]};
  if (out[0] < 1 || out[1] < 1)
    throw std::invalid_argument(name() + ": pool window larger than the input " + shape_to_string(input_shape));
  return out;
}

bp::tensor& Pool2D::forward(bp::tensor& x, bool) {
  current_ = &buffers_.get(batch_of(x), [&](int64_t batch) {
    return Buffers{rt().empty(batched(batch, output_shape())), bp::tensor{}};
  });
  x_ = &x;
  const auto a = attrs();
  rt().run(BP_OP_POOL2D_FWD, &a, {&x}, {&current_->y});
  return current_->y;
}

bp::tensor* Pool2D::backward(bp::tensor& dy, bool need_input_grad) {
  if (!need_input_grad) return nullptr;  // no parameters
  if (!current_->dx) current_->dx = rt().empty(x_->shape());
  const auto a = attrs();
  rt().run(BP_OP_POOL2D_BWD, &a, {x_, &current_->y, &dy}, {&current_->dx});
  return &current_->dx;
}

}  // namespace bp::nn
