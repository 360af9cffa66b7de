// elementwise.cpp — ADD SUB MUL SCALE FILL COPY BIAS_ADD (kernels/elementwise.cu;
// FILL is cuMemsetD32Async, compact COPY is cuMemcpyDtoDAsync).
#include <cstring>

#include "ops.hpp"

namespace bp::cudnn {
namespace {

// Mirrors struct bp_copy_params in kernels/elementwise.cu (passed by value).
struct copy_params {
  int32_t ndim;
  int32_t pad_;
  long long n;
  long long shape[8];
  long long src_stride[8];
  long long dst_stride[8];
};

void compact_strides(const bp_tensor& t, long long* out) {
  long long s = 1;
  for (int32_t d = t.ndim - 1; d >= 0; --d) {
    out[d] = s;
    s *= t.shape[d];
  }
}

void copy(const op_call& call) {
  const bp_tensor& x = call.in(0);
  const bp_tensor& y = call.out(0);
  const int64_t n = count(x);
  const uint64_t elem = bp::sdk::dtype_bytes(x.dtype);
  if (n == 0 || (dptr(x) == dptr(y) && bp::sdk::is_compact(x) && bp::sdk::is_compact(y))) return;
  if (bp::sdk::is_compact(x) && bp::sdk::is_compact(y)) {
    BP_CHECK(call.dev.cu().cuMemcpyDtoDAsync(dptr(y), dptr(x), uint64_t(n) * elem, call.stream));
    return;
  }
  copy_params p{};
  p.ndim = x.ndim;
  p.n = n;
  for (int32_t d = 0; d < x.ndim; ++d) p.shape[d] = x.shape[d];
  if (x.strides) std::memcpy(p.src_stride, x.strides, sizeof(int64_t) * x.ndim); else compact_strides(x, p.src_stride);
  if (y.strides) std::memcpy(p.dst_stride, y.strides, sizeof(int64_t) * y.ndim); else compact_strides(y, p.dst_stride);
  const char* name = elem == 8 ? "bp_copy_strided_8" : elem == 2 ? "bp_copy_strided_2" : elem == 1 ? "bp_copy_strided_1"
                                                                                                 : "bp_copy_strided_4";
  call.dev.kernels->launch(name, call.stream, n, 256, dptr(x), dptr(y), p);
}

void bias_add(const op_call& call) {
  const auto& a = call.attrs<bp_layout_attrs>();
  const bp_tensor& x = call.in(0);
  const int64_t n = count(x);
  if (n == 0) return;
  const int32_t axis = bp::sdk::channel_axis(a.layout, x.ndim);
  long long inner = 1;
  for (int32_t d = axis + 1; d < x.ndim; ++d) inner *= x.shape[d];
  call.dev.kernels->launch("bp_bias_add_f32", call.stream, n, 256, typed<const float>(x), typed<const float>(call.in(1)),
                           typed<float>(call.out(0)), (long long)n, (long long)x.shape[axis], inner);
}

}  // namespace

std::string elementwise_limits(const bp_op_desc& op) {
  if (op.kind == BP_OP_COPY) {
    const uint64_t elem = bp::sdk::dtype_bytes(op.inputs[0].dtype);
    if (elem != 1 && elem != 2 && elem != 4 && elem != 8) return "COPY supports 1, 2, 4 and 8-byte elements";
  }
  if (op.kind == BP_OP_FILL && bp::sdk::dtype_bytes(op.outputs[0].dtype) != 4)
    return "FILL supports 4-byte elements (float32, int32)";
  return {};
}

void elementwise_execute(const op_call& call) {
  kernel_library& k = *call.dev.kernels;
  const bp_op_kind kind = call.op.kind;
  if (kind == BP_OP_COPY) return copy(call);
  if (kind == BP_OP_BIAS_ADD) return bias_add(call);
  const bp_tensor& y = call.out(0);
  const int64_t n = count(y);
  if (n == 0) return;
  if (kind == BP_OP_FILL) {
    const float value = call.attrs<bp_scalar_attrs>().value;
    uint32_t bits = 0;
    if (bp::sdk::is_int32(y.dtype)) {
      const int32_t as_int = static_cast<int32_t>(value);
      std::memcpy(&bits, &as_int, 4);
    } else {
      std::memcpy(&bits, &value, 4);
    }
    BP_CHECK(call.dev.cu().cuMemsetD32Async(dptr(y), bits, size_t(n), call.stream));
    return;
  }
  if (kind == BP_OP_SCALE) {
    k.launch("bp_scale_f32", call.stream, n, 256, typed<const float>(call.in(0)), typed<float>(y),
             call.attrs<bp_scalar_attrs>().value, (long long)n);
    return;
  }
  const char* name = kind == BP_OP_ADD ? "bp_add_f32" : kind == BP_OP_SUB ? "bp_sub_f32" : "bp_mul_f32";
  k.launch(name, call.stream, n, 256, typed<const float>(call.in(0)), typed<const float>(call.in(1)), typed<float>(y),
           (long long)n);
}

}  // namespace bp::cudnn
