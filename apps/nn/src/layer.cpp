#include "backplane/nn/layer.hpp"

#include <cmath>
#include <stdexcept>

namespace bp::nn {

std::string shape_to_string(const Shape& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

int64_t shape_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Shape batched(int64_t batch, const Shape& per_sample) {
  Shape shape{batch};
  shape.insert(shape.end(), per_sample.begin(), per_sample.end());
  return shape;
}

std::vector<float> glorot_uniform(Rng& rng, int64_t count, int64_t fan_in, int64_t fan_out) {
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  std::vector<float> values(static_cast<size_t>(count));
  for (float& v : values) v = static_cast<float>(rng.uniform(-limit, limit));
  return values;
}

Shape Layer::build(const bp::runtime& rt, const Shape& input_shape, Rng& rng) {
  if (built()) throw std::logic_error(name_ + ": layer already built");
  rt_ = &rt;
  input_shape_ = input_shape;
  try {
    output_shape_ = on_build(input_shape, rng);
  } catch (...) {
    rt_ = nullptr;
    throw;
  }
  return output_shape_;
}

Parameter& Layer::add_parameter(const std::string& suffix, const Shape& shape, const std::vector<float>& initial) {
  auto param = std::make_unique<Parameter>();
  param->name = name_ + "/" + suffix;
  param->shape = shape;
  param->value = rt_->empty(shape);
  param->grad = rt_->empty(shape);
  param->value.write(initial);
  parameters_.push_back(std::move(param));
  return *parameters_.back();
}

std::vector<Parameter*> Layer::parameters() {
  std::vector<Parameter*> out;
  for (auto& p : parameters_) out.push_back(p.get());
  return out;
}

int64_t Layer::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters_) n += shape_elements(p->shape);
  return n;
}

}  // namespace bp::nn
