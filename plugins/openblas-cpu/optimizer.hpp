// ADAM_UPDATE (Keras formulation, see abi.h) and SGD_UPDATE (momentum, Nesterov).
#pragma once

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_adam(const bp_op_desc& op);
void execute_sgd(const bp_op_desc& op);

}  // namespace bp::openblas_cpu
