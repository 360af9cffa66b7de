// backplane/sdk/op_check.hpp — the op validator for plugin authors.
//
//   bp_status bp::sdk::check_op(const bp_op_desc& op, bool require_data, std::string* why);
//
// The contract itself lives beneath the ABI, next to abi.h, in
// backplane/op_contract.hpp (installed with the core headers), so the core and
// every plugin check the same rules. Under the Backplane core a plugin need not
// call it: the core validates every op before op_supports / op_execute (see
// docs/abi.md, "Who checks what"). A plugin that other hosts call directly
// checks with this.
#pragma once

#include "backplane/op_contract.hpp"
#include "backplane/sdk/op_alias.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::sdk {
using bp::contract::check_op;
}  // namespace bp::sdk
