// REDUCE (sum / mean over one axis or all) and ARGMAX over the last axis.
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

// Accumulates in double; MEAN over zero elements gives NaN.
void execute_reduce(const bp_op_desc& op);
// First maximum of each row wins; a row of NaNs gives index 0.
void execute_argmax(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
