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

bp_padding parse_padding(const std::string& name) {
  if (name == "valid") return BP_PADDING_VALID;
  if (name == "same") return BP_PADDING_SAME;
  throw std::invalid_argument("unknown padding '" + name + "' (expected valid or same)");
}

const char* padding_name(bp_padding padding) {
  switch (padding) {
    case BP_PADDING_VALID: return "valid";
    case BP_PADDING_SAME: return "same";
    default: return "explicit";
  }
}

int64_t LayerConfig::get_int(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) throw std::invalid_argument("layer config has no '" + key + "'");
  if (const int64_t* value = std::get_if<int64_t>(&it->second)) return *value;
  throw std::invalid_argument("layer config '" + key + "' is a name, expected an integer");
}

std::string LayerConfig::get_string(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) throw std::invalid_argument("layer config has no '" + key + "'");
  if (const std::string* value = std::get_if<std::string>(&it->second)) return *value;
  throw std::invalid_argument("layer config '" + key + "' is an integer, expected a name");
}

Shape Layer::build(const bp::runtime& rt, const Shape& input_shape, Rng& rng, int64_t max_parameter_elements) {
  if (built()) throw std::logic_error(name_ + ": layer already built");
  rt_ = &rt;
  build_rng_ = &rng;
  parameter_budget_ = max_parameter_elements;
  input_shape_ = input_shape;
  try {
    output_shape_ = on_build(input_shape, rng);
  } catch (...) {
    rt_ = nullptr;
    build_rng_ = nullptr;
    parameters_.clear();
    throw;
  }
  build_rng_ = nullptr;
  return output_shape_;
}

void Layer::reserve_parameter(const std::string& suffix, const Shape& shape) {
  const std::string what = name_ + "/" + suffix + " " + shape_to_string(shape);
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 1) throw std::invalid_argument(what + ": every extent must be >= 1");
    if (count > INT64_MAX / d) throw std::invalid_argument(what + ": too many elements");
    count *= d;
  }
  if (parameter_budget_ < 0) return;
  if (count > parameter_budget_)
    throw std::invalid_argument(what + " needs " + std::to_string(count) + " weights, more than the " +
                                std::to_string(parameter_budget_) + " left under the cap");
  parameter_budget_ -= count;
}

Parameter& Layer::add_parameter(const std::string& suffix, const Shape& shape, Initializer init) {
  if (!build_rng_) throw std::logic_error(name_ + ": add_parameter is for on_build");
  reserve_parameter(suffix, shape);
  const int64_t count = shape_elements(shape);
  if (init.kind == Initializer::Kind::glorot_uniform)
    return create_parameter(suffix, shape, glorot_uniform(*build_rng_, count, init.fan_in, init.fan_out));
  return create_parameter(suffix, shape, std::vector<float>(static_cast<size_t>(count), 0.0f));
}

Parameter& Layer::add_parameter(const std::string& suffix, const Shape& shape, const std::vector<float>& initial) {
  reserve_parameter(suffix, shape);
  if (static_cast<int64_t>(initial.size()) != shape_elements(shape))
    throw std::invalid_argument(name_ + "/" + suffix + ": " + std::to_string(initial.size()) +
                                " initial values for " + shape_to_string(shape));
  return create_parameter(suffix, shape, initial);
}

Parameter& Layer::create_parameter(const std::string& suffix, const Shape& shape, const std::vector<float>& initial) {
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
