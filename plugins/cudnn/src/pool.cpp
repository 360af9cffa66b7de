// pool.cpp — POOL2D_FWD / BWD with cuDNN. MAX uses the deterministic max
// mode; AVG excludes padding (Keras: average over in-bounds elements).
#include "ops.hpp"

namespace bp::cudnn {
namespace {

class pool_desc {
 public:
  pool_desc(const bp_pool2d_attrs& a, const bp::sdk::pool_geometry& g) {
    const cudnn_api& dnn = vendor().dnn;
    BP_CHECK(dnn.cudnnCreatePoolingDescriptor(&d_));
    const cudnnPoolingMode_t mode =
        a.mode == BP_POOL_MAX ? CUDNN_POOLING_MAX_DETERMINISTIC : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    BP_CHECK(dnn.cudnnSetPooling2dDescriptor(d_, mode, CUDNN_NOT_PROPAGATE_NAN, int(g.win_h), int(g.win_w),
                                             int(g.pad_top), int(g.pad_left), int(g.stride_h), int(g.stride_w)));
  }
  ~pool_desc() { vendor().dnn.cudnnDestroyPoolingDescriptor(d_); }
  pool_desc(const pool_desc&) = delete;
  pool_desc& operator=(const pool_desc&) = delete;
  operator cudnnPoolingDescriptor_t() const { return d_; }

 private:
  cudnnPoolingDescriptor_t d_ = nullptr;
};

}  // namespace

std::string pool_limits(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_pool2d_attrs*>(op.attrs);
  const bp_tensor& x = op.kind == BP_OP_POOL2D_BWD ? op.inputs[0] : op.inputs[0];
  const auto g = bp::sdk::make_pool_geometry(a, x.shape);
  if (g.pad_top != g.pad_bottom || g.pad_left != g.pad_right)
    return "cuDNN's pooling descriptor takes symmetric padding only; this op needs top/bottom " +
           std::to_string(g.pad_top) + "/" + std::to_string(g.pad_bottom) + ", left/right " + std::to_string(g.pad_left) +
           "/" + std::to_string(g.pad_right);
  if (a.mode != BP_POOL_MAX && a.mode != BP_POOL_AVG) return "unknown pooling mode";
  for (int64_t v : {g.n, g.h, g.w, g.c, g.p, g.q})
    if (!fits_int(v)) return "an extent exceeds cuDNN's 32-bit dimension limit";
  return {};
}

void pool_execute(const op_call& call) {
  const auto& a = call.attrs<bp_pool2d_attrs>();
  const auto g = bp::sdk::make_pool_geometry(a, call.in(0).shape);
  device_context& dev = call.dev;
  const cudnn_api& dnn = dev.dnn_api();
  pool_desc pool(a, g);
  tensor_desc x, y;
  x.image(g.nchw, g.n, g.c, g.h, g.w);
  y.image(g.nchw, g.n, g.c, g.p, g.q);
  const float one = 1.0f, zero = 0.0f;
  library_lock lock(dev, call.stream);
  if (call.op.kind == BP_OP_POOL2D_FWD) {
    BP_CHECK(dnn.cudnnPoolingForward(dev.dnn, pool, &one, x, typed<void>(call.in(0)), &zero, y, typed<void>(call.out(0))));
  } else {  // in: x, y, dy ; out: dx
    BP_CHECK(dnn.cudnnPoolingBackward(dev.dnn, pool, &one, y, typed<void>(call.in(1)), y, typed<void>(call.in(2)), x,
                                      typed<void>(call.in(0)), &zero, x, typed<void>(call.out(0))));
  }
}

}  // namespace bp::cudnn
