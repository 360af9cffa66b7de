// gemm.cpp — GEMM with cuBLAS (row-major C = alpha*op(A)*op(B) + beta*C).
// cuBLAS is column-major: a row-major M x N matrix is its N x M transpose,
// so C^T = op(B)^T * op(A)^T is computed by swapping the operands.
#include "ops.hpp"

namespace bp::cudnn {

std::string gemm_limits(const bp_op_desc& op) {
  for (uint32_t i = 0; i < 2; ++i)
    if (op.inputs[i].ndim != 2) return "cuBLAS GEMM here takes 2-D operands only";
  for (int32_t d = 0; d < 2; ++d)
    if (!fits_int(op.inputs[0].shape[d]) || !fits_int(op.inputs[1].shape[d]))
      return "an extent exceeds cuBLAS's 32-bit dimension limit";
  return {};
}

void gemm_execute(const op_call& call) {
  const auto& a = call.attrs<bp_gemm_attrs>();
  const bp_tensor& A = call.in(0);
  const bp_tensor& B = call.in(1);
  const bp_tensor& C = call.out(0);
  const int m = int(C.shape[0]), n = int(C.shape[1]);
  const int k = int(a.trans_a ? A.shape[0] : A.shape[1]);
  if (m == 0 || n == 0) return;
  // Leading dimensions are the row lengths; cuBLAS wants them >= 1 even for empty K.
  const int lda = A.shape[1] > 0 ? int(A.shape[1]) : 1, ldb = B.shape[1] > 0 ? int(B.shape[1]) : 1;
  const cublasOperation_t op_a = a.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = a.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  library_lock lock(call.dev, call.stream);
  BP_CHECK(call.dev.blas_api().cublasSgemm(call.dev.blas, op_b, op_a, n, m, k, &a.alpha, typed<const float>(B), ldb,
                                           typed<const float>(A), lda, &a.beta, typed<float>(C), n));
}

}  // namespace bp::cudnn
