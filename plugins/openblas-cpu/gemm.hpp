// GEMM op and the row-major sgemm wrapper the conv kernels share.
#pragma once

#include <cstdint>
#include <string>

#include "backplane/abi.h"

namespace bp::openblas_cpu {

// C(MxN) = alpha * op(A) * op(B) + beta * C, row-major, single-threaded
// OpenBLAS. Handles the degenerate shapes cblas rejects (M, N or K zero) and
// treats beta == 0 as "C is write-only" (NaNs in C do not propagate).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// True when every extent fits OpenBLAS's 32-bit integer interface.
bool fits_blas_int(int64_t value);

// BP_OP_GEMM; the rows (or columns) of C are split across the pool.
void execute_gemm(const bp_op_desc& op);
// True when the narrow AVX-512 kernels (gemm_narrow.hpp) take this GEMM:
// C = A * B with N <= 16 or C = A * B^T with K <= 16 (never a transposed A).
bool gemm_uses_narrow_kernel(bool trans_a, bool trans_b, int64_t n, int64_t k, int64_t ldb, float alpha);
// Limits beyond check_op: extents must fit a 32-bit BLAS integer.
bool gemm_supported(const bp_op_desc& op, std::string* why);

}  // namespace bp::openblas_cpu
