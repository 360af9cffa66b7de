// ops.hpp — the op families. For each: `*_limits` returns "" when this backend
// runs the (already validated, see bp::sdk::check_op) op, else the reason it
// declines; `*_execute` enqueues it on the call's stream.
#pragma once

#include <string>

#include "op_util.hpp"

namespace bp::cudnn {

std::string conv_limits(const bp_op_desc& op);  // CONV2D_FWD / BWD_DATA / BWD_FILTER
void conv_execute(const op_call& call);

std::string pool_limits(const bp_op_desc& op);  // POOL2D_FWD / BWD
void pool_execute(const op_call& call);

std::string activation_limits(const bp_op_desc& op);  // ACTIVATION_FWD / BWD
void activation_execute(const op_call& call);

std::string gemm_limits(const bp_op_desc& op);  // GEMM
void gemm_execute(const op_call& call);

std::string softmax_loss_limits(const bp_op_desc& op);  // SOFTMAX(_BWD), SOFTMAX_XENT_FWD/BWD
void softmax_loss_execute(const op_call& call);

std::string optimizer_limits(const bp_op_desc& op);  // ADAM_UPDATE, SGD_UPDATE
void optimizer_execute(const op_call& call);

std::string elementwise_limits(const bp_op_desc& op);  // ADD SUB MUL SCALE FILL COPY BIAS_ADD
void elementwise_execute(const op_call& call);

std::string reduce_limits(const bp_op_desc& op);  // REDUCE, BIAS_GRAD, ARGMAX
void reduce_execute(const op_call& call);

}  // namespace bp::cudnn
