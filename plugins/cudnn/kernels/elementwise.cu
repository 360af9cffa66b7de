// elementwise.cu — ADD/SUB/MUL/SCALE, BIAS_ADD and strided COPY.
#include "common.cuh"

extern "C" __global__ void bp_add_f32(const float* a, const float* b, float* c, long long n) {
  BP_GRID_STRIDE(i, n) c[i] = a[i] + b[i];
}

extern "C" __global__ void bp_sub_f32(const float* a, const float* b, float* c, long long n) {
  BP_GRID_STRIDE(i, n) c[i] = a[i] - b[i];
}

extern "C" __global__ void bp_mul_f32(const float* a, const float* b, float* c, long long n) {
  BP_GRID_STRIDE(i, n) c[i] = a[i] * b[i];
}

extern "C" __global__ void bp_scale_f32(const float* x, float* y, float alpha, long long n) {
  BP_GRID_STRIDE(i, n) y[i] = alpha * x[i];
}

// y = x + b[channel]; the tensor is viewed as (outer, channels, inner): inner is 1
// for channel-last (NHWC, any rank) and H*W for NCHW. y may alias x.
extern "C" __global__ void bp_bias_add_f32(const float* x, const float* b, float* y, long long n, long long channels,
                                           long long inner) {
  BP_GRID_STRIDE(i, n) y[i] = x[i] + b[(i / inner) % channels];
}

// Strided copy of up to 8 dims; strides in elements. Passed by value.
struct bp_copy_params {
  int ndim;
  int pad_;
  long long n;
  long long shape[8];
  long long src_stride[8];
  long long dst_stride[8];
};

template <typename T>
__device__ void bp_copy_strided(const T* src, T* dst, const bp_copy_params& p) {
  BP_GRID_STRIDE(i, p.n) {
    long long rest = i, s = 0, d = 0;
    for (int k = p.ndim - 1; k >= 0; --k) {
      const long long idx = rest % p.shape[k];
      rest /= p.shape[k];
      s += idx * p.src_stride[k];
      d += idx * p.dst_stride[k];
    }
    dst[d] = src[s];
  }
}

extern "C" __global__ void bp_copy_strided_1(const unsigned char* src, unsigned char* dst, bp_copy_params p) {
  bp_copy_strided(src, dst, p);
}
extern "C" __global__ void bp_copy_strided_2(const unsigned short* src, unsigned short* dst, bp_copy_params p) {
  bp_copy_strided(src, dst, p);
}
extern "C" __global__ void bp_copy_strided_4(const unsigned int* src, unsigned int* dst, bp_copy_params p) {
  bp_copy_strided(src, dst, p);
}
extern "C" __global__ void bp_copy_strided_8(const unsigned long long* src, unsigned long long* dst, bp_copy_params p) {
  bp_copy_strided(src, dst, p);
}
