// Direct (im2col-free) NHWC kernels for convolutions whose filter volume is
// small: CONV2D_FWD with fused bias + ReLU and CONV2D_BWD_FILTER.
//
// Why: for the first layer of a small CNN (C=3, 3x3, K=32) the lowered GEMM
// has an inner dimension of 27, so OpenBLAS spends most of its time packing
// and our code most of its time in im2col and the epilogue. These kernels
// keep a register tile of output channels (32 with AVX-512, 16 otherwise) and
// read the (zero-padded) input through a precomputed offset table instead.
// Selected at run time by CPU features; the baseline build runs anywhere.
#pragma once

#include "backplane/abi.h"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::openblas_cpu {

// True when the direct kernels handle this NHWC geometry (K a multiple of 16,
// filter volume R*S*C small enough for the weight tile to stay in L1/L2).
bool direct_conv_applies(const bp::sdk::conv_geometry& g);

void direct_conv_fwd(const bp::sdk::conv_geometry& g, const float* x, const float* w, const float* bias,
                     bp_activation act, float* y);
void direct_conv_bwd_filter(const bp::sdk::conv_geometry& g, const float* x, const float* dy, float* dw);

}  // namespace bp::openblas_cpu
