// Inference: Sequential::forward (one device batch) and predict (host
// samples in, probabilities or logits out).
#include <algorithm>
#include <stdexcept>

#include "backplane/nn/sequential.hpp"

namespace bp::nn {

const bp::tensor& Sequential::forward(bp::tensor& x) {
  require_ready("forward", false);
  if (!x) throw std::invalid_argument("Sequential::forward: empty tensor");
  const bp_tensor& v = x.view();
  const Shape shape = x.shape();
  if (v.dtype.code != BP_DTYPE_FLOAT || v.dtype.bits != 32 || shape.empty() || shape[0] < 1 ||
      Shape(shape.begin() + 1, shape.end()) != input_shape_)
    throw std::invalid_argument("Sequential::forward: the input must be f32 (batch, " +
                                shape_to_string(input_shape_).substr(1) + " but has shape " + shape_to_string(shape));
  try {
    bp::tensor& logits = run_layers(x, false);
    restore_views();
    return logits;
  } catch (...) {
    restore_views();
    throw;
  }
}

std::vector<float> Sequential::predict(const float* images, int64_t count, int64_t batch_size, Output output) {
  require_ready("predict", false);
  if (count < 0) throw std::invalid_argument("predict: negative sample count");
  if (batch_size < 1) throw std::invalid_argument("predict: batch size must be >= 1");
  if (count > 0 && !images) throw std::invalid_argument("predict: no image data");
  const int64_t sample = shape_elements(input_shape_);
  const int64_t classes = loss_.classes();
  std::vector<float> out(static_cast<size_t>(count * classes));
  batch_size = std::min(batch_size, std::max<int64_t>(count, 1));
  for (int64_t first = 0; first < count; first += batch_size) {
    const int64_t n = std::min(batch_size, count - first);
    InputBuffers& in = inputs(n);
    in.images.write(images + first * sample, static_cast<size_t>(n * sample));
    try {
      const bp::tensor* result = &run_layers(in.images, false);
      if (output == Output::probabilities) {
        // The loss's probability buffer of this batch size: softmax over the classes.
        SparseSoftmaxCrossEntropy::Buffers& lb = loss_.buffers(n);
        auto attrs = init_struct<bp_softmax_attrs>();
        rt_->run(BP_OP_SOFTMAX, &attrs, {result}, {&lb.probs});
        result = &lb.probs;
      }
      bp::check(bp_tensor_read(result->get(), out.data() + first * classes,
                               static_cast<uint64_t>(n * classes) * sizeof(float)));
    } catch (...) {
      restore_views();
      throw;
    }
    restore_views();
  }
  return out;
}

std::vector<float> Sequential::predict(const Dataset& data, int64_t batch_size, Output output) {
  require_ready("predict", false);
  check_dataset(data, "prediction");
  return predict(data.images.data(), data.count, batch_size, output);
}

}  // namespace bp::nn
