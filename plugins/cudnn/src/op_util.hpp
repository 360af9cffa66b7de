// op_util.hpp — helpers shared by the op families: device pointers, RAII
// cuDNN descriptors, and the lock that binds the shared cuBLAS/cuDNN
// handles to the caller's stream for one enqueue.
#pragma once

#include <climits>
#include <mutex>
#include <string>

#include "backplane/sdk/tensor_util.hpp"
#include "device.hpp"
#include "errors.hpp"

namespace bp::cudnn {

// One op invocation on one device and stream.
struct op_call {
  device_context& dev;
  CUstream stream;
  const bp_op_desc& op;
  const bp_tensor& in(uint32_t i) const { return op.inputs[i]; }
  const bp_tensor& out(uint32_t i) const { return op.outputs[i]; }
  template <typename T>
  const T& attrs() const { return *static_cast<const T*>(op.attrs); }
};

inline CUdeviceptr dptr(const bp_tensor& t) { return reinterpret_cast<CUdeviceptr>(t.data) + t.byte_offset; }
template <typename T>
inline T* typed(const bp_tensor& t) {
  return reinterpret_cast<T*>(dptr(t));
}
inline int64_t count(const bp_tensor& t) { return bp::sdk::numel(t); }
inline bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// Locks the device's library handles and points them at `stream` for one enqueue.
class library_lock {
 public:
  library_lock(device_context& dev, CUstream stream) : lock_(dev.library_mutex) {
    BP_CHECK(dev.dnn_api().cudnnSetStream(dev.dnn, stream));
    BP_CHECK(dev.blas_api().cublasSetStream(dev.blas, stream));
  }

 private:
  std::lock_guard<std::mutex> lock_;
};

class tensor_desc {
 public:
  tensor_desc() { BP_CHECK(vendor().dnn.cudnnCreateTensorDescriptor(&d_)); }
  ~tensor_desc() { vendor().dnn.cudnnDestroyTensorDescriptor(d_); }
  tensor_desc(const tensor_desc&) = delete;
  tensor_desc& operator=(const tensor_desc&) = delete;
  // (n, c, h, w) logical dims in the given memory format.
  tensor_desc& image(bool nchw, int64_t n, int64_t c, int64_t h, int64_t w) {
    BP_CHECK(vendor().dnn.cudnnSetTensor4dDescriptor(d_, nchw ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC,
                                                     CUDNN_DATA_FLOAT, int(n), int(c), int(h), int(w)));
    return *this;
  }
  operator cudnnTensorDescriptor_t() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class filter_desc {
 public:
  // (k, c, r, s) logical dims; NHWC format is KRSC (= our OHWI), NCHW is KCRS (= OIHW).
  filter_desc(bool nchw, int64_t k, int64_t c, int64_t r, int64_t s) {
    BP_CHECK(vendor().dnn.cudnnCreateFilterDescriptor(&d_));
    BP_CHECK(vendor().dnn.cudnnSetFilter4dDescriptor(d_, CUDNN_DATA_FLOAT, nchw ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC,
                                                     int(k), int(c), int(r), int(s)));
  }
  ~filter_desc() { vendor().dnn.cudnnDestroyFilterDescriptor(d_); }
  filter_desc(const filter_desc&) = delete;
  filter_desc& operator=(const filter_desc&) = delete;
  operator cudnnFilterDescriptor_t() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class activation_desc {
 public:
  explicit activation_desc(cudnnActivationMode_t mode) {
    BP_CHECK(vendor().dnn.cudnnCreateActivationDescriptor(&d_));
    BP_CHECK(vendor().dnn.cudnnSetActivationDescriptor(d_, mode, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  }
  ~activation_desc() { vendor().dnn.cudnnDestroyActivationDescriptor(d_); }
  activation_desc(const activation_desc&) = delete;
  activation_desc& operator=(const activation_desc&) = delete;
  operator cudnnActivationDescriptor_t() const { return d_; }

 private:
  cudnnActivationDescriptor_t d_ = nullptr;
};

// Temporary device memory for one op; returned to the cache when the op is enqueued.
class scratch_buffer {
 public:
  scratch_buffer(device_context& dev, CUstream stream, uint64_t bytes) : dev_(dev), stream_(stream) {
    if (bytes) ptr_ = dev.scratch(bytes);
  }
  ~scratch_buffer() {
    try {
      dev_.release_scratch(ptr_, stream_);
    } catch (...) {  // a failed sync already surfaced through the op's own status
    }
  }
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;
  CUdeviceptr get() const { return ptr_; }
  void* ptr() const { return reinterpret_cast<void*>(ptr_); }

 private:
  device_context& dev_;
  CUstream stream_;
  CUdeviceptr ptr_ = 0;
};

}  // namespace bp::cudnn
