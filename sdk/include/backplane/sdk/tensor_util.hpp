// backplane/sdk/tensor_util.hpp — small header-only helpers on bp_tensor and op
// descriptors (names, dtypes, shapes, conv/pool geometry) for plugin authors.
//
// They are part of the op contract and live beneath the ABI in
// backplane/op_contract/tensor_rules.hpp (installed with the core headers), so
// the core's validator and every backend share one definition of the shape
// rules; this header makes them available as bp::sdk::*.
#pragma once

#include "backplane/op_contract/tensor_rules.hpp"

namespace bp::sdk {
using namespace bp::contract;
}  // namespace bp::sdk
