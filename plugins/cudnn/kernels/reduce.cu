// reduce.cu — REDUCE (sum/mean, one axis or all), BIAS_GRAD and ARGMAX.
#include "common.cuh"

// y[o, i] = scale * sum_a x[o, a, i]; one thread per output element.
extern "C" __global__ void bp_reduce_axis_f32(const float* x, float* y, long long outer, long long axis,
                                              long long inner, float scale) {
  BP_GRID_STRIDE(j, outer * inner) {
    const long long o = j / inner, i = j % inner;
    const float* base = x + o * axis * inner + i;
    float acc = 0.0f;
    for (long long a = 0; a < axis; ++a) acc += base[a * inner];
    y[j] = scale * acc;
  }
}

// y[0] = scale * sum x; launched with ONE block of 1024 threads (deterministic order).
extern "C" __global__ void bp_reduce_all_f32(const float* x, float* y, long long n, float scale) {
  float acc = 0.0f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += x[i];
  acc = bp_block_sum<1024>(acc);
  if (threadIdx.x == 0) y[0] = scale * acc;
}

// db[c] = sum over (outer, inner) of dy[o, c, i]; one block of 256 threads per channel.
extern "C" __global__ void bp_bias_grad_f32(const float* dy, float* db, long long outer, long long channels,
                                            long long inner) {
  for (long long c = blockIdx.x; c < channels; c += gridDim.x) {
    float acc = 0.0f;
    for (long long j = threadIdx.x; j < outer * inner; j += blockDim.x) {
      const long long o = j / inner, i = j % inner;
      acc += dy[(o * channels + c) * inner + i];
    }
    acc = bp_block_sum<256>(acc);
    if (threadIdx.x == 0) db[c] = acc;
    __syncthreads();
  }
}

// idx[r] = first index of the maximum of row r (NaN never wins); one warp per row.
extern "C" __global__ void bp_argmax_f32(const float* x, int* idx, long long rows, long long cols) {
  const long long warps = (long long)gridDim.x * (blockDim.x / 32);
  const int lane = threadIdx.x & 31;
  for (long long r = (long long)blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5); r < rows; r += warps) {
    const float* row = x + r * cols;
    float best = -INFINITY;
    long long best_i = -1;
    for (long long c = lane; c < cols; c += 32) {
      const float v = row[c];
      if (v > best || (best_i < 0 && v == best)) best = v, best_i = c;
    }
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best, o);
      const long long oi = __shfl_xor_sync(0xffffffffu, best_i, o);
      if (oi >= 0 && (best_i < 0 || ov > best || (ov == best && oi < best_i))) best = ov, best_i = oi;
    }
    if (lane == 0) idx[r] = (int)(best_i < 0 ? 0 : best_i);
  }
}
