// ops.hpp — what the template plugin computes, and what it declines.
//
// Three op kinds are implemented with plain loops: GEMM, ACTIVATION_FWD (ReLU
// only) and ADD. Every other request is declined in op_supports() with a
// reason, so the core runs it on the CPU fallback plugin instead (per-op
// fallback) and says so in its report.
#pragma once

#include <string>

#include "backplane/abi.h"

namespace template_plugin {

// BP_OK when op_execute() would run `op` itself; otherwise BP_ERR_UNSUPPORTED
// (or BP_ERR_INVALID_ARGUMENT for a malformed descriptor) with `why` filled.
// `op` has been checked by bp::sdk::check_op() already.
bp_status op_supported(const bp_op_desc& op, std::string* why);

// Runs a supported, validated op on host memory (throws bp::sdk::failure).
void op_run(const bp_op_desc& op);

}  // namespace template_plugin
