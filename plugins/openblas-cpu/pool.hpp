// POOL2D_FWD / POOL2D_BWD: max and average (Keras: average over the in-bounds
// elements of each window), NHWC and NCHW, any window, stride and padding.
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_pool_fwd(const bp_op_desc& op);
// Max: the gradient goes to the first maximum of each window (row-major
// window order), recomputed from x.
void execute_pool_bwd(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
