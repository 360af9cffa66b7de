// backplane/nn/optimizer.hpp — parameter updates on the device
// (ADAM_UPDATE / SGD_UPDATE). State tensors (moments, velocity) are made
// once, zero-filled, the first time a parameter is seen.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  // Applies one update to every parameter from its grad.
  virtual void step(const bp::runtime& rt, const std::vector<Parameter*>& params) = 0;
  // Number of steps applied so far.
  int64_t iterations() const { return iterations_; }

 protected:
  int64_t iterations_ = 0;
  static bp::tensor zeros(const bp::runtime& rt, const Shape& shape);
};

struct AdamOptions {
  float learning_rate = 0.001f;  // Keras defaults
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options = {}) : options_(options) {}
  std::string name() const override { return "Adam"; }
  void step(const bp::runtime& rt, const std::vector<Parameter*>& params) override;
  const AdamOptions& options() const { return options_; }

 private:
  struct Moments {
    bp::tensor m, v;
  };
  AdamOptions options_;
  std::vector<Moments> moments_;  // parallel to the params vector
};

struct SgdOptions {
  float learning_rate = 0.01f;  // Keras default
  float momentum = 0.0f;
  bool nesterov = false;
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(const SgdOptions& options = {}) : options_(options) {}
  std::string name() const override { return "SGD"; }
  void step(const bp::runtime& rt, const std::vector<Parameter*>& params) override;

 private:
  SgdOptions options_;
  std::vector<bp::tensor> velocity_;
};

// "adam" or "sgd" (lr and momentum apply to SGD; Adam uses lr when > 0).
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, float learning_rate = 0.0f,
                                          float momentum = 0.0f);

}  // namespace bp::nn
