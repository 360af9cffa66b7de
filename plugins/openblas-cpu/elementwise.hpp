// ADD, SUB, MUL, SCALE, FILL (compact float32; outputs may alias inputs) and
// COPY (any dtype, any strides on either side).
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_binary(const bp_op_desc& op);  // ADD, SUB, MUL
void execute_scale(const bp_op_desc& op);
void execute_fill(const bp_op_desc& op);
void execute_copy(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
