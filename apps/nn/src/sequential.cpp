#include "backplane/nn/sequential.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "backplane/nn/conv2d.hpp"
#include "backplane/nn/dense.hpp"
#include "backplane/nn/flatten.hpp"
#include "backplane/nn/pooling.hpp"

namespace bp::nn {

Layer& Sequential::add(std::unique_ptr<Layer> layer) {
  if (built_) throw std::logic_error("Sequential: cannot add a layer after build()");
  if (!layer) throw std::invalid_argument("Sequential: null layer");
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

void Sequential::build(const Shape& input_shape, int32_t classes, uint64_t seed, int64_t max_parameter_elements) {
  if (built_) throw std::logic_error("Sequential: already built");
  if (layers_.empty()) throw std::invalid_argument("Sequential: no layers");
  if (classes < 2) throw std::invalid_argument("Sequential: need at least 2 classes");
  Rng rng(seed);
  std::map<std::string, int> seen;
  Shape shape = input_shape;
  for (auto& layer : layers_) {
    if (layer->name().empty()) {
      std::string base;
      for (char c : layer->kind()) base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const int n = seen[base]++;
      layer->set_name(n == 0 ? base : base + "_" + std::to_string(n));
    }
    const int64_t used = parameter_count();
    shape = layer->build(*rt_, shape, rng, max_parameter_elements < 0 ? -1 : max_parameter_elements - used);
  }
  if (shape != Shape{classes})
    throw std::invalid_argument("Sequential: the last layer outputs " + shape_to_string(shape) +
                                " but the loss needs (" + std::to_string(classes) + ",) logits");
  input_shape_ = input_shape;
  first_trainable_ = layers_.size();
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (Parameter* p : layers_[i]->parameters()) parameters_.push_back(p);
    if (first_trainable_ == layers_.size() && layers_[i]->parameter_count() > 0) first_trainable_ = i;
  }
  loss_.bind(*rt_, classes);
  built_ = true;
}

void Sequential::compile(std::unique_ptr<Optimizer> optimizer) {
  if (!optimizer) throw std::invalid_argument("Sequential: null optimizer");
  optimizer_ = std::move(optimizer);
}

void Sequential::require_ready(const char* what, bool needs_optimizer) const {
  if (!built_) throw std::logic_error(std::string("Sequential::") + what + ": call build() first");
  if (needs_optimizer && !optimizer_)
    throw std::logic_error(std::string("Sequential::") + what + ": call compile() first");
}

std::vector<Parameter*> Sequential::parameters() { return parameters_; }

int64_t Sequential::parameter_count() const {
  int64_t n = 0;
  for (const auto& layer : layers_) n += layer->parameter_count();
  return n;
}

Sequential::InputBuffers& Sequential::inputs(int64_t batch) {
  for (auto& entry : inputs_)
    if (entry.first == batch) return *entry.second;
  auto in = std::make_unique<InputBuffers>();
  in->images = rt_->empty(batched(batch, input_shape_));
  inputs_.emplace_back(batch, std::move(in));
  return *inputs_.back().second;
}

void Sequential::upload(InputBuffers& in, SparseSoftmaxCrossEntropy::Buffers& loss, const float* images,
                        const int32_t* labels, int64_t batch) {
  in.images.write(images, static_cast<size_t>(batch * shape_elements(input_shape_)));
  loss.labels.write(labels, static_cast<size_t>(batch));
}

bp::tensor& Sequential::run_layers(bp::tensor& x, bool training) {
  bp::tensor* h = &x;
  for (auto& layer : layers_) h = &layer->forward(*h, training);
  return *h;
}

void Sequential::backward(bp::tensor& dlogits) {
  bp::tensor* grad = &dlogits;
  // Layers before the first one with parameters need no gradient at all, and
  // that first one computes none for its input.
  for (size_t i = layers_.size(); i-- > first_trainable_;) {
    grad = layers_[i]->backward(*grad, i > first_trainable_);
    if (i > first_trainable_ && !grad) throw std::logic_error(layers_[i]->name() + ": no input gradient");
  }
}

void Sequential::restore_views() {
  for (auto& layer : layers_) layer->restore_views();
}

double Sequential::train_step(const float* images, const int32_t* labels, int64_t batch) {
  require_ready("train_step", true);
  if (batch < 1) throw std::invalid_argument("Sequential::train_step: empty batch");
  InputBuffers& in = inputs(batch);
  SparseSoftmaxCrossEntropy::Buffers& lb = loss_.buffers(batch);
  upload(in, lb, images, labels, batch);
  try {
    bp::tensor& logits = run_layers(in.images, true);
    loss_.forward(logits, lb);
    backward(loss_.backward(lb));
    optimizer_->step(*rt_, parameters_);
  } catch (...) {
    restore_views();
    throw;
  }
  restore_views();
  return static_cast<double>(lb.loss.read<float>()[0]) / static_cast<double>(batch);
}

std::string Sequential::summary() const {
  std::string text;
  char line[160];
  std::snprintf(line, sizeof line, "%-28s %-22s %10s\n", "Layer (type)", "Output Shape", "Param #");
  text += line;
  text += std::string(62, '=') + "\n";
  for (const auto& layer : layers_) {
    const std::string label = layer->name() + " (" + layer->kind() + ")";
    std::string shape = "?";
    if (layer->built()) {
      shape = "(None";
      for (int64_t d : layer->output_shape()) shape += ", " + std::to_string(d);
      shape += ")";
    }
    std::snprintf(line, sizeof line, "%-28s %-22s %10lld\n", label.c_str(), shape.c_str(),
                  static_cast<long long>(layer->parameter_count()));
    text += line;
  }
  text += std::string(62, '=') + "\n";
  // Every parameter of these layers is trained (no frozen layers, no batch-norm statistics).
  text += "Total params: " + std::to_string(parameter_count()) + "\n";
  text += "Trainable params: " + std::to_string(parameter_count()) + "\n";
  text += "Non-trainable params: 0\n";
  return text;
}

void add_reference_cnn(Sequential& model, int32_t classes) {
  model.add<Conv2D>(32, 3, BP_ACTIVATION_RELU);
  model.add<MaxPool2D>(2);
  model.add<Flatten>();
  model.add<Dense>(classes);
}

}  // namespace bp::nn
