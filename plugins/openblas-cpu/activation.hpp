// ACTIVATION_FWD / ACTIVATION_BWD and the pointwise kernels the conv epilogue reuses.
#pragma once

#include <cstdint>

#include "backplane/abi.h"

namespace bp::openblas_cpu {

// y = act(x) over n elements; x == y is allowed. Single-threaded (callers split).
void activation_forward(bp_activation act, const float* x, float* y, int64_t n);
// dx = dy * act'(x) written in terms of the forward output y; dx may alias y or dy.
void activation_backward(bp_activation act, const float* y, const float* dy, float* dx, int64_t n);

void execute_activation_fwd(const bp_op_desc& op);
void execute_activation_bwd(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
