// softmax_loss.cpp — SOFTMAX / SOFTMAX_BWD with cuDNN (instance mode over the
// last axis) and the fused softmax + sparse cross-entropy kernels (loss.cu).
#include "ops.hpp"

namespace bp::cudnn {
namespace {

int64_t last_extent(const bp_tensor& t) { return t.ndim > 0 ? t.shape[t.ndim - 1] : 1; }

void softmax(const op_call& call) {
  const auto& a = call.attrs<bp_softmax_attrs>();
  const bp_tensor& x = call.in(0);
  const int64_t cols = last_extent(x), rows = cols ? count(x) / cols : 0;
  if (rows == 0 || cols == 0) return;
  device_context& dev = call.dev;
  const cudnn_api& dnn = dev.dnn_api();
  tensor_desc t;
  t.image(true, rows, cols, 1, 1);
  const float one = 1.0f, zero = 0.0f;
  const cudnnSoftmaxAlgorithm_t algo = a.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE;
  library_lock lock(dev, call.stream);
  if (call.op.kind == BP_OP_SOFTMAX) {
    BP_CHECK(dnn.cudnnSoftmaxForward(dev.dnn, algo, CUDNN_SOFTMAX_MODE_INSTANCE, &one, t, typed<void>(x), &zero, t,
                                     typed<void>(call.out(0))));
  } else {  // in: y, dy ; out: dx
    BP_CHECK(dnn.cudnnSoftmaxBackward(dev.dnn, algo, CUDNN_SOFTMAX_MODE_INSTANCE, &one, t, typed<void>(call.in(0)), t,
                                      typed<void>(call.in(1)), &zero, t, typed<void>(call.out(0))));
  }
}

// in: logits(N,C), labels(N) ; out: loss, probs(N,C). Per-row losses go to
// scratch, then one deterministic block reduces them (mean or sum).
void xent_forward(const op_call& call) {
  const auto& a = call.attrs<bp_xent_attrs>();
  const bp_tensor& logits = call.in(0);
  const int64_t rows = logits.shape[0], cols = logits.shape[1];
  kernel_library& k = *call.dev.kernels;
  scratch_buffer row_loss(call.dev, call.stream, uint64_t(rows > 0 ? rows : 1) * sizeof(float));
  if (rows > 0 && cols > 0)
    k.launch("bp_softmax_xent_fwd_f32", call.stream, rows * 32, 256, typed<const float>(logits),
             typed<const int>(call.in(1)), typed<float>(call.out(1)), reinterpret_cast<float*>(row_loss.get()),
             (long long)rows, (long long)cols);
  const float scale = a.reduction == BP_REDUCE_MEAN ? (rows > 0 ? 1.0f / float(rows) : 0.0f) : 1.0f;
  k.launch_grid("bp_reduce_all_f32", call.stream, 1, 1024, reinterpret_cast<const float*>(row_loss.get()),
                typed<float>(call.out(0)), (long long)(cols > 0 ? rows : 0), scale);
}

// in: probs(N,C), labels(N) ; out: dlogits(N,C).
void xent_backward(const op_call& call) {
  const auto& a = call.attrs<bp_xent_attrs>();
  const bp_tensor& probs = call.in(0);
  const int64_t rows = probs.shape[0], cols = probs.shape[1];
  if (rows == 0 || cols == 0) return;
  const float scale = a.reduction == BP_REDUCE_MEAN ? 1.0f / float(rows) : 1.0f;
  call.dev.kernels->launch("bp_softmax_xent_bwd_f32", call.stream, rows * cols, 256, typed<const float>(probs),
                           typed<const int>(call.in(1)), typed<float>(call.out(0)), (long long)rows, (long long)cols,
                           scale);
}

}  // namespace

std::string softmax_loss_limits(const bp_op_desc& op) {
  if ((op.kind == BP_OP_SOFTMAX || op.kind == BP_OP_SOFTMAX_BWD)) {
    const bp_tensor& x = op.inputs[0];
    const int64_t cols = last_extent(x);
    if (!fits_int(cols) || (cols && !fits_int(count(x) / cols)))
      return "an extent exceeds cuDNN's 32-bit dimension limit";
  }
  return {};
}

void softmax_loss_execute(const op_call& call) {
  switch (call.op.kind) {
    case BP_OP_SOFTMAX:
    case BP_OP_SOFTMAX_BWD: return softmax(call);
    case BP_OP_SOFTMAX_XENT_FWD: return xent_forward(call);
    default: return xent_backward(call);
  }
}

}  // namespace bp::cudnn
