#include "backplane/nn/loss.hpp"

namespace bp::nn {

SparseSoftmaxCrossEntropy::Buffers& SparseSoftmaxCrossEntropy::buffers(int64_t batch) {
  for (auto& entry : sets_)
    if (entry.first == batch) return *entry.second;
  auto b = std::make_unique<Buffers>();
  b->labels = rt_->empty({batch}, bp::i32);
  b->loss = rt_->empty({1});
  b->probs = rt_->empty({batch, classes_});
  b->dlogits = rt_->empty({batch, classes_});
  sets_.emplace_back(batch, std::move(b));
  return *sets_.back().second;
}

void SparseSoftmaxCrossEntropy::forward(const bp::tensor& logits, Buffers& b) const {
  auto attrs = init_struct<bp_xent_attrs>();
  attrs.reduction = BP_REDUCE_SUM;
  rt_->run(BP_OP_SOFTMAX_XENT_FWD, &attrs, {&logits, &b.labels}, {&b.loss, &b.probs});
}

bp::tensor& SparseSoftmaxCrossEntropy::backward(Buffers& b) const {
  auto attrs = init_struct<bp_xent_attrs>();
  attrs.reduction = BP_REDUCE_MEAN;
  rt_->run(BP_OP_SOFTMAX_XENT_BWD, &attrs, {&b.probs, &b.labels}, {&b.dlogits});
  return b.dlogits;
}

}  // namespace bp::nn
