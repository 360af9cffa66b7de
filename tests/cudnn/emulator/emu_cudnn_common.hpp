// emu_cudnn_common.hpp — shared state of the test-only libcudnn.so.9: the
// handle and descriptor structs behind cuDNN's opaque types, tensor views,
// argument checks and the deferred-execution helper.
//
// Descriptors are plain values: every execute call copies the ones it needs
// into the task it enqueues, because callers may (and the plugin does)
// destroy descriptors before the stream runs — real cuDNN captures the
// parameters at call time too.
#pragma once

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <cudnn.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "emu_hooks.h"

#define BP_EMU_EXPORT __attribute__((visibility("default")))

struct cudnnContext {
  void* stream = nullptr;  // NULL: legacy default stream
};

// A tensor of up to 4 dims, always held as (n, c, h, w) with element strides.
struct cudnnTensorStruct {
  bool set = false;
  int dims[4] = {1, 1, 1, 1};
  int64_t strides[4] = {1, 1, 1, 1};
};

// A 4-d filter: logical (k, c, r, s); NCHW format stores KCRS, NHWC stores KRSC.
struct cudnnFilterStruct {
  bool set = false;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  int k = 0, c = 0, r = 0, s = 0;
};

struct cudnnConvolutionStruct {
  bool set = false;
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  cudnnConvolutionMode_t mode = CUDNN_CONVOLUTION;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

struct cudnnPoolingStruct {
  bool set = false;
  cudnnPoolingMode_t mode = CUDNN_POOLING_MAX;
  cudnnNanPropagation_t nan = CUDNN_NOT_PROPAGATE_NAN;
  int win_h = 0, win_w = 0, pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;
};

struct cudnnActivationStruct {
  bool set = false;
  cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
  cudnnNanPropagation_t nan = CUDNN_NOT_PROPAGATE_NAN;
  double coef = 0.0;
};

namespace bp_emu_dnn {

// Bytes spanned by a tensor: the last element's offset + 1, in floats.
inline uint64_t tensor_bytes(const cudnnTensorStruct& t) {
  uint64_t last = 0;
  for (int i = 0; i < 4; ++i) last += uint64_t(t.dims[i] - 1) * uint64_t(t.strides[i]);
  return (last + 1) * sizeof(float);
}

inline uint64_t count(const cudnnTensorStruct& t) {
  return uint64_t(t.dims[0]) * uint64_t(t.dims[1]) * uint64_t(t.dims[2]) * uint64_t(t.dims[3]);
}

inline bool same_dims(const cudnnTensorStruct& a, const cudnnTensorStruct& b) {
  return std::memcmp(a.dims, b.dims, sizeof(a.dims)) == 0;
}

// Element strides of a filter in its stored layout, in (k, c, r, s) order.
inline void filter_strides(const cudnnFilterStruct& f, int64_t st[4]) {
  if (f.format == CUDNN_TENSOR_NHWC) {  // KRSC
    st[1] = 1, st[3] = f.c, st[2] = int64_t(f.s) * f.c, st[0] = int64_t(f.r) * f.s * f.c;
  } else {  // KCRS
    st[3] = 1, st[2] = f.s, st[1] = int64_t(f.r) * f.s, st[0] = int64_t(f.c) * f.r * f.s;
  }
}

inline uint64_t filter_bytes(const cudnnFilterStruct& f) {
  return uint64_t(f.k) * uint64_t(f.c) * uint64_t(f.r) * uint64_t(f.s) * sizeof(float);
}

// Read-only / writable (n, c, h, w) views over device floats.
struct cview {
  const float* p;
  int64_t st[4];
  const float& at(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return p[n * st[0] + c * st[1] + h * st[2] + w * st[3]];
  }
};
struct view {
  float* p;
  int64_t st[4];
  float& at(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return p[n * st[0] + c * st[1] + h * st[2] + w * st[3]];
  }
};
inline cview cview_of(const cudnnTensorStruct& t, const void* p) {
  return {static_cast<const float*>(p), {t.strides[0], t.strides[1], t.strides[2], t.strides[3]}};
}
inline view view_of(const cudnnTensorStruct& t, void* p) {
  return {static_cast<float*>(p), {t.strides[0], t.strides[1], t.strides[2], t.strides[3]}};
}

// Visits all (n, c, h, w) of a 4-d extent in logical order.
template <typename F>
void for_each(const int dims[4], F&& f) {
  for (int n = 0; n < dims[0]; ++n)
    for (int c = 0; c < dims[1]; ++c)
      for (int h = 0; h < dims[2]; ++h)
        for (int w = 0; w < dims[3]; ++w) f(n, c, h, w);
}

// out = alpha * value (+ beta * out only when beta != 0: with beta == 0 the
// output is write-only, as cuDNN documents, so NaN already there is dropped).
inline float blend(double alpha, double value, double beta, float prior) {
  return static_cast<float>(alpha * value + (beta != 0.0 ? beta * double(prior) : 0.0));
}

// Reports and rejects a pointer that is not device memory of the given extent.
inline bool device_ok(const char* call, const char* arg, const void* p, uint64_t bytes) {
  if (p && bp_emu_is_device_range(p, bytes)) return true;
  std::fprintf(stderr,
               "[emu cudnn] %s: argument %s (%p, %llu bytes) is not a live device allocation of that size\n",
               call, arg, p, static_cast<unsigned long long>(bytes));
  return false;
}

inline bool tensor_ok(const cudnnTensorStruct* t) { return t && t->set; }

// One line on stderr for a call-time rejection, so a failing test says why.
inline cudnnStatus_t reject(const char* call, cudnnStatus_t status, const char* why) {
  std::fprintf(stderr, "[emu cudnn] %s: %s\n", call, why);
  return status;
}

// Enqueues a task on the handle's stream.
template <typename F>
cudnnStatus_t submit(const char* call, cudnnHandle_t handle, F&& task) {
  if (bp_emu::enqueue(handle->stream, static_cast<F&&>(task)) != 0) {
    std::fprintf(stderr, "[emu cudnn] %s: the handle's stream %p is not a live stream\n", call, handle->stream);
    return CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER;
  }
  return CUDNN_STATUS_SUCCESS;
}

// alpha/beta are host floats for float data (cuDNN reads them at call time).
inline bool read_scaling(const void* alpha, const void* beta, double& a, double& b) {
  if (!alpha || !beta) return false;
  a = double(*static_cast<const float*>(alpha));
  b = double(*static_cast<const float*>(beta));
  return true;
}

// Rounds to TF32 (10 mantissa bits), what tensor-op math computes with.
inline float to_tf32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7F800000u) == 0x7F800000u) return v;  // Inf / NaN
  bits += 0xFFFu + ((bits >> 13) & 1u);
  bits &= ~0x1FFFu;
  float r;
  std::memcpy(&r, &bits, 4);
  return r;
}

}  // namespace bp_emu_dnn
