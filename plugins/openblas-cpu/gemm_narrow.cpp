#include "gemm_narrow.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BP_NARROW_GEMM 1
#else
#define BP_NARROW_GEMM 0
#endif

#include <stdexcept>

namespace bp::openblas_cpu {

#if BP_NARROW_GEMM

namespace {

#define BP_AVX512 __attribute__((target("avx512f"), always_inline)) inline

// Lanes [0, count) of a 16-lane vector.
BP_AVX512 __mmask16 lanes(int64_t count) { return __mmask16(count >= 16 ? 0xFFFFu : (1u << count) - 1u); }

// out = alpha * acc + beta * out on the masked lanes (beta == 0: out is not read).
BP_AVX512 void store_scaled(float* out, __mmask16 mask, __m512 acc, float alpha, float beta) {
  __m512 v = _mm512_mul_ps(_mm512_set1_ps(alpha), acc);
  if (beta != 0.0f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, out), v);
  _mm512_mask_storeu_ps(out, mask, v);
}

// R rows of C: one 16-lane accumulator per row, B's row kk (masked to n lanes;
// masked-off lanes never fault) times A's broadcast element. R independent
// FMA chains hide the FMA latency.
// op(A)'s element (i, kk) is a[i * row_step + kk * k_step]: (lda, 1) without
// a transpose, (1, lda) with one.
template <int R>
BP_AVX512 void nn_rows(int64_t i, __mmask16 mask, int64_t k, float alpha, const float* a, int64_t row_step,
                       int64_t k_step, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const float* a0 = a + i * row_step;
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m512 bv = _mm512_maskz_loadu_ps(mask, b + kk * ldb);
    const float* ak = a0 + kk * k_step;
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(ak[r * row_step]), bv, acc[r]);
  }
  for (int r = 0; r < R; ++r) store_scaled(c + (i + r) * ldc, mask, acc[r], alpha, beta);
}

// R rows x 16 columns [j, j + count) of C = A * B^T: B's 16 rows of the
// block are gathered column by column once (bt[t] = B[j..j+15][t]) and
// reused by every row of C.
template <int R>
BP_AVX512 void nt_rows(int64_t i, const __m512* bt, int64_t k, __mmask16 mask, float alpha, const float* a,
                       int64_t lda, float beta, float* c, int64_t ldc) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t t = 0; t < k; ++t)
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[(i + r) * lda + t]), bt[t], acc[r]);
  for (int r = 0; r < R; ++r) store_scaled(c + (i + r) * ldc, mask, acc[r], alpha, beta);
}

}  // namespace

bool narrow_gemm_available() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

__attribute__((target("avx512f"))) void gemm_xn_narrow_n(bool trans_a, int64_t row_begin, int64_t row_end, int64_t n,
                                                         int64_t k, float alpha, const float* a, int64_t lda,
                                                         const float* b, int64_t ldb, float beta, float* c,
                                                         int64_t ldc) {
  const __mmask16 mask = lanes(n);
  const int64_t row_step = trans_a ? 1 : lda, k_step = trans_a ? lda : 1;
  int64_t i = row_begin;
  for (; i + 8 <= row_end; i += 8) nn_rows<8>(i, mask, k, alpha, a, row_step, k_step, b, ldb, beta, c, ldc);
  for (; i + 4 <= row_end; i += 4) nn_rows<4>(i, mask, k, alpha, a, row_step, k_step, b, ldb, beta, c, ldc);
  for (; i < row_end; ++i) nn_rows<1>(i, mask, k, alpha, a, row_step, k_step, b, ldb, beta, c, ldc);
}

__attribute__((target("avx512f"))) void gemm_nt_narrow_k(int64_t col_begin, int64_t col_end, int64_t m, int64_t k,
                                                         float alpha, const float* a, int64_t lda, const float* b,
                                                         int64_t ldb, float beta, float* c, int64_t ldc) {
  // Element offsets of B's rows j..j+15 from row j (int32: the caller
  // checks that 15 * ldb fits).
  const __m512i row_offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                 _mm512_set1_epi32(int32_t(ldb)));
  __m512 bt[16];
  for (int64_t j = col_begin; j < col_end; j += 16) {
    const int64_t count = col_end - j < 16 ? col_end - j : 16;
    const __mmask16 mask = lanes(count);
    const float* bj = b + j * ldb;
    for (int64_t t = 0; t < k; ++t)
      bt[t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, row_offsets, bj + t, 4);
    int64_t i = 0;
    for (; i + 8 <= m; i += 8) nt_rows<8>(i, bt, k, mask, alpha, a, lda, beta, c + j, ldc);
    for (; i + 4 <= m; i += 4) nt_rows<4>(i, bt, k, mask, alpha, a, lda, beta, c + j, ldc);
    for (; i < m; ++i) nt_rows<1>(i, bt, k, mask, alpha, a, lda, beta, c + j, ldc);
  }
}

#else

bool narrow_gemm_available() { return false; }
void gemm_xn_narrow_n(bool, int64_t, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                      float, float*, int64_t) {
  throw std::logic_error("gemm_xn_narrow_n: not built for this CPU");
}
void gemm_nt_narrow_k(int64_t, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                      float*, int64_t) {
  throw std::logic_error("gemm_nt_narrow_k: not built for this CPU");
}

#endif

}  // namespace bp::openblas_cpu
