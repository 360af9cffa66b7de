#include "gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "common.hpp"
#include "gemm_narrow.hpp"

namespace bp::openblas_cpu {

bool fits_blas_int(int64_t value) { return value >= 0 && value <= INT_MAX; }

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    // op(A)*op(B) contributes nothing: C = beta * C, with beta == 0 writing zeros.
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      if (beta == 0.0f)
        std::memset(row, 0, sizeof(float) * size_t(n));
      else if (beta != 1.0f)
        for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
    return;
  }
  // cblas requires leading dimensions >= max(1, columns) even when unused.
  const int64_t a_cols = trans_a ? m : k;
  const int64_t b_cols = trans_b ? k : n;
  if (lda < a_cols) lda = a_cols;
  if (ldb < b_cols) ldb = b_cols;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

bool gemm_supported(const bp_op_desc& op, std::string* why) {
  for (uint32_t i = 0; i < 2; ++i)
    for (int d = 0; d < 2; ++d)
      if (!fits_blas_int(op.inputs[i].shape[d])) {
        if (why)
          *why = std::string("GEMM input ") + std::to_string(i) + ": extent " + std::to_string(op.inputs[i].shape[d]) +
                 " exceeds the 32-bit integer interface of this OpenBLAS build (max 2147483647)";
        return false;
      }
  return true;
}

bool gemm_uses_narrow_kernel(bool trans_a, bool trans_b, int64_t n, int64_t k, int64_t ldb, float alpha) {
  // A^T * B (the weight gradient) stays with OpenBLAS: the narrow kernel is
  // faster on one thread but not when the pool splits it (measured at the
  // CNN's 5408x10x32).
  if (trans_a || k < 1 || alpha == 0.0f || !narrow_gemm_available()) return false;
  if (!trans_b) return n <= 16;
  return k <= 16 && ldb <= INT32_MAX / 15;
}

namespace {
// The narrow kernels: rows of C split across the pool for A * B (blocks of
// 8 rows, the kernel's register tile), columns in blocks of 16 for A * B^T.
void execute_narrow_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                         const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const double flops = 2.0 * double(m) * double(n) * double(k);
  constexpr double kMinFlopsPerTask = 2.0e5;
  const int64_t align = trans_b ? 16 : 8;
  const int64_t units = ((trans_b ? n : m) + align - 1) / align;
  int64_t blocks = std::min<int64_t>(int64_t(flops / kMinFlopsPerTask), pool().size());
  blocks = std::max<int64_t>(1, std::min(blocks, units));
  pool().run(blocks, [&](int64_t blk, int) {
    const int64_t extent = trans_b ? n : m;
    const int64_t begin = std::min(extent, (units * blk / blocks) * align);
    const int64_t end = std::min(extent, (units * (blk + 1) / blocks) * align);
    if (end <= begin) return;
    if (trans_b)
      gemm_nt_narrow_k(begin, end, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
      gemm_xn_narrow_n(trans_a, begin, end, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  });
}
}  // namespace

void execute_gemm(const bp_op_desc& op) {
  const auto& attrs = *static_cast<const bp_gemm_attrs*>(op.attrs);
  const bp_tensor& ta = op.inputs[0];
  const bp_tensor& tb = op.inputs[1];
  const bp_tensor& tc = op.outputs[0];
  const bool trans_a = attrs.trans_a != 0, trans_b = attrs.trans_b != 0;
  const int64_t m = tc.shape[0], n = tc.shape[1];
  const int64_t k = trans_a ? ta.shape[0] : ta.shape[1];
  const int64_t lda = ta.shape[1], ldb = tb.shape[1], ldc = n;
  const float* a = f32(ta);
  const float* b = f32(tb);
  float* c = f32(tc);
  if (m <= 0 || n <= 0) return;
  if (gemm_uses_narrow_kernel(trans_a, trans_b, n, k, ldb, attrs.alpha)) {
    execute_narrow_gemm(trans_a, trans_b, m, n, k, attrs.alpha, a, lda, b, ldb, attrs.beta, c, ldc);
    return;
  }

  // Single-threaded OpenBLAS is erratic and slow at splitting the
  // tall-skinny GEMMs of a small network across threads, so we split C
  // ourselves: by rows when M is the larger extent, else by columns. Each
  // block is an independent sgemm on a sub-matrix (no synchronisation).
  const int threads = pool().size();
  const double flops = 2.0 * double(m) * double(n) * double(k);
  constexpr double kMinFlopsPerTask = 2.0e5;
  int64_t blocks = static_cast<int64_t>(flops / kMinFlopsPerTask);
  if (blocks > threads) blocks = threads;
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  // Keep column blocks a multiple of 16 floats (one cache line) wide.
  const int64_t align = split_rows ? 1 : 16;
  if (blocks > extent / align) blocks = extent / align;
  if (blocks <= 1) {
    sgemm(trans_a, trans_b, m, n, k, attrs.alpha, a, lda, b, ldb, attrs.beta, c, ldc);
    return;
  }
  pool().run(blocks, [&](int64_t blk, int) {
    const int64_t units = extent / align;
    const int64_t begin = (units * blk / blocks) * align;
    const int64_t end = blk + 1 == blocks ? extent : (units * (blk + 1) / blocks) * align;
    if (end <= begin) return;
    if (split_rows) {
      // Rows [begin, end) of op(A): A's rows without transpose, A's columns with it.
      const float* a_blk = trans_a ? a + begin : a + begin * lda;
      sgemm(trans_a, trans_b, end - begin, n, k, attrs.alpha, a_blk, lda, b, ldb, attrs.beta, c + begin * ldc, ldc);
    } else {
      const float* b_blk = trans_b ? b + begin * ldb : b + begin;
      sgemm(trans_a, trans_b, m, end - begin, k, attrs.alpha, a, lda, b_blk, ldb, attrs.beta, c + begin, ldc);
    }
  });
}

}  // namespace bp::openblas_cpu
