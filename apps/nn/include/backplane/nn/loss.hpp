// backplane/nn/loss.hpp — softmax + sparse categorical cross-entropy on
// logits (SOFTMAX_XENT_FWD / SOFTMAX_XENT_BWD), the gradient averaged over
// the batch like Keras. The forward loss is produced as a SUM over the batch
// so epoch totals weight a smaller last batch correctly; divide by the batch
// size for the batch mean.
#pragma once

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class SparseSoftmaxCrossEntropy {
 public:
  struct Buffers {
    bp::tensor labels;   // (N,) int32, written by the caller
    bp::tensor loss;     // (1,) sum over the batch
    bp::tensor probs;    // (N, C)
    bp::tensor dlogits;  // (N, C)
  };

  void bind(const bp::runtime& rt, int32_t classes) {
    rt_ = &rt;
    classes_ = classes;
  }
  int32_t classes() const { return classes_; }
  // The buffers of one batch size (made the first time that size is seen).
  Buffers& buffers(int64_t batch);
  // loss <- sum_i -log softmax(logits_i)[label_i]; probs <- softmax(logits).
  void forward(const bp::tensor& logits, Buffers& b) const;
  // dlogits <- (probs - onehot(labels)) / N.
  bp::tensor& backward(Buffers& b) const;

 private:
  const bp::runtime* rt_ = nullptr;
  int32_t classes_ = 0;
  std::vector<std::pair<int64_t, std::unique_ptr<Buffers>>> sets_;
};

}  // namespace bp::nn
