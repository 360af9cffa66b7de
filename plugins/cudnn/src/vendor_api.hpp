// vendor_api.hpp — function tables for the CUDA driver, cuBLAS and cuDNN,
// resolved with dlsym from handles the dependency loader opened.
//
// The plugin links none of these libraries (no DT_NEEDED), so it loads on a
// machine without a GPU. The official headers are used for types, enums and
// the exact exported names: cuda.h and cublas_v2.h map e.g. cuMemAlloc to
// cuMemAlloc_v2 with macros, and the two-level stringification below sees
// the mapped name, so the table member and the dlsym'd symbol always agree.
#pragma once

#include <cublas_v2.h>
#include <cuda.h>
#include <cudnn.h>

#include <string>
#include <vector>

namespace bp::cudnn {

#define BP_CUDNN_STR2(x) #x
#define BP_CUDNN_STR(x) BP_CUDNN_STR2(x)

// CUDA driver API (libcuda.so.1).
#define BP_DRIVER_FUNCS(X)                                                                                   \
  X(cuInit) X(cuDriverGetVersion) X(cuGetErrorString) X(cuGetErrorName) X(cuDeviceGetCount) X(cuDeviceGet) \
  X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDeviceTotalMem) X(cuDevicePrimaryCtxRetain)                \
  X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent) X(cuCtxSynchronize) X(cuMemGetInfo) X(cuMemAlloc)         \
  X(cuMemFree) X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync) X(cuMemsetD32Async)          \
  X(cuStreamCreate) X(cuStreamDestroy) X(cuStreamSynchronize) X(cuModuleLoadData) X(cuModuleUnload)         \
  X(cuModuleGetFunction) X(cuLaunchKernel)

// cuBLAS (libcublas.so.13).
#define BP_CUBLAS_FUNCS(X)                                                                                \
  X(cublasGetProperty) X(cublasGetStatusString) X(cublasCreate) X(cublasDestroy) X(cublasSetStream)       \
  X(cublasSetMathMode) X(cublasSgemm)

// cuDNN 9 (libcudnn.so.9), legacy descriptor API.
#define BP_CUDNN_FUNCS(X)                                                                                        \
  X(cudnnGetVersion) X(cudnnGetCudartVersion) X(cudnnGetErrorString) X(cudnnCreate) X(cudnnDestroy)              \
  X(cudnnSetStream) X(cudnnCreateTensorDescriptor) X(cudnnSetTensorNdDescriptor) X(cudnnSetTensor4dDescriptor)   \
  X(cudnnDestroyTensorDescriptor) X(cudnnCreateFilterDescriptor) X(cudnnSetFilter4dDescriptor)                   \
  X(cudnnDestroyFilterDescriptor) X(cudnnCreateConvolutionDescriptor) X(cudnnSetConvolution2dDescriptor)         \
  X(cudnnSetConvolutionMathType) X(cudnnDestroyConvolutionDescriptor) X(cudnnGetConvolutionForwardAlgorithm_v7)  \
  X(cudnnGetConvolutionForwardWorkspaceSize) X(cudnnConvolutionForward)                                          \
  X(cudnnGetConvolutionBackwardDataAlgorithm_v7) X(cudnnGetConvolutionBackwardDataWorkspaceSize)                 \
  X(cudnnConvolutionBackwardData) X(cudnnGetConvolutionBackwardFilterAlgorithm_v7)                               \
  X(cudnnGetConvolutionBackwardFilterWorkspaceSize) X(cudnnConvolutionBackwardFilter) X(cudnnAddTensor)          \
  X(cudnnCreatePoolingDescriptor) X(cudnnSetPooling2dDescriptor) X(cudnnDestroyPoolingDescriptor)                \
  X(cudnnPoolingForward) X(cudnnPoolingBackward) X(cudnnCreateActivationDescriptor)                              \
  X(cudnnSetActivationDescriptor) X(cudnnDestroyActivationDescriptor) X(cudnnActivationForward)                  \
  X(cudnnActivationBackward) X(cudnnSoftmaxForward) X(cudnnSoftmaxBackward)

#define BP_DECLARE_MEMBER(f) decltype(&::f) f = nullptr;

struct driver_api {
  BP_DRIVER_FUNCS(BP_DECLARE_MEMBER)
};
struct cublas_api {
  BP_CUBLAS_FUNCS(BP_DECLARE_MEMBER)
};
struct cudnn_api {
  BP_CUDNN_FUNCS(BP_DECLARE_MEMBER)
};

// Optional CUDA runtime (libcudart.so.13): only its version is read, for reports.
using cuda_runtime_get_version_fn = int (*)(int*);

// Exported symbol names each table needs (after the headers' _v2 mapping).
std::vector<std::string> driver_symbols();
std::vector<std::string> cublas_symbols();
std::vector<std::string> cudnn_symbols();

// Fill a table from a dlopen handle; returns the first missing name or "".
std::string resolve(void* handle, driver_api& api);
std::string resolve(void* handle, cublas_api& api);
std::string resolve(void* handle, cudnn_api& api);

}  // namespace bp::cudnn
