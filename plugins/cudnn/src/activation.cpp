// activation.cpp — ACTIVATION_FWD / BWD with cuDNN. Tensors of any rank are
// viewed as (1, count, 1, 1). NONE is a copy (forward) or passes dy through.
// The ABI's backward gets only the forward OUTPUT y; cuDNN also wants x, and
// y stands in for it: relu'(x) depends on x > 0, which equals y > 0, and the
// sigmoid/tanh derivatives are computed from y.
#include "ops.hpp"

namespace bp::cudnn {

std::string activation_limits(const bp_op_desc& op) {
  const bp_tensor& t = op.inputs[0];
  if (!fits_int(count(t))) return "more than 2^31-1 elements (cuDNN's 32-bit dimension limit)";
  return {};
}

void activation_execute(const op_call& call) {
  const auto& a = call.attrs<bp_activation_attrs>();
  device_context& dev = call.dev;
  const int64_t n = count(call.out(0));
  if (n == 0) return;
  if (a.activation == BP_ACTIVATION_NONE) {
    const bp_tensor& src = call.op.kind == BP_OP_ACTIVATION_FWD ? call.in(0) : call.in(1);
    if (dptr(src) != dptr(call.out(0)))
      BP_CHECK(dev.cu().cuMemcpyDtoDAsync(dptr(call.out(0)), dptr(src), uint64_t(n) * 4, call.stream));
    return;
  }
  const cudnnActivationMode_t mode = a.activation == BP_ACTIVATION_RELU      ? CUDNN_ACTIVATION_RELU
                                     : a.activation == BP_ACTIVATION_SIGMOID ? CUDNN_ACTIVATION_SIGMOID
                                                                             : CUDNN_ACTIVATION_TANH;
  const cudnn_api& dnn = dev.dnn_api();
  activation_desc act(mode);
  tensor_desc t;
  t.image(true, 1, n, 1, 1);
  const float one = 1.0f, zero = 0.0f;
  library_lock lock(dev, call.stream);
  if (call.op.kind == BP_OP_ACTIVATION_FWD) {
    BP_CHECK(dnn.cudnnActivationForward(dev.dnn, act, &one, t, typed<void>(call.in(0)), &zero, t,
                                        typed<void>(call.out(0))));
  } else {  // in: y, dy ; out: dx
    void* y = typed<void>(call.in(0));
    BP_CHECK(dnn.cudnnActivationBackward(dev.dnn, act, &one, t, y, t, typed<void>(call.in(1)), t, y, &zero, t,
                                         typed<void>(call.out(0))));
  }
}

}  // namespace bp::cudnn
