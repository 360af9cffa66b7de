// emu_cudnn.cpp — test-only libcudnn.so.9: version, error strings, handle and
// the legacy descriptors (tensor, filter, convolution, pooling, activation),
// with cuDNN's documented argument checks.
#include <new>

#include "emu_cudnn_common.hpp"

using namespace bp_emu_dnn;

namespace {

template <typename T>
cudnnStatus_t create(T** out) {
  if (!out) return CUDNN_STATUS_BAD_PARAM;
  *out = new (std::nothrow) T();
  return *out ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

template <typename T>
cudnnStatus_t destroy(T* d) {
  delete d;  // cuDNN accepts NULL here
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

BP_EMU_EXPORT size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

BP_EMU_EXPORT size_t cudnnGetCudartVersion(void) { return 13000; }

BP_EMU_EXPORT const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
#define BP_EMU_STATUS(s) \
  case s: return #s;
    BP_EMU_STATUS(CUDNN_STATUS_SUCCESS)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_INITIALIZED)
    BP_EMU_STATUS(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_DEPRECATED)
    BP_EMU_STATUS(CUDNN_STATUS_LICENSE_ERROR)
    BP_EMU_STATUS(CUDNN_STATUS_RUNTIME_IN_PROGRESS)
    BP_EMU_STATUS(CUDNN_STATUS_RUNTIME_FP_OVERFLOW)
    BP_EMU_STATUS(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_NULL_POINTER)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_PADDING)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API)
    BP_EMU_STATUS(CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM)
    BP_EMU_STATUS(CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_EXECUTION_FAILED)
    BP_EMU_STATUS(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER)
    BP_EMU_STATUS(CUDNN_STATUS_EXECUTION_FAILED_CUBLAS)
    BP_EMU_STATUS(CUDNN_STATUS_EXECUTION_FAILED_CUDART)
    BP_EMU_STATUS(CUDNN_STATUS_EXECUTION_FAILED_CURAND)
#undef BP_EMU_STATUS
    default: break;
  }
  return "CUDNN_UNKNOWN_STATUS";
}

// ---- handle ----------------------------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) { return create(handle); }

BP_EMU_EXPORT cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  delete handle;
  return CUDNN_STATUS_SUCCESS;
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  handle->stream = static_cast<void*>(streamId);
  return CUDNN_STATUS_SUCCESS;
}

// ---- tensor descriptors ----------------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* tensorDesc) {
  return create(tensorDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc) {
  return destroy(tensorDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t tensorDesc, cudnnTensorFormat_t format,
                                                       cudnnDataType_t dataType, int n, int c, int h, int w) {
  if (!tensorDesc) return CUDNN_STATUS_BAD_PARAM;
  if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC && format != CUDNN_TENSOR_NCHW_VECT_C)
    return CUDNN_STATUS_BAD_PARAM;
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (format == CUDNN_TENSOR_NCHW_VECT_C || dataType != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  cudnnTensorStruct t;
  t.set = true;
  t.dims[0] = n, t.dims[1] = c, t.dims[2] = h, t.dims[3] = w;
  if (format == CUDNN_TENSOR_NCHW) {
    t.strides[3] = 1, t.strides[2] = w, t.strides[1] = int64_t(h) * w, t.strides[0] = int64_t(c) * h * w;
  } else {
    t.strides[1] = 1, t.strides[3] = c, t.strides[2] = int64_t(w) * c, t.strides[0] = int64_t(h) * w * c;
  }
  *tensorDesc = t;
  return CUDNN_STATUS_SUCCESS;
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t tensorDesc, cudnnDataType_t dataType,
                                                       int nbDims, const int dimA[], const int strideA[]) {
  if (!tensorDesc || !dimA || !strideA) return CUDNN_STATUS_BAD_PARAM;
  if (nbDims < 3 || nbDims > CUDNN_DIM_MAX) return CUDNN_STATUS_BAD_PARAM;
  for (int i = 0; i < nbDims; ++i)
    if (dimA[i] <= 0 || strideA[i] <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (dataType != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (nbDims > 4) return reject("cudnnSetTensorNdDescriptor", CUDNN_STATUS_NOT_SUPPORTED,
                                "the emulator supports tensors of 3 or 4 dimensions only");
  cudnnTensorStruct t;
  t.set = true;
  for (int i = 0; i < nbDims; ++i) t.dims[i] = dimA[i], t.strides[i] = strideA[i];
  // A 3-d tensor is (n, c, h) with a unit w.
  *tensorDesc = t;
  return CUDNN_STATUS_SUCCESS;
}

// ---- filter descriptors ----------------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* filterDesc) {
  return create(filterDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc) {
  return destroy(filterDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t filterDesc, cudnnDataType_t dataType,
                                                       cudnnTensorFormat_t format, int k, int c, int h, int w) {
  if (!filterDesc) return CUDNN_STATUS_BAD_PARAM;
  if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC && format != CUDNN_TENSOR_NCHW_VECT_C)
    return CUDNN_STATUS_BAD_PARAM;
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (format == CUDNN_TENSOR_NCHW_VECT_C || dataType != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  cudnnFilterStruct f;
  f.set = true;
  f.format = format;
  f.k = k, f.c = c, f.r = h, f.s = w;
  *filterDesc = f;
  return CUDNN_STATUS_SUCCESS;
}

// ---- convolution descriptors -----------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* convDesc) {
  return create(convDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc) {
  return destroy(convDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t convDesc, int pad_h,
                                                            int pad_w, int u, int v, int dilation_h, int dilation_w,
                                                            cudnnConvolutionMode_t mode, cudnnDataType_t computeType) {
  if (!convDesc) return CUDNN_STATUS_BAD_PARAM;
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0)
    return CUDNN_STATUS_BAD_PARAM;
  if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) return CUDNN_STATUS_BAD_PARAM;
  if (computeType != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  convDesc->set = true;
  convDesc->pad_h = pad_h, convDesc->pad_w = pad_w, convDesc->stride_h = u, convDesc->stride_w = v;
  convDesc->dil_h = dilation_h, convDesc->dil_w = dilation_w;
  convDesc->mode = mode;
  return CUDNN_STATUS_SUCCESS;
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc,
                                                        cudnnMathType_t mathType) {
  if (!convDesc) return CUDNN_STATUS_BAD_PARAM;
  switch (mathType) {
    case CUDNN_DEFAULT_MATH:
    case CUDNN_TENSOR_OP_MATH:
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
    case CUDNN_FMA_MATH: convDesc->math = mathType; return CUDNN_STATUS_SUCCESS;
    default: return CUDNN_STATUS_BAD_PARAM;
  }
}

// ---- pooling descriptors ---------------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t* poolingDesc) {
  return create(poolingDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t poolingDesc) {
  return destroy(poolingDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t poolingDesc, cudnnPoolingMode_t mode,
                                                        cudnnNanPropagation_t maxpoolingNanOpt, int windowHeight,
                                                        int windowWidth, int verticalPadding, int horizontalPadding,
                                                        int verticalStride, int horizontalStride) {
  if (!poolingDesc) return CUDNN_STATUS_BAD_PARAM;
  switch (mode) {
    case CUDNN_POOLING_MAX:
    case CUDNN_POOLING_MAX_DETERMINISTIC:
    case CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING:
    case CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING: break;
    default: return CUDNN_STATUS_BAD_PARAM;
  }
  if (maxpoolingNanOpt != CUDNN_NOT_PROPAGATE_NAN && maxpoolingNanOpt != CUDNN_PROPAGATE_NAN)
    return CUDNN_STATUS_BAD_PARAM;
  if (windowHeight <= 0 || windowWidth <= 0 || verticalPadding < 0 || horizontalPadding < 0 || verticalStride <= 0 ||
      horizontalStride <= 0)
    return CUDNN_STATUS_BAD_PARAM;
  cudnnPoolingStruct p;
  p.set = true;
  p.mode = mode, p.nan = maxpoolingNanOpt;
  p.win_h = windowHeight, p.win_w = windowWidth, p.pad_h = verticalPadding, p.pad_w = horizontalPadding;
  p.stride_h = verticalStride, p.stride_w = horizontalStride;
  *poolingDesc = p;
  return CUDNN_STATUS_SUCCESS;
}

// ---- activation descriptors ------------------------------------------------

BP_EMU_EXPORT cudnnStatus_t cudnnCreateActivationDescriptor(cudnnActivationDescriptor_t* activationDesc) {
  return create(activationDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnDestroyActivationDescriptor(cudnnActivationDescriptor_t activationDesc) {
  return destroy(activationDesc);
}

BP_EMU_EXPORT cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t activationDesc,
                                                         cudnnActivationMode_t mode, cudnnNanPropagation_t reluNanOpt,
                                                         double coef) {
  if (!activationDesc) return CUDNN_STATUS_BAD_PARAM;
  switch (mode) {
    case CUDNN_ACTIVATION_SIGMOID:
    case CUDNN_ACTIVATION_RELU:
    case CUDNN_ACTIVATION_TANH:
    case CUDNN_ACTIVATION_CLIPPED_RELU:
    case CUDNN_ACTIVATION_ELU:
    case CUDNN_ACTIVATION_IDENTITY:
    case CUDNN_ACTIVATION_SWISH: break;
    default: return CUDNN_STATUS_BAD_PARAM;
  }
  if (reluNanOpt != CUDNN_NOT_PROPAGATE_NAN && reluNanOpt != CUDNN_PROPAGATE_NAN) return CUDNN_STATUS_BAD_PARAM;
  cudnnActivationStruct a;
  a.set = true;
  a.mode = mode, a.nan = reluNanOpt, a.coef = coef;
  *activationDesc = a;
  return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
