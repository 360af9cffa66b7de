// The epoch loops (fit / evaluate) and the device-side metric accumulation.
#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "backplane/nn/sequential.hpp"

namespace bp::nn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Loss and accuracy of one pass, accumulated without waiting for the device:
// the per-batch loss sums are added on the device (ping-pong ADD, no
// aliasing), and each step's ARGMAX lands in its own slot whose host labels
// are kept; read() settles the pending slots (one device sync).
class EpochMetrics : public MetricsReader {
 public:
  explicit EpochMetrics(const bp::runtime& rt) : rt_(rt) {
    sums_[0] = rt.empty({1});
    sums_[1] = rt.empty({1});
  }

  void reset() {
    auto zero = init_struct<bp_scalar_attrs>();
    zero.value = 0.0f;
    rt_.run(BP_OP_FILL, &zero, {}, {&sums_[current_]});
    pending_ = 0;
    correct_ = 0;
    settled_ = 0;
    samples_ = 0;
  }

  void record(const bp::tensor& batch_loss_sum, const bp::tensor& logits, const int32_t* labels, int64_t batch) {
    rt_.run(BP_OP_ADD, nullptr, {&sums_[current_], &batch_loss_sum}, {&sums_[current_ ^ 1]});
    current_ ^= 1;
    Slot& slot = take_slot(batch);
    rt_.run(BP_OP_ARGMAX, nullptr, {&logits}, {&slot.predictions});
    slot.labels.assign(labels, labels + batch);
    samples_ += batch;
  }

  RunningMetrics read() override {
    for (size_t i = 0; i < pending_; ++i) {
      Slot& slot = slots_[i];
      const std::vector<int32_t> predicted = slot.predictions.read<int32_t>();
      for (size_t j = 0; j < predicted.size(); ++j) correct_ += predicted[j] == slot.labels[j];
      settled_ += static_cast<int64_t>(predicted.size());
    }
    pending_ = 0;
    RunningMetrics m;
    m.samples = samples_;
    if (samples_ > 0) {
      m.loss = static_cast<double>(sums_[current_].read<float>()[0]) / static_cast<double>(samples_);
      m.accuracy = static_cast<double>(correct_) / static_cast<double>(settled_);
    }
    return m;
  }

 private:
  struct Slot {
    int64_t batch = 0;
    bp::tensor predictions;
    std::vector<int32_t> labels;
  };

  // The next free slot of this batch size; slots are made during the first
  // pass only and reused afterwards.
  Slot& take_slot(int64_t batch) {
    for (size_t i = pending_; i < slots_.size(); ++i) {
      if (slots_[i].batch == batch) {
        std::swap(slots_[i], slots_[pending_]);
        return slots_[pending_++];
      }
    }
    Slot slot;
    slot.batch = batch;
    slot.predictions = rt_.empty({batch}, bp::i32);
    slot.labels.reserve(static_cast<size_t>(batch));
    slots_.push_back(std::move(slot));
    std::swap(slots_.back(), slots_[pending_]);
    return slots_[pending_++];
  }

  const bp::runtime& rt_;
  bp::tensor sums_[2];
  int current_ = 0;
  std::vector<Slot> slots_;
  size_t pending_ = 0;
  int64_t correct_ = 0, settled_ = 0, samples_ = 0;
};

}  // namespace

void Sequential::check_dataset(const Dataset& data, const char* role) const {
  const Shape& input_shape = input_shape_;
  const int32_t classes = loss_.classes();
  data.validate();
  const Shape sample{data.height, data.width, data.channels};
  if (shape_elements(sample) != shape_elements(input_shape) || (input_shape.size() == 3 && sample != input_shape))
    throw std::invalid_argument(std::string(role) + " data '" + data.name + "' has samples " +
                                shape_to_string(sample) + " but the model was built for " +
                                shape_to_string(input_shape));
  if (data.num_classes > classes)
    throw std::invalid_argument(std::string(role) + " data '" + data.name + "' has " +
                                std::to_string(data.num_classes) + " classes but the model outputs " +
                                std::to_string(classes));
}

History Sequential::fit(const Dataset& train, const FitOptions& options) {
  require_ready("fit", true);
  check_dataset(train, "training");
  if (options.epochs < 1) throw std::invalid_argument("fit: epochs must be >= 1");
  if (options.batch_size < 1) throw std::invalid_argument("fit: batch size must be >= 1");
  History history;
  if (train.count == 0) return history;

  const int64_t sample = train.sample_size();
  const int64_t batch_size = std::min<int64_t>(options.batch_size, train.count);
  const int64_t steps = (train.count + batch_size - 1) / batch_size;  // last batch may be partial (Keras)
  std::vector<int64_t> order(static_cast<size_t>(train.count));
  for (int64_t i = 0; i < train.count; ++i) order[static_cast<size_t>(i)] = i;
  std::vector<float> batch_images(static_cast<size_t>(batch_size * sample));
  std::vector<int32_t> batch_labels(static_cast<size_t>(batch_size));
  Rng shuffle_rng(options.seed ^ 0x5DEECE66Dull);
  EpochMetrics metrics(*rt_);

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    if (options.shuffle) shuffle_rng.shuffle(order);
    for (Callback* cb : options.callbacks) cb->on_epoch_begin(epoch, options.epochs, steps);
    const auto start = Clock::now();
    metrics.reset();
    EpochResult result;
    result.epoch = epoch;
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t first = step * batch_size;
      const int64_t n = std::min(batch_size, train.count - first);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t src = order[static_cast<size_t>(first + i)];
        std::copy_n(train.images.data() + src * sample, sample, batch_images.data() + i * sample);
        batch_labels[static_cast<size_t>(i)] = train.labels[static_cast<size_t>(src)];
      }
      InputBuffers& in = inputs(n);
      SparseSoftmaxCrossEntropy::Buffers& lb = loss_.buffers(n);
      upload(in, lb, batch_images.data(), batch_labels.data(), n);
      try {
        bp::tensor& logits = run_layers(in.images, true);
        loss_.forward(logits, lb);
        metrics.record(lb.loss, logits, batch_labels.data(), n);
        backward(loss_.backward(lb));
        optimizer_->step(*rt_, parameters_);
      } catch (...) {
        restore_views();
        throw;
      }
      restore_views();
      result.steps = step + 1;
      for (Callback* cb : options.callbacks) cb->on_step_end(epoch, step + 1, steps, seconds_since(start), metrics);
      if (options.stop && options.stop->load(std::memory_order_relaxed)) {
        result.interrupted = step + 1 < steps || epoch < options.epochs;
        break;
      }
    }
    const RunningMetrics final_metrics = metrics.read();  // also waits for the device
    result.seconds = seconds_since(start);
    result.samples = final_metrics.samples;
    result.loss = final_metrics.loss;
    result.accuracy = final_metrics.accuracy;
    history.epochs.push_back(result);
    for (Callback* cb : options.callbacks) cb->on_epoch_end(result);
    if (result.interrupted) {
      history.interrupted = true;
      break;
    }
  }
  return history;
}

EvalResult Sequential::evaluate(const Dataset& test, int64_t batch_size, const std::atomic<bool>* stop) {
  require_ready("evaluate", false);
  check_dataset(test, "test");
  if (batch_size < 1) throw std::invalid_argument("evaluate: batch size must be >= 1");
  EvalResult out;
  if (test.count == 0) return out;
  const int64_t sample = test.sample_size();
  batch_size = std::min(batch_size, test.count);
  EpochMetrics metrics(*rt_);
  metrics.reset();
  const auto start = Clock::now();
  for (int64_t first = 0; first < test.count; first += batch_size) {
    const int64_t n = std::min(batch_size, test.count - first);
    InputBuffers& in = inputs(n);
    SparseSoftmaxCrossEntropy::Buffers& lb = loss_.buffers(n);
    upload(in, lb, test.images.data() + first * sample, test.labels.data() + first, n);
    try {
      bp::tensor& logits = run_layers(in.images, false);
      loss_.forward(logits, lb);
      metrics.record(lb.loss, logits, test.labels.data() + first, n);
    } catch (...) {
      restore_views();
      throw;
    }
    restore_views();
    ++out.steps;
    if (stop && stop->load(std::memory_order_relaxed) && first + n < test.count) {
      out.interrupted = true;
      break;
    }
  }
  const RunningMetrics m = metrics.read();
  out.seconds = seconds_since(start);
  out.samples = m.samples;
  out.loss = m.loss;
  out.accuracy = m.accuracy;
  return out;
}

}  // namespace bp::nn
