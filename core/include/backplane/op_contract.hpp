// backplane/op_contract.hpp — the op contract beneath the ABI: the one
// validator of op descriptors. Header-only, installed with the core headers
// next to abi.h; the core checks every op with it once, in bp_op_run and
// bp_op_supported, before a plugin sees it; the SDK re-exports it
// (backplane/sdk/op_check.hpp) for plugins that are called by other hosts.
// docs/abi.md ("Who checks what") says which side checks what.
//
//   bp_status bp::contract::check_op(const bp_op_desc& op, bool require_data, std::string* why);
//
// Returns BP_OK when `op` is a well-formed v1 op: sizes of the descriptor and
// its attribute struct, attribute ranges, tensor counts, ranks, dtypes,
// compactness, element-count overflow and full shape consistency (the rules
// written next to each op kind in abi.h). With require_data, every tensor with
// elements must have a non-NULL, element-aligned data pointer, and outputs
// must respect the aliasing policy of backplane/op_contract/aliasing.hpp. Otherwise
// returns BP_ERR_INVALID_ARGUMENT (BP_ERR_UNSUPPORTED for an op kind newer
// than this header) and, when `why` is non-NULL, a message naming the op, the
// tensor by role ("CONV2D_FWD input 1 (w)") and the expected vs actual values.
//
// Data-dependent conditions (label values in range) are the executing
// backend's job; the validator never reads tensor contents.
#pragma once

#include <string>

#include "backplane/abi.h"
#include "backplane/op_contract/aliasing.hpp"
#include "backplane/op_contract/checker.hpp"
#include "backplane/op_contract/op_rules.hpp"
#include "backplane/op_contract/tensor_rules.hpp"

namespace bp::contract {

// See the file comment. Never throws.
inline bp_status check_op(const bp_op_desc& op, bool require_data, std::string* why) noexcept {
  using namespace op_check_detail;
  try {
    checker c(op, require_data);
    if (op.struct_size < sizeof(bp_op_desc))
      throw rejection{BP_ERR_INVALID_ARGUMENT, "op descriptor struct_size is " + std::to_string(op.struct_size) +
                                                   ", expected at least " + std::to_string(sizeof(bp_op_desc)) +
                                                   " (bp_op_desc v1.0)"};
    if (op.kind <= BP_OP_INVALID)
      throw rejection{BP_ERR_INVALID_ARGUMENT, "op kind " + std::to_string(op.kind) + " is not a valid op kind"};
    if (op.kind >= BP_OP_KIND_COUNT_)
      throw rejection{BP_ERR_UNSUPPORTED, "unknown op kind " + std::to_string(op.kind) + " (this build knows 1.." +
                                              std::to_string(BP_OP_KIND_COUNT_ - 1) + ", ABI v" +
                                              std::to_string(BP_ABI_VERSION_MAJOR) + "." +
                                              std::to_string(BP_ABI_VERSION_MINOR) + ")"};
    switch (op.kind) {
      case BP_OP_CONV2D_FWD:
      case BP_OP_CONV2D_BWD_DATA:
      case BP_OP_CONV2D_BWD_FILTER:
        check_conv(c);
        break;
      case BP_OP_POOL2D_FWD:
      case BP_OP_POOL2D_BWD:
        check_pool(c);
        break;
      default:
        check_simple(c);
        break;
    }
    // Aliasing needs real addresses (capability queries may pass none).
    if (require_data) return check_aliasing(op, why);
    return BP_OK;
  } catch (const rejection& r) {
    if (why) {
      try {
        *why = r.message;
      } catch (...) {
      }
    }
    return r.status;
  } catch (...) {
    if (why) {
      try {
        *why = "check_op: out of memory while validating";
      } catch (...) {
      }
    }
    return BP_ERR_OUT_OF_MEMORY;
  }
}

}  // namespace bp::contract
