// skip.hpp — how a doctest case says "cannot run on this machine".
//
// A case that cannot run here (a GPU-only check without a GPU, a PyPI-only
// peer offline) calls bp_test::skip(reason) and returns. The shared test main
// (doctest_main.cpp) then ends the run with exit status 77, which every
// doctest CTest entry declares as its SKIP_RETURN_CODE, so the CTest summary
// counts the entry as skipped, with the reason in its output, never as passed.
// A skip inside an entry that also ran other cases is a failure: register a
// case that may skip as its own entry (bp_add_doctest CASE ...).
#pragma once

#include <string>

namespace bp_test {

// Records that the current test case is skipped, and prints "SKIPPED: <reason>".
void skip(const std::string& reason);

}  // namespace bp_test

// BP_SKIP(a << b ...): bp_test::skip with a message built like doctest's MESSAGE.
#include <sstream>
#define BP_SKIP(...)                    \
  do {                                  \
    std::ostringstream bp_skip_reason_; \
    bp_skip_reason_ << __VA_ARGS__;     \
    ::bp_test::skip(bp_skip_reason_.str()); \
  } while (0)
