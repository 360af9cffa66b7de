#include "bias.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common.hpp"

namespace bp::openblas_cpu {

namespace {

// The tensor as (outer, channels, inner): NHWC has inner 1, NCHW outer N.
struct channel_view {
  int64_t outer, channels, inner;
};

channel_view view_of(const bp_tensor& t, bp_layout layout) {
  const int32_t axis = bp::sdk::channel_axis(layout, t.ndim);
  channel_view v{1, t.shape[axis], 1};
  for (int32_t i = 0; i < axis; ++i) v.outer *= t.shape[i];
  for (int32_t i = axis + 1; i < t.ndim; ++i) v.inner *= t.shape[i];
  return v;
}

constexpr int64_t kGrain = 1 << 15;

// Rows [lo, hi) of (outer, channels, inner): y = x + b over the channel axis.
BP_MULTIVERSION void bias_add_rows(const channel_view& v, const float* x, const float* b, float* y, int64_t lo,
                                   int64_t hi) {
  const int64_t row = v.channels * v.inner;
  for (int64_t o = lo; o < hi; ++o) {
    const float* xr = x + o * row;
    float* yr = y + o * row;
    if (v.inner == 1) {
      for (int64_t c = 0; c < v.channels; ++c) yr[c] = xr[c] + b[c];
    } else {
      for (int64_t c = 0; c < v.channels; ++c)
        for (int64_t i = 0; i < v.inner; ++i) yr[c * v.inner + i] = xr[c * v.inner + i] + b[c];
    }
  }
}

// acc[c] += sum of rows [lo, hi) over everything but the channel axis.
// NHWC sums 16-channel blocks with four independent row accumulators held
// in registers: a single accumulator in memory makes this a chain of
// store-to-load dependencies instead of a bandwidth-bound pass.
BP_MULTIVERSION void bias_grad_rows(const channel_view& v, const float* dy, float* acc, int64_t lo, int64_t hi) {
  const int64_t C = v.channels, row = C * v.inner;
  if (v.inner != 1) {
    for (int64_t o = lo; o < hi; ++o) {
      const float* r = dy + o * row;
      for (int64_t c = 0; c < C; ++c) {
        float s = 0.0f;
        for (int64_t i = 0; i < v.inner; ++i) s += r[c * v.inner + i];
        acc[c] += s;
      }
    }
    return;
  }
  constexpr int B = 16;
  int64_t c0 = 0;
  for (; c0 + B <= C; c0 += B) {
    float a0[B] = {}, a1[B] = {}, a2[B] = {}, a3[B] = {};
    int64_t o = lo;
    for (; o + 4 <= hi; o += 4) {
      const float* r = dy + o * C + c0;
      for (int i = 0; i < B; ++i) {
        a0[i] += r[i];
        a1[i] += r[C + i];
        a2[i] += r[2 * C + i];
        a3[i] += r[3 * C + i];
      }
    }
    for (; o < hi; ++o)
      for (int i = 0; i < B; ++i) a0[i] += dy[o * C + c0 + i];
    for (int i = 0; i < B; ++i) acc[c0 + i] += (a0[i] + a1[i]) + (a2[i] + a3[i]);
  }
  for (; c0 < C; ++c0) {  // channels beyond the last full block
    float s = 0.0f;
    for (int64_t o = lo; o < hi; ++o) s += dy[o * C + c0];
    acc[c0] += s;
  }
}

}  // namespace

void execute_bias_add(const bp_op_desc& op) {
  const bp_layout layout = static_cast<const bp_layout_attrs*>(op.attrs)->layout;
  const channel_view v = view_of(op.inputs[0], layout);
  const float* x = f32(op.inputs[0]);
  const float* b = f32(op.inputs[1]);
  float* y = f32(op.outputs[0]);
  const int64_t row = v.channels * v.inner;
  if (row == 0) return;
  parallel_ranges(v.outer, std::max<int64_t>(1, kGrain / row),
                  [&](int64_t lo, int64_t hi) { bias_add_rows(v, x, b, y, lo, hi); });
}

void execute_bias_grad(const bp_op_desc& op) {
  const bp_layout layout = static_cast<const bp_layout_attrs*>(op.attrs)->layout;
  const channel_view v = view_of(op.inputs[0], layout);
  const float* dy = f32(op.inputs[0]);
  float* db = f32(op.outputs[0]);
  const int64_t C = v.channels, row = C * v.inner;
  if (C == 0) return;
  if (row == 0 || v.outer == 0) {
    std::memset(db, 0, sizeof(float) * size_t(C));
    return;
  }
  // Float sums over chunks of rows, then the chunk sums added in double in
  // chunk order (deterministic and accurate for large batches).
  const int threads = pool().size();
  const int64_t chunks = chunk_count(v.outer, std::max<int64_t>(1, kGrain / row), threads);
  std::vector<float> partial(size_t(chunks * C), 0.0f);
  pool().run(chunks, [&](int64_t chunk, int) {
    bias_grad_rows(v, dy, partial.data() + chunk * C, chunk_begin(v.outer, chunks, chunk),
                   chunk_begin(v.outer, chunks, chunk + 1));
  });
  for (int64_t c = 0; c < C; ++c) {
    double s = 0.0;
    for (int64_t k = 0; k < chunks; ++k) s += partial[size_t(k * C + c)];
    db[c] = float(s);
  }
}

}  // namespace bp::openblas_cpu
