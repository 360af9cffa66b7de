// errors.hpp — vendor status codes to bp_status, with the vendor's own text.
//
// Mapping (the same for all three libraries): "not supported" ->
// BP_ERR_UNSUPPORTED, "bad parameter" -> BP_ERR_INVALID_ARGUMENT, allocation
// failure -> BP_ERR_OUT_OF_MEMORY, everything else -> BP_ERR_DEVICE. The
// message names the call, the vendor's symbolic code and its description.
#pragma once

#include <string>

#include "backplane/sdk/plugin.hpp"
#include "vendor.hpp"

namespace bp::cudnn {

inline bp_status status_from(CUresult r) {
  switch (r) {
    case CUDA_SUCCESS: return BP_OK;
    case CUDA_ERROR_OUT_OF_MEMORY: return BP_ERR_OUT_OF_MEMORY;
    case CUDA_ERROR_INVALID_VALUE: return BP_ERR_INVALID_ARGUMENT;
    case CUDA_ERROR_NOT_SUPPORTED: return BP_ERR_UNSUPPORTED;
    default: return BP_ERR_DEVICE;
  }
}

inline bp_status status_from(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return BP_OK;
    case CUBLAS_STATUS_ALLOC_FAILED: return BP_ERR_OUT_OF_MEMORY;
    case CUBLAS_STATUS_INVALID_VALUE: return BP_ERR_INVALID_ARGUMENT;
    case CUBLAS_STATUS_NOT_SUPPORTED: return BP_ERR_UNSUPPORTED;
    default: return BP_ERR_DEVICE;
  }
}

// cuDNN 9 codes are hierarchical: 2xxx bad parameter, 3xxx not supported,
// 4003/4004 host/device allocation failures.
inline bp_status status_from(cudnnStatus_t s) {
  const int code = static_cast<int>(s);
  if (code == 0) return BP_OK;
  if (code >= 2000 && code < 3000) return BP_ERR_INVALID_ARGUMENT;
  if (code >= 3000 && code < 4000) return BP_ERR_UNSUPPORTED;
  if (code == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
      code == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED)
    return BP_ERR_OUT_OF_MEMORY;
  return BP_ERR_DEVICE;
}

inline std::string describe(CUresult r) {
  const driver_api& cu = vendor().cu;
  const char* name = nullptr;
  const char* text = nullptr;
  if (cu.cuGetErrorName) cu.cuGetErrorName(r, &name);
  if (cu.cuGetErrorString) cu.cuGetErrorString(r, &text);
  return std::string(name ? name : "CUresult") + " " + std::to_string(static_cast<int>(r)) + ": " +
         (text ? text : "no description");
}

inline std::string describe(cublasStatus_t s) {
  const cublas_api& blas = vendor().blas;
  const char* text = blas.cublasGetStatusString ? blas.cublasGetStatusString(s) : nullptr;
  return "cublasStatus " + std::to_string(static_cast<int>(s)) + ": " + (text ? text : "no description");
}

inline std::string describe(cudnnStatus_t s) {
  const cudnn_api& dnn = vendor().dnn;
  const char* text = dnn.cudnnGetErrorString ? dnn.cudnnGetErrorString(s) : nullptr;
  return "cudnnStatus " + std::to_string(static_cast<int>(s)) + ": " + (text ? text : "no description");
}

// Throws bp::sdk::failure (turned into a status by bp::sdk::guard at the ABI edge).
template <typename Code>
inline void check(Code code, const char* call) {
  bp_status st = status_from(code);
  if (st != BP_OK) bp::sdk::fail(st, std::string("cudnn plugin: ") + call + " failed: " + describe(code));
}

}  // namespace bp::cudnn

// Checks a vendor call and names it in the error message.
#define BP_CHECK(call) ::bp::cudnn::check((call), #call)
