// emu_cublas.cpp — the test-only libcublas.so.13 of the emulated GPU stack:
// the handful of cuBLAS entry points the cudnn plugin resolves, computed on
// the CPU with the documented semantics (column-major SGEMM, host pointer
// mode, deferred execution on the handle's stream).
//
// Arguments are validated at call time exactly as cuBLAS documents (the call
// returns the error status and enqueues nothing); alpha/beta are host values
// read at call time; device data is touched only when the stream runs.
#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include "emu_hooks.h"

#define BP_EMU_EXPORT __attribute__((visibility("default")))

struct cublasContext {
  void* stream = nullptr;  // NULL: legacy default stream
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

// Rounds a float to TF32 (10 explicit mantissa bits, round to nearest even),
// what tensor cores see in CUBLAS_TF32_TENSOR_OP_MATH mode.
float to_tf32(float v) {
  if (!std::isfinite(v)) return v;
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const uint32_t lsb = (bits >> 13) & 1u;
  bits += 0xFFFu + lsb;
  bits &= ~0x1FFFu;
  float r;
  std::memcpy(&r, &bits, 4);
  return r;
}

bool uses_tf32(cublasMath_t math) { return (unsigned(math) & 0xFu) == unsigned(CUBLAS_TF32_TENSOR_OP_MATH); }

// Bytes spanned by a column-major rows x cols matrix with leading dimension ld.
uint64_t matrix_bytes(int rows, int cols, int ld) {
  if (rows <= 0 || cols <= 0) return 0;
  return (uint64_t(cols - 1) * uint64_t(ld) + uint64_t(rows)) * sizeof(float);
}

bool check_device(const char* call, const char* arg, const void* p, uint64_t bytes) {
  if (p && bp_emu_is_device_range(p, bytes)) return true;
  std::fprintf(stderr,
               "[emu cublas] %s: argument %s (%p, %llu bytes) is not a live device allocation of that size\n",
               call, arg, p, static_cast<unsigned long long>(bytes));
  return false;
}

bool valid_op(cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }

}  // namespace

extern "C" {

BP_EMU_EXPORT cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value) {
  if (!value) return CUBLAS_STATUS_INVALID_VALUE;
  switch (type) {
    case MAJOR_VERSION: *value = CUBLAS_VER_MAJOR; return CUBLAS_STATUS_SUCCESS;
    case MINOR_VERSION: *value = CUBLAS_VER_MINOR; return CUBLAS_STATUS_SUCCESS;
    case PATCH_LEVEL: *value = CUBLAS_VER_PATCH; return CUBLAS_STATUS_SUCCESS;
    default: return CUBLAS_STATUS_INVALID_VALUE;
  }
}

BP_EMU_EXPORT const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

BP_EMU_EXPORT cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new (std::nothrow) cublasContext();
  return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

BP_EMU_EXPORT cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

BP_EMU_EXPORT cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t streamId) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = static_cast<void*>(streamId);
  return CUBLAS_STATUS_SUCCESS;
}

BP_EMU_EXPORT cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  // The base mode is the low bits; CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION may be or-ed in.
  const unsigned base = unsigned(mode) & ~unsigned(CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  switch (base) {
    case CUBLAS_DEFAULT_MATH:
    case CUBLAS_TENSOR_OP_MATH:
    case CUBLAS_PEDANTIC_MATH:
    case CUBLAS_TF32_TENSOR_OP_MATH:
    case CUBLAS_FP32_EMULATED_BF16X9_MATH:
    case CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH: break;
    default: return CUBLAS_STATUS_INVALID_VALUE;
  }
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

BP_EMU_EXPORT cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         const float* B, int ldb, const float* beta, float* C, int ldc) {
  static const char* const call = "cublasSgemm_v2";
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  // A is stored rows_a x cols_a (m x k for N, k x m for T/C); likewise B (k x n or n x k).
  if (!valid_op(transa) || !valid_op(transb) || m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
  const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
  const int rows_a = ta ? k : m, cols_a = ta ? m : k;
  const int rows_b = tb ? n : k, cols_b = tb ? k : n;
  if (lda < (rows_a > 1 ? rows_a : 1) || ldb < (rows_b > 1 ? rows_b : 1) || ldc < (m > 1 ? m : 1))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;  // quick return: nothing is read or written
  if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const float a = *alpha, b = *beta;  // host pointer mode: read now, not when the stream runs
  // k == 0 or alpha == 0: cuBLAS does not read A or B.
  const bool reads_ab = k > 0 && a != 0.0f;
  if (reads_ab && (!check_device(call, "A", A, matrix_bytes(rows_a, cols_a, lda)) ||
                   !check_device(call, "B", B, matrix_bytes(rows_b, cols_b, ldb))))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (!check_device(call, "C", C, matrix_bytes(m, n, ldc))) return CUBLAS_STATUS_INVALID_VALUE;
  const bool tf32 = uses_tf32(handle->math);
  const int rc = bp_emu::enqueue(handle->stream, [=] {
    std::vector<double> column(static_cast<size_t>(m));
    for (int j = 0; j < n; ++j) {
      std::fill(column.begin(), column.end(), 0.0);
      if (reads_ab) {
        for (int p = 0; p < k; ++p) {
          float bv = tb ? B[j + size_t(p) * ldb] : B[p + size_t(j) * ldb];
          if (tf32) bv = to_tf32(bv);
          for (int i = 0; i < m; ++i) {
            float av = ta ? A[p + size_t(i) * lda] : A[i + size_t(p) * lda];
            if (tf32) av = to_tf32(av);
            column[size_t(i)] += double(av) * double(bv);
          }
        }
      }
      float* c = C + size_t(j) * ldc;
      for (int i = 0; i < m; ++i) {
        // beta == 0: C is write-only (NaN/Inf already there must not propagate).
        const double prior = b != 0.0f ? double(b) * double(c[i]) : 0.0;
        c[i] = static_cast<float>(double(a) * column[size_t(i)] + prior);
      }
    }
  });
  if (rc != 0) {
    std::fprintf(stderr, "[emu cublas] %s: the handle's stream %p is not a live stream\n", call, handle->stream);
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
