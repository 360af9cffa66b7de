// SOFTMAX / SOFTMAX_BWD (plain and log) over the last axis, and the fused
// softmax + sparse categorical cross-entropy pair SOFTMAX_XENT_FWD / _BWD.
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_softmax(const bp_op_desc& op);
void execute_softmax_bwd(const bp_op_desc& op);
// Labels outside [0, C) fail with BP_ERR_INVALID_ARGUMENT naming the row;
// outputs are left untouched then. MEAN over an empty batch gives NaN.
void execute_xent_fwd(const bp_op_desc& op);
void execute_xent_bwd(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
