// AVX-512 GEMM kernels for the skinny products of a dense layer with few
// outputs (the CNN's Dense 10), where OpenBLAS's small-matrix path runs at a
// fraction of peak: a C with at most 16 columns (forward C = X * W and weight
// gradient dW = X^T * G) and a product over at most 16 terms with B
// transposed (input gradient dX = G * W^T).
#pragma once

#include <cstdint>

namespace bp::openblas_cpu {

// True when the kernels below can run on this CPU (AVX-512F).
bool narrow_gemm_available();

// Rows [row_begin, row_end) of C = alpha * op(A) * B + beta * C, op(A) = A or
// A^T, row-major, n <= 16, k >= 1, alpha != 0. beta == 0 never reads C.
void gemm_xn_narrow_n(bool trans_a, int64_t row_begin, int64_t row_end, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Columns [col_begin, col_end) of C(M x N) = alpha * A * B^T + beta * C with B
// stored (N x K), row-major, k <= 16, k >= 1, alpha != 0. beta == 0 never reads C.
void gemm_nt_narrow_k(int64_t col_begin, int64_t col_end, int64_t m, int64_t k, float alpha, const float* a,
                      int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace bp::openblas_cpu
