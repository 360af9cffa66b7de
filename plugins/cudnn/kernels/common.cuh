// common.cuh — shared helpers for the plugin's kernels. Every kernel is
// extern "C" (unmangled names for cuModuleGetFunction) and uses grid-stride
// loops, so any grid size covers any element count.
#pragma once

#define BP_GRID_STRIDE(i, n) \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

__device__ __forceinline__ float bp_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float bp_warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over a block of BP_BLOCK threads (power of two, <= 1024); result valid in thread 0.
template <int BP_BLOCK>
__device__ __forceinline__ float bp_block_sum(float v) {
  __shared__ float partial[32];
  v = bp_warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = (threadIdx.x < BP_BLOCK / 32) ? partial[lane] : 0.0f;
  if (warp == 0) v = bp_warp_sum(v);
  return v;
}
