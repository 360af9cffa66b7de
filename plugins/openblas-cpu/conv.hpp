// CONV2D_FWD (fused bias + activation), CONV2D_BWD_DATA, CONV2D_BWD_FILTER.
//
// NHWC and NCHW, any stride, dilation and padding. Each image (NHWC: each
// block of output rows) is lowered to one single-threaded sgemm over an
// im2col buffer that lives in per-thread scratch; images are spread over the
// plugin's pool. 1x1/stride-1/unpadded convolutions skip the im2col copy.
#pragma once

#include <string>

#include "backplane/abi.h"

namespace bp::openblas_cpu {

void execute_conv_fwd(const bp_op_desc& op);
void execute_conv_bwd_data(const bp_op_desc& op);
void execute_conv_bwd_filter(const bp_op_desc& op);
// Limits beyond check_op: the lowered GEMM extents must fit a 32-bit BLAS integer.
bool conv_supported(const bp_op_desc& op, std::string* why);

}  // namespace bp::openblas_cpu
