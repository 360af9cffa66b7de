// loss.cu — fused softmax + sparse categorical cross-entropy, forward and backward.
#include "common.cuh"

// One warp per row: probs = softmax(logits); row_loss = logsumexp - logit[label].
// An out-of-range label gives NaN for that row (visible in the loss, never a fault).
extern "C" __global__ void bp_softmax_xent_fwd_f32(const float* logits, const int* labels, float* probs,
                                                   float* row_loss, long long rows, long long cols) {
  const long long warps = (long long)gridDim.x * (blockDim.x / 32);
  const int lane = threadIdx.x & 31;
  for (long long r = (long long)blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5); r < rows; r += warps) {
    const float* x = logits + r * cols;
    float* p = probs + r * cols;
    float m = -INFINITY;
    for (long long c = lane; c < cols; c += 32) m = fmaxf(m, x[c]);
    m = bp_warp_max(m);
    float s = 0.0f;
    for (long long c = lane; c < cols; c += 32) s += expf(x[c] - m);
    s = bp_warp_sum(s);
    const float inv = 1.0f / s;
    for (long long c = lane; c < cols; c += 32) p[c] = expf(x[c] - m) * inv;
    if (lane == 0) {
      const int label = labels[r];
      row_loss[r] = (label >= 0 && label < cols) ? (m + logf(s)) - x[label] : __int_as_float(0x7fc00000);
    }
  }
}

// dlogits = scale * (probs - onehot(label)); scale is 1/N for MEAN, 1 for SUM.
extern "C" __global__ void bp_softmax_xent_bwd_f32(const float* probs, const int* labels, float* dlogits,
                                                   long long rows, long long cols, float scale) {
  BP_GRID_STRIDE(i, rows * cols) {
    const long long r = i / cols, c = i % cols;
    const int label = labels[r];
    const float target = (c == label) ? 1.0f : 0.0f;
    dlogits[i] = (label >= 0 && label < cols) ? scale * (probs[i] - target) : __int_as_float(0x7fc00000);
  }
}
