// backplane/conformance/doctest.hpp — run the conformance kit as doctest cases.
//
// In ONE test source of your plugin's test program:
//
//   #define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
//   #include <doctest/doctest.h>
//   #include <backplane/conformance/doctest.hpp>
//   BACKPLANE_CONFORMANCE_TEST_CASES("path/to/libbackplane-mine.so", "")
//
// The kit runs once; each of its checks becomes one doctest CHECK carrying the
// check's detail, so a failure reads "ops.GEMM: GEMM m=7 k=5 n=3: element 4 ...".
// The paths may be expressions (e.g. std::getenv results).
#pragma once

#include <doctest/doctest.h>

#include "backplane/conformance/conformance.hpp"

#define BACKPLANE_CONFORMANCE_TEST_CASES(plugin_path_expr, reference_path_expr)                   \
  TEST_CASE("backplane conformance") {                                                           \
    const std::string bp_conf_plugin = (plugin_path_expr);                                       \
    const std::string bp_conf_reference = (reference_path_expr);                                 \
    const bp::conformance::report bp_conf_report =                                               \
        backplane_conformance_run(bp_conf_plugin, bp_conf_reference, bp::conformance::options{}); \
    for (const auto& bp_conf_check : bp_conf_report.checks) {                                    \
      if (bp_conf_check.result == bp::conformance::verdict::skip)                                \
        MESSAGE("skipped: " << bp_conf_check.name << ": " << bp_conf_check.detail);              \
      CHECK_MESSAGE(bp_conf_check.result != bp::conformance::verdict::fail,                      \
                    bp_conf_check.name << ": " << bp_conf_check.detail);                         \
    }                                                                                            \
  }
