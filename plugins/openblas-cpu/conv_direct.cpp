#include "conv_direct.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "activation.hpp"
#include "common.hpp"

// The vector-typed helpers below are always inlined into ISA-specific
// callers, so the "vector argument changes the ABI" note does not apply.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace bp::openblas_cpu {

using bp::sdk::conv_geometry;

namespace {

// GCC/Clang vector extensions: one source, compiled per ISA below.
typedef float v4f __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
template <typename V>
struct int_vector;
template <>
struct int_vector<v4f> {
  typedef int32_t type __attribute__((vector_size(16)));
};
template <>
struct int_vector<v8f> {
  typedef int32_t type __attribute__((vector_size(32)));
};
template <>
struct int_vector<v16f> {
  typedef int32_t type __attribute__((vector_size(64)));
};

#define BP_INLINE inline __attribute__((always_inline))

template <typename V>
BP_INLINE V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <typename V>
BP_INLINE void store(float* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}
template <typename V>
BP_INLINE V relu(V v) {
  typedef typename int_vector<V>::type I;
  const V zero = {};
  return (V)((I)v & (I)(v > zero));
}

// What the kernels read: the image (zero-padded when the conv pads) and, per
// filter tap j = (r, s, c), the element offset of that tap from a pixel's base.
struct direct_plan {
  int64_t hp, wp;       // extents of the image the kernels read
  bool padded;          // a zero-padded copy is needed
  int64_t rsc;          // filter volume
  int64_t rsc_blocks;   // rsc rounded up to the variant's tap block
  std::vector<int32_t> off;
};


direct_plan make_plan(const conv_geometry& g, int tap_block) {
  direct_plan pl;
  pl.padded = g.pad_top || g.pad_bottom || g.pad_left || g.pad_right;
  pl.hp = g.h + g.pad_top + g.pad_bottom;
  pl.wp = g.w + g.pad_left + g.pad_right;
  pl.rsc = g.r * g.s * g.c;
  pl.rsc_blocks = (pl.rsc + tap_block - 1) / tap_block * tap_block;
  pl.off.assign(size_t(pl.rsc_blocks), 0);  // padding taps read offset 0 (valid); results are discarded
  for (int64_t r = 0, j = 0; r < g.r; ++r)
    for (int64_t s = 0; s < g.s; ++s)
      for (int64_t c = 0; c < g.c; ++c, ++j) pl.off[size_t(j)] = int32_t((r * g.dil_h * pl.wp + s * g.dil_w) * g.c + c);
  return pl;
}

// Copies one NHWC image into a zero-bordered buffer of hp x wp x C.
void pad_image(const conv_geometry& g, const direct_plan& pl, const float* x, float* xp) {
  const int64_t C = g.c;
  std::memset(xp, 0, sizeof(float) * size_t(pl.hp * pl.wp * C));
  for (int64_t h = 0; h < g.h; ++h)
    std::memcpy(xp + ((h + g.pad_top) * pl.wp + g.pad_left) * C, x + h * g.w * C, sizeof(float) * size_t(g.w * C));
}

const float* image_for_kernel(const conv_geometry& g, const direct_plan& pl, const float* x_img) {
  if (!pl.padded) return x_img;
  float* xp = thread_scratch(size_t(pl.hp * pl.wp * g.c), 2);
  pad_image(g, pl, x_img, xp);
  return xp;
}

// ---- forward -------------------------------------------------------------------

struct fwd_args {
  const float* xp;      // image the kernel reads
  const int32_t* off;   // rsc tap offsets
  int64_t rsc;
  const float* wt;      // weights as (rsc, K)
  const float* bias;    // K or NULL
  bool relu;
  int64_t k, k0;        // channel count, first channel of this tile
  int64_t row_base;     // element offset of output row p's first pixel in xp
  int64_t pix_stride;   // elements between consecutive output pixels (stride_w * C)
  int64_t q_count;
  float* y_row;         // output row (q_count x K)
};

// PB output pixels x NV vectors of channels, accumulated in registers.
template <typename V, int NV, int PB>
BP_INLINE void fwd_block(const fwd_args& a, int64_t q) {
  constexpr int L = sizeof(V) / sizeof(float);
  V acc[PB][NV];
  for (int v = 0; v < NV; ++v) {
    const V b = a.bias ? load<V>(a.bias + a.k0 + v * L) : V{};
    for (int i = 0; i < PB; ++i) acc[i][v] = b;
  }
  const float* px = a.xp + a.row_base + q * a.pix_stride;
  for (int64_t j = 0; j < a.rsc; ++j) {
    const float* wj = a.wt + j * a.k + a.k0;
    V wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = load<V>(wj + v * L);
    const int32_t o = a.off[j];
    for (int i = 0; i < PB; ++i) {
      const V xv = V{} + px[i * a.pix_stride + o];
      for (int v = 0; v < NV; ++v) acc[i][v] += xv * wv[v];
    }
  }
  for (int i = 0; i < PB; ++i)
    for (int v = 0; v < NV; ++v) store<V>(a.y_row + (q + i) * a.k + a.k0 + v * L, a.relu ? relu(acc[i][v]) : acc[i][v]);
}

// One output row: blocks of PB pixels, then halving blocks for the remainder.
template <typename V, int NV, int PB>
BP_INLINE void fwd_row(const fwd_args& a) {
  int64_t q = 0;
  for (; q + PB <= a.q_count; q += PB) fwd_block<V, NV, PB>(a, q);
  if constexpr (PB >= 8) {
    if (q + 4 <= a.q_count) fwd_block<V, NV, 4>(a, q), q += 4;
  }
  if constexpr (PB >= 4) {
    if (q + 2 <= a.q_count) fwd_block<V, NV, 2>(a, q), q += 2;
  }
  for (; q < a.q_count; ++q) fwd_block<V, NV, 1>(a, q);
}

// ---- filter gradient --------------------------------------------------------------

struct bwd_args {
  const float* xp;
  const int32_t* off;   // the offsets of this block of taps
  int64_t p_count, q_count, row_step, pix_stride;  // row_step = stride_h * wp * C
  const float* dy;      // one image's dy, (P*Q, K)
  int64_t k, k0;
  float* dwt;           // TB rows of the (rsc_blocks, K) partial, accumulated into
};

// TB taps x NV vectors of channels, accumulated in registers over all pixels.
template <typename V, int NV, int TB>
BP_INLINE void bwd_block(const bwd_args& a) {
  constexpr int L = sizeof(V) / sizeof(float);
  V acc[TB][NV] = {};
  for (int64_t p = 0; p < a.p_count; ++p) {
    const float* row = a.xp + p * a.row_step;
    const float* g_row = a.dy + p * a.q_count * a.k + a.k0;
    for (int64_t q = 0; q < a.q_count; ++q) {
      const float* px = row + q * a.pix_stride;
      V gv[NV];
      for (int v = 0; v < NV; ++v) gv[v] = load<V>(g_row + q * a.k + v * L);
      for (int t = 0; t < TB; ++t) {
        const V xv = V{} + px[a.off[t]];
        for (int v = 0; v < NV; ++v) acc[t][v] += xv * gv[v];
      }
    }
  }
  for (int t = 0; t < TB; ++t)
    for (int v = 0; v < NV; ++v) {
      float* d = a.dwt + t * a.k + a.k0 + v * L;
      store<V>(d, load<V>(d) + acc[t][v]);
    }
}

// ---- ISA variants ------------------------------------------------------------------

using fwd_fn = void (*)(const fwd_args&);
using bwd_fn = void (*)(const bwd_args&);

struct kernel_set {
  fwd_fn fwd;
  bwd_fn bwd;
  int64_t tile;   // output channels per register tile
  int tap_block;  // taps per filter-gradient block
};

// Register budgets: AVX-512 has 32 vector registers, so 8 pixels x 2 zmm
// (forward) and 9 taps x 2 zmm (filter gradient; 27 = 3 x 9 for 3x3x3)
// accumulate in registers; AVX2 and SSE have 16, so 4 x 2 and 4 x 2.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f,avx2,fma"))) void fwd_avx512(const fwd_args& a) { fwd_row<v16f, 2, 8>(a); }
__attribute__((target("avx512f,avx2,fma"))) void bwd_avx512(const bwd_args& a) { bwd_block<v16f, 2, 9>(a); }
__attribute__((target("avx2,fma"))) void fwd_avx2(const fwd_args& a) { fwd_row<v8f, 2, 4>(a); }
__attribute__((target("avx2,fma"))) void bwd_avx2(const bwd_args& a) { bwd_block<v8f, 2, 4>(a); }
#endif
void fwd_base(const fwd_args& a) { fwd_row<v4f, 4, 2>(a); }
void bwd_base(const bwd_args& a) { bwd_block<v4f, 4, 2>(a); }

// Widest variant whose channel tile divides K.
kernel_set pick_kernels(int64_t k) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx512 && k % 32 == 0) return {fwd_avx512, bwd_avx512, 32, 9};
  if (avx2) return {fwd_avx2, bwd_avx2, 16, 4};
#endif
  (void)k;
  return {fwd_base, bwd_base, 16, 2};
}

// Weights (K, rsc) -> (rsc, K) so a tap's channel tile is contiguous.
void transpose_weights(const float* w, int64_t k, int64_t rsc, float* wt) {
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < rsc; ++j) wt[j * k + kk] = w[kk * rsc + j];
}

// Small batches are split into blocks of output rows as well, so every
// thread gets work (batch 1 inference, the last partial batch).
struct row_split {
  int64_t blocks, rows;
};
row_split split_rows(const conv_geometry& g, int threads) {
  if (g.n >= 2 * threads || g.p <= 1) return {1, g.p};
  const int64_t want = std::min<int64_t>(g.p, (2 * threads + g.n - 1) / g.n);
  const int64_t rows = (g.p + want - 1) / want;
  return {(g.p + rows - 1) / rows, rows};
}

}  // namespace

bool direct_conv_applies(const conv_geometry& g) {
  // The weight tile (rsc x 32 floats) should stay in L1/L2; beyond that the
  // packed OpenBLAS GEMM is the better kernel.
  const int64_t rsc = g.r * g.s * g.c;
  return !g.nchw && g.k % 16 == 0 && g.k > 0 && rsc > 0 && rsc <= 512 && g.p > 0 && g.q > 0 &&
         (g.h + g.pad_top + g.pad_bottom) * (g.w + g.pad_left + g.pad_right) * g.c < (int64_t(1) << 31);
}

void direct_conv_fwd(const conv_geometry& g, const float* x, const float* w, const float* bias, bp_activation act,
                     float* y) {
  const kernel_set ks = pick_kernels(g.k);
  const direct_plan pl = make_plan(g, 1);
  float* wt = thread_scratch(size_t(pl.rsc * g.k), 3);
  transpose_weights(w, g.k, pl.rsc, wt);
  const int64_t HWC = g.h * g.w * g.c, PQK = g.p * g.q * g.k;
  const bool fused_relu = act == BP_ACTIVATION_RELU;
  const row_split split = split_rows(g, pool().size());
  pool().run(g.n * split.blocks, [&](int64_t item, int) {
    const int64_t n = item / split.blocks;
    const int64_t p0 = (item % split.blocks) * split.rows, p1 = std::min(g.p, p0 + split.rows);
    fwd_args a{};
    a.xp = image_for_kernel(g, pl, x + n * HWC);
    a.off = pl.off.data();
    a.rsc = pl.rsc;
    a.wt = wt;
    a.bias = bias;
    a.relu = fused_relu;
    a.k = g.k;
    a.pix_stride = g.stride_w * g.c;
    a.q_count = g.q;
    float* y_img = y + n * PQK;
    for (int64_t p = p0; p < p1; ++p) {
      a.row_base = p * g.stride_h * pl.wp * g.c;
      a.y_row = y_img + p * g.q * g.k;
      for (int64_t k0 = 0; k0 < g.k; k0 += ks.tile) {
        a.k0 = k0;
        ks.fwd(a);
      }
    }
    if (act != BP_ACTIVATION_NONE && !fused_relu) {
      float* y_blk = y_img + p0 * g.q * g.k;
      activation_forward(act, y_blk, y_blk, (p1 - p0) * g.q * g.k);
    }
  });
}

void direct_conv_bwd_filter(const conv_geometry& g, const float* x, const float* dy, float* dw) {
  const kernel_set ks = pick_kernels(g.k);
  const direct_plan pl = make_plan(g, ks.tap_block);
  const int64_t HWC = g.h * g.w * g.c, PQK = g.p * g.q * g.k;
  const int64_t part_size = pl.rsc_blocks * g.k;
  thread_pool& tp = pool();
  const int participants = tp.size();
  // Each participant sums its images into a private (rsc_blocks, K) partial.
  float* partials = thread_scratch(size_t(participants) * size_t(part_size), 1);
  std::memset(partials, 0, sizeof(float) * size_t(participants) * size_t(part_size));
  std::vector<char> used(size_t(participants), 0);
  const row_split split = split_rows(g, participants);
  tp.run(g.n * split.blocks, [&](int64_t item, int who) {
    const int64_t n = item / split.blocks;
    const int64_t p0 = (item % split.blocks) * split.rows, p1 = std::min(g.p, p0 + split.rows);
    used[size_t(who)] = 1;
    bwd_args a{};
    a.row_step = g.stride_h * pl.wp * g.c;
    a.xp = image_for_kernel(g, pl, x + n * HWC) + p0 * a.row_step;
    a.p_count = p1 - p0;
    a.q_count = g.q;
    a.pix_stride = g.stride_w * g.c;
    a.dy = dy + n * PQK + p0 * g.q * g.k;
    a.k = g.k;
    float* part = partials + size_t(who) * size_t(part_size);
    for (int64_t j0 = 0; j0 < pl.rsc_blocks; j0 += ks.tap_block) {
      a.off = pl.off.data() + j0;
      a.dwt = part + j0 * g.k;
      for (int64_t k0 = 0; k0 < g.k; k0 += ks.tile) {
        a.k0 = k0;
        ks.bwd(a);
      }
    }
  });
  // dw is OHWI (K, rsc): transpose while summing the partials.
  for (int64_t kk = 0; kk < g.k; ++kk)
    for (int64_t j = 0; j < pl.rsc; ++j) {
      float s = 0.0f;
      for (int t = 0; t < participants; ++t)
        if (used[size_t(t)]) s += partials[size_t(t) * size_t(part_size) + size_t(j * g.k + kk)];
      dw[kk * pl.rsc + j] = s;
    }
}

}  // namespace bp::openblas_cpu
