// BIAS_ADD and BIAS_GRAD over the channel axis (last for NHWC and any rank,
// axis 1 for NCHW).
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_bias_add(const bp_op_desc& op);  // y may alias x
void execute_bias_grad(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
