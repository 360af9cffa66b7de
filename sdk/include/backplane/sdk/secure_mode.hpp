// backplane/sdk/secure_mode.hpp — the secure-mode rule for plugin authors. The
// rule lives beneath the ABI in backplane/secure_mode.hpp (installed with the
// core headers), so the core and every plugin apply the same one.
#pragma once

#include "backplane/secure_mode.hpp"

namespace bp::sdk {
using bp::contract::secure_mode;
using bp::contract::secure_mode_reason;
using bp::contract::setting_names_a_location;
}  // namespace bp::sdk
