// registration_selftest.cpp — cases for check_registration.sh, which proves
// the rules of the shared test main (doctest_main.cpp) on this build: a name
// with doctest's filter characters runs by its exact name, a misspelled name or
// an empty filter fails, a skip is exit 77, a skip beside a pass fails.
#include <doctest/doctest.h>

#include "skip.hpp"

TEST_CASE("selftest: a name, with commas, * and ? [brackets] runs by its exact name") { CHECK(1 + 1 == 2); }

TEST_CASE("selftest: a name, with commas, * and ? [brackets] runs by its exact name (a longer twin)") {
  CHECK(2 + 2 == 4);
}

TEST_CASE("selftest: a case that cannot run here skips") {
  BP_SKIP("this case always skips (registration self-test)");
}
