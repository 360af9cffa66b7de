#include "pool.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backplane/sdk/plugin.hpp"
#include "common.hpp"

namespace bp::openblas_cpu {

namespace {

// The kernels see every tensor as NHWC; an NCHW tensor is the NHWC batch of
// its N*C single-channel planes, which is exactly the same computation.
struct pool_shape {
  int64_t images, h, w, c, p, q;
  int64_t win_h, win_w, stride_h, stride_w, pad_top, pad_left;
};

pool_shape shape_of(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_pool2d_attrs*>(op.attrs);
  const bp::sdk::pool_geometry g = bp::sdk::make_pool_geometry(a, op.inputs[0].shape);
  pool_shape s{g.n, g.h, g.w, g.c, g.p, g.q, g.win_h, g.win_w, g.stride_h, g.stride_w, g.pad_top, g.pad_left};
  if (g.nchw) s.images = g.n * g.c, s.c = 1;
  return s;
}

struct window {
  int64_t h0, h1, w0, w1;  // clipped to the image, half-open
};

inline __attribute__((always_inline)) window window_at(const pool_shape& s, int64_t p, int64_t q) {
  const int64_t hs = p * s.stride_h - s.pad_top, ws = q * s.stride_w - s.pad_left;
  return {std::max<int64_t>(hs, 0), std::min(hs + s.win_h, s.h), std::max<int64_t>(ws, 0), std::min(ws + s.win_w, s.w)};
}

BP_MULTIVERSION void max_fwd_image(const pool_shape& s, const float* x, float* y) {
  const int64_t C = s.c;
  for (int64_t p = 0; p < s.p; ++p)
    for (int64_t q = 0; q < s.q; ++q) {
      const window win = window_at(s, p, q);
      float* out = y + (p * s.q + q) * C;
      // The validator guarantees every window holds at least one element.
      std::memcpy(out, x + (win.h0 * s.w + win.w0) * C, sizeof(float) * size_t(C));
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          const float* v = x + (h * s.w + w) * C;
          for (int64_t c = 0; c < C; ++c) out[c] = v[c] > out[c] ? v[c] : out[c];
        }
    }
}

// 2x2 windows at stride 2 without padding (the CNN's pool): one pass over
// the two input rows of each output row, same select order as max_fwd_image
// (first maximum wins, a NaN in the first position sticks).
BP_MULTIVERSION void max_fwd_image_2x2(const pool_shape& s, const float* x, float* y) {
  const int64_t C = s.c, row = s.w * C;
  for (int64_t p = 0; p < s.p; ++p) {
    const float* top = x + 2 * p * row;
    const float* bottom = top + row;
    float* out = y + p * s.q * C;
    for (int64_t q = 0; q < s.q; ++q, top += 2 * C, bottom += 2 * C, out += C)
      // y never overlaps x (the validator rejects aliasing in/out tensors).
#pragma GCC ivdep
      for (int64_t c = 0; c < C; ++c) {
        float m = top[c];
        m = top[C + c] > m ? top[C + c] : m;
        m = bottom[c] > m ? bottom[c] : m;
        m = bottom[C + c] > m ? bottom[C + c] : m;
        out[c] = m;
      }
  }
}

void avg_fwd_image(const pool_shape& s, const float* x, float* y) {
  const int64_t C = s.c;
  for (int64_t p = 0; p < s.p; ++p)
    for (int64_t q = 0; q < s.q; ++q) {
      const window win = window_at(s, p, q);
      float* out = y + (p * s.q + q) * C;
      std::memset(out, 0, sizeof(float) * size_t(C));
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          const float* v = x + (h * s.w + w) * C;
          for (int64_t c = 0; c < C; ++c) out[c] += v[c];
        }
      const float inv = 1.0f / float((win.h1 - win.h0) * (win.w1 - win.w0));
      for (int64_t c = 0; c < C; ++c) out[c] *= inv;
    }
}

// Per-channel argmax of one window into best/arg (first maximum wins).
// Written as selects over the channel row so it vectorises.
// Inlined into each ISA clone of its callers.
inline __attribute__((always_inline)) void window_argmax(const pool_shape& s, const float* x, const window& win, float* best, int32_t* arg) {
  const int64_t C = s.c;
  const int32_t first = int32_t(win.h0 * s.w + win.w0);
  const float* x0 = x + int64_t(first) * C;
  for (int64_t c = 0; c < C; ++c) best[c] = x0[c], arg[c] = first;
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const int32_t pos = int32_t(h * s.w + w);
      const float* v = x + int64_t(pos) * C;
      for (int64_t c = 0; c < C; ++c) {
        const bool greater = v[c] > best[c];
        best[c] = greater ? v[c] : best[c];
        arg[c] = greater ? pos : arg[c];
      }
    }
}

// dx must be zeroed by the caller (windows may overlap).
void max_bwd_image(const pool_shape& s, const float* x, const float* dy, float* dx, float* best, int32_t* arg) {
  const int64_t C = s.c;
  for (int64_t p = 0; p < s.p; ++p)
    for (int64_t q = 0; q < s.q; ++q) {
      window_argmax(s, x, window_at(s, p, q), best, arg);
      const float* g = dy + (p * s.q + q) * C;
      for (int64_t c = 0; c < C; ++c) dx[int64_t(arg[c]) * C + c] += g[c];
    }
}

// The windows are disjoint and start at the image origin (stride == window,
// no padding, windows inside the image): every dx element belongs to at most
// one window, so each is written once (gradient or zero) and dx needs no
// separate zeroing pass; only the remainder rows/columns that VALID pooling
// leaves outside every window are zeroed (zero_remainder).
bool windows_disjoint(const pool_shape& s) {
  return s.stride_h == s.win_h && s.stride_w == s.win_w && s.pad_top == 0 && s.pad_left == 0 &&
         s.p * s.win_h <= s.h && s.q * s.win_w <= s.w;
}

bool windows_2x2(const pool_shape& s) { return windows_disjoint(s) && s.win_h == 2 && s.win_w == 2; }

// Zeroes the dx elements outside every window of a windows_disjoint shape:
// the columns right of the last window and the rows below it.
void zero_remainder(const pool_shape& s, float* dx) {
  const int64_t C = s.c, covered_h = s.p * s.win_h, covered_w = s.q * s.win_w;
  if (covered_w < s.w)
    for (int64_t h = 0; h < covered_h; ++h)
      std::memset(dx + (h * s.w + covered_w) * C, 0, sizeof(float) * size_t((s.w - covered_w) * C));
  if (covered_h < s.h) std::memset(dx + covered_h * s.w * C, 0, sizeof(float) * size_t((s.h - covered_h) * s.w * C));
}

// Max backward for 2x2/stride-2 windows: the argmax of each window is kept
// in registers (same comparison order as window_argmax: first maximum wins)
// and all four dx elements are written in the same pass over x.
BP_MULTIVERSION void max_bwd_image_2x2(const pool_shape& s, const float* x, const float* dy, float* dx) {
  const int64_t C = s.c, row = s.w * C;
  for (int64_t p = 0; p < s.p; ++p) {
    const float* top = x + 2 * p * row;
    const float* bottom = top + row;
    float* d_top = dx + 2 * p * row;
    float* d_bottom = d_top + row;
    const float* g = dy + p * s.q * C;
    for (int64_t q = 0; q < s.q; ++q, top += 2 * C, bottom += 2 * C, d_top += 2 * C, d_bottom += 2 * C, g += C)
      // dx never overlaps x or dy (the validator rejects aliasing in/out tensors).
#pragma GCC ivdep
      for (int64_t c = 0; c < C; ++c) {
        float best = top[c];
        int32_t arg = 0;
        const bool m1 = top[C + c] > best;
        best = m1 ? top[C + c] : best;
        arg = m1 ? 1 : arg;
        const bool m2 = bottom[c] > best;
        best = m2 ? bottom[c] : best;
        arg = m2 ? 2 : arg;
        arg = bottom[C + c] > best ? 3 : arg;
        const float v = g[c];
        d_top[c] = arg == 0 ? v : 0.0f;
        d_top[C + c] = arg == 1 ? v : 0.0f;
        d_bottom[c] = arg == 2 ? v : 0.0f;
        d_bottom[C + c] = arg == 3 ? v : 0.0f;
      }
  }
  zero_remainder(s, dx);
}

BP_MULTIVERSION void max_bwd_image_tiled(const pool_shape& s, const float* x, const float* dy, float* dx, float* best,
                                         int32_t* arg) {
  const int64_t C = s.c;
  for (int64_t p = 0; p < s.p; ++p)
    for (int64_t q = 0; q < s.q; ++q) {
      const window win = window_at(s, p, q);
      window_argmax(s, x, win, best, arg);
      const float* g = dy + (p * s.q + q) * C;
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          const int32_t pos = int32_t(h * s.w + w);
          float* d = dx + int64_t(pos) * C;
          for (int64_t c = 0; c < C; ++c) d[c] = arg[c] == pos ? g[c] : 0.0f;
        }
    }
  zero_remainder(s, dx);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BP_POOL_AVX512 1
// max_bwd_image_2x2 for C a multiple of 16 with explicit AVX-512 masks: the
// compiler turns the selects of the portable loop into branches on the mask
// (skipping all-zero masked stores), which mispredict on real data. Same
// comparisons in the same order (ordered >, first maximum wins).
__attribute__((target("avx512f"))) void max_bwd_image_2x2_avx512(const pool_shape& s, const float* x, const float* dy,
                                                                 float* dx) {
  const int64_t C = s.c, row = s.w * C;
  for (int64_t p = 0; p < s.p; ++p) {
    const float* top = x + 2 * p * row;
    const float* bottom = top + row;
    float* d_top = dx + 2 * p * row;
    float* d_bottom = d_top + row;
    const float* g = dy + p * s.q * C;
    for (int64_t q = 0; q < s.q; ++q, top += 2 * C, bottom += 2 * C, d_top += 2 * C, d_bottom += 2 * C, g += C)
      for (int64_t c = 0; c < C; c += 16) {
        const __m512 v0 = _mm512_loadu_ps(top + c), v1 = _mm512_loadu_ps(top + C + c);
        const __m512 v2 = _mm512_loadu_ps(bottom + c), v3 = _mm512_loadu_ps(bottom + C + c);
        const __m512 grad = _mm512_loadu_ps(g + c);
        const __mmask16 m1 = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ);
        __m512 best = _mm512_mask_blend_ps(m1, v0, v1);
        const __mmask16 m2 = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ);
        best = _mm512_mask_blend_ps(m2, best, v2);
        const __mmask16 m3 = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ);
        // The argmax is the last position whose comparison succeeded.
        const __mmask16 at3 = m3, at2 = __mmask16(m2 & ~m3), at1 = __mmask16(m1 & ~m2 & ~m3);
        const __mmask16 at0 = __mmask16(~(m1 | m2 | m3));
        _mm512_storeu_ps(d_top + c, _mm512_maskz_mov_ps(at0, grad));
        _mm512_storeu_ps(d_top + C + c, _mm512_maskz_mov_ps(at1, grad));
        _mm512_storeu_ps(d_bottom + c, _mm512_maskz_mov_ps(at2, grad));
        _mm512_storeu_ps(d_bottom + C + c, _mm512_maskz_mov_ps(at3, grad));
      }
  }
  zero_remainder(s, dx);
}
#else
#define BP_POOL_AVX512 0
#endif

// The 2x2 backward kernel for this shape on this CPU.
using max_bwd_2x2_fn = void (*)(const pool_shape&, const float*, const float*, float*);
max_bwd_2x2_fn pick_max_bwd_2x2(const pool_shape& s) {
#if BP_POOL_AVX512
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512 && s.c % 16 == 0) return max_bwd_image_2x2_avx512;
#endif
  (void)s;
  return max_bwd_image_2x2;
}

void avg_bwd_image(const pool_shape& s, const float* dy, float* dx) {
  const int64_t C = s.c;
  for (int64_t p = 0; p < s.p; ++p)
    for (int64_t q = 0; q < s.q; ++q) {
      const window win = window_at(s, p, q);
      const float inv = 1.0f / float((win.h1 - win.h0) * (win.w1 - win.w0));
      const float* g = dy + (p * s.q + q) * C;
      for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
          float* d = dx + (h * s.w + w) * C;
          for (int64_t c = 0; c < C; ++c) d[c] += g[c] * inv;
        }
    }
}

// Images per work item so one item is at least ~16k input elements.
int64_t images_per_item(const pool_shape& s) {
  const int64_t per_image = std::max<int64_t>(1, s.h * s.w * s.c);
  return std::max<int64_t>(1, (int64_t(1) << 14) / per_image);
}

}  // namespace

void execute_pool_fwd(const bp_op_desc& op) {
  const bool is_max = static_cast<const bp_pool2d_attrs*>(op.attrs)->mode == BP_POOL_MAX;
  const pool_shape s = shape_of(op);
  const float* x = f32(op.inputs[0]);
  float* y = f32(op.outputs[0]);
  const int64_t in_img = s.h * s.w * s.c, out_img = s.p * s.q * s.c;
  if (out_img == 0) return;
  const bool max_2x2 = is_max && windows_2x2(s);
  const int64_t per = images_per_item(s), items = (s.images + per - 1) / per;
  const int parts = pool().size();
  pool().run(items, [&](int64_t claimed, int) {
    // Backwards through each thread's share (see mirrored_in_share): the
    // convolution that produced x just wrote it in ascending order, so its
    // end is what is still in this core's L2. (The backward pass then reads
    // x ascending, starting where this pass ended.)
    const int64_t item = mirrored_in_share(claimed, items, parts);
    const int64_t end = std::min(s.images, (item + 1) * per);
    for (int64_t n = item * per; n < end; ++n) {
      if (max_2x2)
        max_fwd_image_2x2(s, x + n * in_img, y + n * out_img);
      else if (is_max)
        max_fwd_image(s, x + n * in_img, y + n * out_img);
      else
        avg_fwd_image(s, x + n * in_img, y + n * out_img);
    }
  });
}

void execute_pool_bwd(const bp_op_desc& op) {
  const bool is_max = static_cast<const bp_pool2d_attrs*>(op.attrs)->mode == BP_POOL_MAX;
  const pool_shape s = shape_of(op);
  const float* x = f32(op.inputs[0]);
  const float* dy = f32(op.inputs[2]);
  float* dx = f32(op.outputs[0]);
  const int64_t in_img = s.h * s.w * s.c, out_img = s.p * s.q * s.c;
  if (in_img == 0) return;
  // Window positions are int32 in the argmax rows.
  if (s.h * s.w > INT32_MAX)
    bp::sdk::fail(BP_ERR_UNSUPPORTED, "POOL2D_BWD: images of more than 2^31 pixels are not supported");
  const bool tiled = windows_disjoint(s) && out_img > 0;
  const bool max_2x2 = is_max && tiled && windows_2x2(s);
  const max_bwd_2x2_fn bwd_2x2 = pick_max_bwd_2x2(s);
  const int64_t per = images_per_item(s), items = (s.images + per - 1) / per;
  pool().run(items, [&](int64_t item, int) {
    const int64_t end = std::min(s.images, (item + 1) * per);
    float* best = nullptr;
    int32_t* arg = nullptr;
    if (is_max && !max_2x2) {
      // One scratch allocation holds both rows (int32 indices after the floats).
      float* buf = thread_scratch(size_t(s.c) * 2);
      best = buf;
      arg = reinterpret_cast<int32_t*>(buf + s.c);
    }
    for (int64_t n = item * per; n < end; ++n) {
      float* dx_img = dx + n * in_img;
      if (max_2x2) {
        bwd_2x2(s, x + n * in_img, dy + n * out_img, dx_img);
        continue;
      }
      if (is_max && tiled) {
        max_bwd_image_tiled(s, x + n * in_img, dy + n * out_img, dx_img, best, arg);
        continue;
      }
      std::memset(dx_img, 0, sizeof(float) * size_t(in_img));
      if (out_img == 0) continue;
      if (is_max)
        max_bwd_image(s, x + n * in_img, dy + n * out_img, dx_img, best, arg);
      else
        avg_bwd_image(s, dy + n * out_img, dx_img);
    }
  });
}

}  // namespace bp::openblas_cpu
