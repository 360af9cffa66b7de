#include "elementwise.hpp"

#include <cstring>

#include "common.hpp"

namespace bp::openblas_cpu {

namespace {

constexpr int64_t kGrain = 1 << 15;

// Walks every element of `shape` and copies `elem` bytes from src to dst using
// their element strides (either may be NULL = compact). Innermost axis last.
void strided_copy(const char* src, const int64_t* src_strides, char* dst, const int64_t* dst_strides,
                  const int64_t* shape, int32_t ndim, size_t elem) {
  int64_t compact_src[BP_MAX_DIMS], compact_dst[BP_MAX_DIMS];
  int64_t stride = 1;
  for (int32_t i = ndim - 1; i >= 0; --i) {
    compact_src[i] = compact_dst[i] = stride;
    stride *= shape[i];
  }
  const int64_t* ss = src_strides ? src_strides : compact_src;
  const int64_t* ds = dst_strides ? dst_strides : compact_dst;
  if (ndim == 0) {
    std::memcpy(dst, src, elem);
    return;
  }
  int64_t index[BP_MAX_DIMS] = {};
  const int32_t last = ndim - 1;
  const int64_t inner = shape[last];
  const int64_t s_in = ss[last] * int64_t(elem), d_in = ds[last] * int64_t(elem);
  for (;;) {
    int64_t so = 0, doff = 0;
    for (int32_t i = 0; i < last; ++i) so += index[i] * ss[i], doff += index[i] * ds[i];
    const char* s = src + so * int64_t(elem);
    char* d = dst + doff * int64_t(elem);
    if (elem == 4) {
      for (int64_t j = 0; j < inner; ++j) std::memcpy(d + j * d_in, s + j * s_in, 4);
    } else {
      for (int64_t j = 0; j < inner; ++j) std::memcpy(d + j * d_in, s + j * s_in, elem);
    }
    int32_t axis = last - 1;
    while (axis >= 0 && ++index[axis] == shape[axis]) index[axis--] = 0;
    if (axis < 0) break;
  }
}

BP_MULTIVERSION void binary_range(bp_op_kind kind, const float* a, const float* b, float* c, int64_t n) {
  if (kind == BP_OP_ADD)
    for (int64_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
  else if (kind == BP_OP_SUB)
    for (int64_t i = 0; i < n; ++i) c[i] = a[i] - b[i];
  else
    for (int64_t i = 0; i < n; ++i) c[i] = a[i] * b[i];
}

BP_MULTIVERSION void scale_range(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i];
}

}  // namespace

void execute_binary(const bp_op_desc& op) {
  const float* a = f32(op.inputs[0]);
  const float* b = f32(op.inputs[1]);
  float* c = f32(op.outputs[0]);
  const bp_op_kind kind = op.kind;
  parallel_ranges(bp::sdk::numel(op.inputs[0]), kGrain,
                  [&](int64_t lo, int64_t hi) { binary_range(kind, a + lo, b + lo, c + lo, hi - lo); });
}

void execute_scale(const bp_op_desc& op) {
  const float alpha = static_cast<const bp_scalar_attrs*>(op.attrs)->value;
  const float* x = f32(op.inputs[0]);
  float* y = f32(op.outputs[0]);
  parallel_ranges(bp::sdk::numel(op.inputs[0]), kGrain,
                  [&](int64_t lo, int64_t hi) { scale_range(alpha, x + lo, y + lo, hi - lo); });
}

void execute_fill(const bp_op_desc& op) {
  const float value = static_cast<const bp_scalar_attrs*>(op.attrs)->value;
  float* y = f32(op.outputs[0]);
  parallel_ranges(bp::sdk::numel(op.outputs[0]), kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) y[i] = value;
  });
}

void execute_copy(const bp_op_desc& op) {
  const bp_tensor& x = op.inputs[0];
  const bp_tensor& y = op.outputs[0];
  const int64_t n = bp::sdk::numel(x);
  if (n == 0) return;
  const size_t elem = size_t(bp::sdk::dtype_bytes(x.dtype));
  const char* src = data_of<const char>(x);
  char* dst = data_of<char>(y);
  if (bp::sdk::is_compact(x) && bp::sdk::is_compact(y)) {
    if (src != dst) std::memmove(dst, src, elem * size_t(n));
    return;
  }
  strided_copy(src, x.strides, dst, y.strides, x.shape, x.ndim, elem);
}

}  // namespace bp::openblas_cpu
