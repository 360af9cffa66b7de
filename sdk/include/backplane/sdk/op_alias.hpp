// backplane/sdk/op_alias.hpp — which outputs of an op may share memory with
// which tensors. The policy is part of the op contract and lives in
// backplane/op_contract/aliasing.hpp (installed with the core headers); this
// header re-exports it for plugin authors.
#pragma once

#include "backplane/op_contract/aliasing.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::sdk {
using bp::contract::check_aliasing;
}  // namespace bp::sdk
