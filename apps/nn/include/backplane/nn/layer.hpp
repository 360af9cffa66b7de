// backplane/nn/layer.hpp — the layer interface of backplane_nn.
//
// A layer is built once (per-sample input shape -> output shape, parameters
// created and initialised from the model's seeded Rng), then runs forward and
// backward on device tensors through bp ops only. Activations and gradients
// live in buffers the layer allocates once per batch size and reuses every
// step; a different (e.g. last, partial) batch size gets a second set, made
// the first time it is needed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "backplane/backplane.hpp"
#include "backplane/nn/rng.hpp"

namespace bp::nn {

using Shape = std::vector<int64_t>;

// "(28, 28, 3)"
std::string shape_to_string(const Shape& shape);
int64_t shape_elements(const Shape& shape);
// {batch} + per_sample
Shape batched(int64_t batch, const Shape& per_sample);

// "valid" / "same" <-> code; parse_padding throws std::invalid_argument otherwise.
bp_padding parse_padding(const std::string& name);
const char* padding_name(bp_padding padding);

// A layer's hyperparameters (integers and names), as recorded in a saved
// model's metadata so the file can rebuild the model it came from
// (model_io.hpp). The getters throw std::invalid_argument naming the key.
class LayerConfig {
 public:
  using Value = std::variant<int64_t, std::string>;
  void set(const std::string& key, int64_t value) { entries_[key] = value; }
  void set(const std::string& key, const std::string& value) { entries_[key] = value; }
  int64_t get_int(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  const std::map<std::string, Value>& entries() const { return entries_; }

 private:
  std::map<std::string, Value> entries_;
};

// A trainable tensor and its gradient (same shape, both on the device).
struct Parameter {
  std::string name;  // "conv2d_1/kernel"
  Shape shape;
  bp::tensor value;
  bp::tensor grad;
  // Copies the current values to the host (synchronises).
  std::vector<float> read() const { return value.read<float>(); }
};

// Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)) — the Keras default kernel init.
std::vector<float> glorot_uniform(Rng& rng, int64_t count, int64_t fan_in, int64_t fan_out);

// How Layer::add_parameter fills a new parameter (drawn from the model's Rng).
struct Initializer {
  enum class Kind { zeros, glorot_uniform };
  Kind kind = Kind::zeros;
  int64_t fan_in = 0, fan_out = 0;
  static Initializer zeros() { return {}; }
  static Initializer glorot(int64_t fan_in, int64_t fan_out) { return {Kind::glorot_uniform, fan_in, fan_out}; }
};

class Layer {
 public:
  virtual ~Layer() = default;
  Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // "Conv2D", "Dense", ...
  virtual std::string kind() const = 0;
  // The hyperparameters that rebuild this layer with make_layer(kind(), config()).
  virtual LayerConfig config() const { return {}; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Binds the layer to `rt`, checks the per-sample input shape, creates the
  // parameters (initialised from `rng`) and returns the per-sample output shape.
  // max_parameter_elements >= 0 caps this layer's weights: a parameter that
  // would pass it is refused before anything is allocated (a model rebuilt
  // from a file can hold no more weights than the file does).
  Shape build(const bp::runtime& rt, const Shape& input_shape, Rng& rng, int64_t max_parameter_elements = -1);
  bool built() const { return rt_ != nullptr; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }

  // Computes the output for a batch x (batch, input_shape...). The returned
  // tensor is owned by the layer (or is x itself, reshaped) and stays valid
  // until the next forward call. `training` keeps what backward needs.
  virtual bp::tensor& forward(bp::tensor& x, bool training) = 0;
  // Given dL/dy of the last forward, fills the parameter gradients and, when
  // `need_input_grad`, returns dL/dx (owned by the layer); else nullptr.
  // dy is scratch: a layer may overwrite it (e.g. an activation gradient in place).
  virtual bp::tensor* backward(bp::tensor& dy, bool need_input_grad) = 0;
  // Undoes temporary in-place reshapes (Flatten) once a step is over.
  virtual void restore_views() {}

  std::vector<Parameter*> parameters();
  int64_t parameter_count() const;

 protected:
  // Per-sample output shape for the input shape; creates parameters.
  virtual Shape on_build(const Shape& input_shape, Rng& rng) = 0;
  Parameter& add_parameter(const std::string& suffix, const Shape& shape, const std::vector<float>& initial);
  // Checks the shape (and the cap of build) first, then draws the values from the build's Rng.
  Parameter& add_parameter(const std::string& suffix, const Shape& shape, Initializer init);
  const bp::runtime& rt() const { return *rt_; }
  static int64_t batch_of(const bp::tensor& x) { return x.view().shape[0]; }

  // Buffers of one batch size; T is the layer's own struct of tensors.
  template <typename T>
  class PerBatch {
   public:
    template <typename Make>
    T& get(int64_t batch, Make&& make) {
      for (auto& entry : sets_)
        if (entry.first == batch) return *entry.second;
      sets_.emplace_back(batch, std::make_unique<T>(make(batch)));
      return *sets_.back().second;
    }

   private:
    std::vector<std::pair<int64_t, std::unique_ptr<T>>> sets_;
  };

 private:
  void reserve_parameter(const std::string& suffix, const Shape& shape);
  Parameter& create_parameter(const std::string& suffix, const Shape& shape, const std::vector<float>& initial);

  const bp::runtime* rt_ = nullptr;
  Rng* build_rng_ = nullptr;              // during build only
  int64_t parameter_budget_ = -1;         // during build only; -1: no cap
  std::string name_;
  Shape input_shape_, output_shape_;
  std::vector<std::unique_ptr<Parameter>> parameters_;
};

}  // namespace bp::nn
