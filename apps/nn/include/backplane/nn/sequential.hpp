// backplane/nn/sequential.hpp — a stack of layers trained with softmax
// cross-entropy: build (seeded Glorot init), compile (optimizer), fit
// (shuffled mini-batches, Keras-style callbacks), evaluate (loss, accuracy),
// predict (probabilities or logits), summary, and weights saved and loaded
// as safetensors (model_io.hpp: save_weights, load_weights, load_model).
//
// The training loop never allocates after the first step of each batch size
// and never waits for the device inside an epoch: the loss is summed on the
// device (ADD) and predictions (ARGMAX) are parked in per-step slots until a
// callback asks for the running metrics or the epoch ends.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "backplane/nn/dataset.hpp"
#include "backplane/nn/layer.hpp"
#include "backplane/nn/loss.hpp"
#include "backplane/nn/optimizer.hpp"

namespace bp::nn {

struct RunningMetrics {
  int64_t samples = 0;
  double loss = 0.0;      // mean over the samples so far
  double accuracy = 0.0;  // fraction correct so far
};

// Reads the metrics of the epoch so far; synchronises with the device.
class MetricsReader {
 public:
  virtual ~MetricsReader() = default;
  virtual RunningMetrics read() = 0;
};

struct EpochResult {
  int epoch = 0;  // 1-based
  int64_t steps = 0;
  int64_t samples = 0;
  double seconds = 0.0;
  double loss = 0.0;
  double accuracy = 0.0;
  bool interrupted = false;  // stopped early by the stop flag
};

struct History {
  std::vector<EpochResult> epochs;
  bool interrupted = false;
};

struct EvalResult {
  int64_t samples = 0;
  int64_t steps = 0;
  double seconds = 0.0;
  double loss = 0.0;
  double accuracy = 0.0;
  bool interrupted = false;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_epoch_begin(int /*epoch*/, int /*epochs*/, int64_t /*steps*/) {}
  // After step `step` (1-based) of `steps`; `metrics.read()` costs a device sync,
  // so call it only when the value is about to be shown.
  virtual void on_step_end(int /*epoch*/, int64_t /*step*/, int64_t /*steps*/, double /*elapsed_s*/,
                           MetricsReader& /*metrics*/) {}
  virtual void on_epoch_end(const EpochResult& /*result*/) {}
};

struct FitOptions {
  int epochs = 1;
  int64_t batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;  // the shuffle order
  // Checked after every step: when it becomes true the epoch ends early.
  const std::atomic<bool>* stop = nullptr;
  std::vector<Callback*> callbacks;
};

class Sequential {
 public:
  explicit Sequential(const bp::runtime& rt) : rt_(&rt) {}
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;

  Layer& add(std::unique_ptr<Layer> layer);
  template <typename L, typename... Args>
  L& add(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }

  // Builds every layer for per-sample `input_shape` and initialises the
  // weights from `seed`; the last layer must output (classes,) logits.
  // max_parameter_elements >= 0 refuses, before allocating, a model with
  // more weights than that (load_model passes what the file holds).
  void build(const Shape& input_shape, int32_t classes, uint64_t seed, int64_t max_parameter_elements = -1);
  void compile(std::unique_ptr<Optimizer> optimizer);
  bool built() const { return built_; }
  int32_t classes() const { return loss_.classes(); }

  History fit(const Dataset& train, const FitOptions& options);
  EvalResult evaluate(const Dataset& test, int64_t batch_size, const std::atomic<bool>* stop = nullptr);
  // One optimisation step on a host batch (images NHWC, labels int32).
  // Returns the batch-mean loss before the update (reads it: synchronises).
  // Afterwards every Parameter::grad holds this step's gradient (the
  // optimizer reads it and leaves it as it was) until the next step.
  double train_step(const float* images, const int32_t* labels, int64_t batch);

  enum class Output { probabilities, logits };
  // Inference on `count` host samples (NHWC, the build's input shape each),
  // in batches of `batch_size`: returns count x classes values, row-major,
  // softmax probabilities (Keras' predict on a softmax model) or the raw logits.
  std::vector<float> predict(const float* images, int64_t count, int64_t batch_size = 32,
                             Output output = Output::probabilities);
  std::vector<float> predict(const Dataset& data, int64_t batch_size = 32, Output output = Output::probabilities);
  // One batch already on the device: x is (batch, input_shape...) f32 on this
  // model's runtime. Runs the layers in inference mode and returns the logits
  // (batch, classes), owned by the model and valid until the next forward,
  // predict, evaluate or training step. x is left as it was given.
  const bp::tensor& forward(bp::tensor& x);

  // Saves every parameter as F32 safetensors, named as in parameters()
  // ("conv2d/kernel", ...), with the architecture in the metadata so that
  // load_model() can rebuild the model from the file alone.
  void save_weights(const std::string& path) const;
  // Loads a file written by save_weights (or any safetensors file with the
  // same names, F32 dtypes and shapes). Everything is checked before any
  // weight changes: on an error the model keeps the weights it had.
  void load_weights(const std::string& path);

  std::vector<Parameter*> parameters();
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  const Shape& input_shape() const { return input_shape_; }
  const Optimizer* optimizer() const { return optimizer_.get(); }
  const bp::runtime& runtime() const { return *rt_; }
  int64_t parameter_count() const;
  // Keras-style table: each layer's name and type, output shape and
  // parameter count, then the total, trainable and non-trainable counts.
  std::string summary() const;

 private:
  struct InputBuffers {
    bp::tensor images;
  };
  // Device input of one batch size (made the first time that size is seen).
  InputBuffers& inputs(int64_t batch);
  void upload(InputBuffers& in, SparseSoftmaxCrossEntropy::Buffers& loss, const float* images,
              const int32_t* labels, int64_t batch);
  bp::tensor& run_layers(bp::tensor& x, bool training);
  void backward(bp::tensor& dlogits);
  void restore_views();
  void require_ready(const char* what, bool needs_optimizer) const;
  // Sample shape matches the build, labels fit the classes; `role` names the data in the error.
  void check_dataset(const Dataset& data, const char* role) const;

  const bp::runtime* rt_;
  std::vector<std::unique_ptr<Layer>> layers_;
  Shape input_shape_;
  bool built_ = false;
  size_t first_trainable_ = 0;
  SparseSoftmaxCrossEntropy loss_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<Parameter*> parameters_;
  std::vector<std::pair<int64_t, std::unique_ptr<InputBuffers>>> inputs_;
};

// Rebuilds the model a save_weights file came from (its architecture
// metadata) on `rt` and loads its weights; the model is built but not compiled
// (compile it to train further). Throws std::runtime_error naming the file and
// the problem; see model_io.hpp for the format.
std::unique_ptr<Sequential> load_model(const bp::runtime& rt, const std::string& path);

// The article's model: Conv2D(32, 3x3, ReLU) -> MaxPool2D(2x2) -> Flatten ->
// Dense(classes) logits (softmax lives in the loss). Adds the layers only.
void add_reference_cnn(Sequential& model, int32_t classes = 10);

}  // namespace bp::nn
