// backplane/sdk/dep_search_words.hpp — BACKPLANE_DEP_SEARCH's words and the
// "fix: " clause of a remedy, for plugin authors. The rule lives beneath the
// ABI in backplane/dep_search_words.hpp, so the core and every plugin read
// the setting the same way.
#pragma once

#include "backplane/dep_search_words.hpp"

namespace bp::sdk {
using bp::contract::dep_fix_line;
using bp::contract::dep_fix_marker;
using bp::contract::dep_search_mode;
using bp::contract::dep_with_fix;
}  // namespace bp::sdk
