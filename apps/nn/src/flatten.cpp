#include "backplane/nn/flatten.hpp"

namespace bp::nn {

Shape Flatten::on_build(const Shape& input_shape, Rng&) { return {shape_elements(input_shape)}; }

void Flatten::reshape(bp::tensor& t, const Shape& shape, Reshaped& record) {
  record.tensor = &t;
  record.original = t.shape();
  t.reshape(shape);
}

void Flatten::restore(Reshaped& record) {
  if (!record.tensor) return;
  record.tensor->reshape(record.original);
  record.tensor = nullptr;
}

bp::tensor& Flatten::forward(bp::tensor& x, bool) {
  restore_views();
  reshape(x, batched(batch_of(x), output_shape()), input_);
  return x;
}

bp::tensor* Flatten::backward(bp::tensor& dy, bool need_input_grad) {
  restore(input_);  // the layer before needs its output in its own shape
  if (!need_input_grad) return nullptr;
  restore(gradient_);
  reshape(dy, batched(batch_of(dy), input_shape()), gradient_);
  return &dy;
}

void Flatten::restore_views() {
  restore(input_);
  restore(gradient_);
}

}  // namespace bp::nn
