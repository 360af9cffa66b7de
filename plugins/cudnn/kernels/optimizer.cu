// optimizer.cu — Keras Adam and SGD (momentum, Nesterov) updates, in place.
#include "common.cuh"

// lr_t = lr*sqrt(1-b2^t)/(1-b1^t) is computed on the host.
extern "C" __global__ void bp_adam_f32(float* param, float* m, float* v, const float* grad, long long n, float lr_t,
                                       float beta1, float beta2, float epsilon) {
  BP_GRID_STRIDE(i, n) {
    const float g = grad[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= lr_t * mi / (sqrtf(vi) + epsilon);
  }
}

// momentum 0: p -= lr*g (velocity may be NULL). Else v = momentum*v - lr*g;
// p += v, or with Nesterov p += momentum*v - lr*g.
extern "C" __global__ void bp_sgd_f32(float* param, float* velocity, const float* grad, long long n, float lr,
                                      float momentum, int nesterov) {
  BP_GRID_STRIDE(i, n) {
    const float g = grad[i];
    if (velocity == nullptr || momentum == 0.0f) {
      param[i] -= lr * g;
    } else {
      const float v = momentum * velocity[i] - lr * g;
      velocity[i] = v;
      param[i] += nesterov ? momentum * v - lr * g : v;
    }
  }
}
