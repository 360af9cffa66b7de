// test_conformance_doctest.cpp — the conformance kit's doctest front end
// (backplane/conformance/doctest.hpp), the way a plugin author would wire it
// into their own test program, run on the libc++ build of the template.
#include <doctest/doctest.h>

#include "backplane/conformance/doctest.hpp"

BACKPLANE_CONFORMANCE_TEST_CASES(BACKPLANE_TEST_LIBCXX_PLUGIN, "")
