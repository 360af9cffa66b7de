// conformance_modes_test.cpp — the one op harness (sdk/conformance) as a
// plugin author drives it: the op cases are data files that parse and obey
// the op contract, the op filter, and the grad, perf and support modes on the
// bundled openblas-cpu plugin (and on a plugin that crashes).
#include <cstdio>
#include <fstream>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include "backplane/conformance/conformance.hpp"
#include "backplane/runtime.h"

// The clearer names of the tensor view and the tensor handle are the same types (docs/abi.md "Tensors").
static_assert(std::is_same<bp_dltensor, bp_tensor>::value, "bp_dltensor is the DLTensor view bp_tensor");
static_assert(std::is_same<bp_tensor_handle, bp_tensor_t>::value, "bp_tensor_handle is the owning handle bp_tensor_t");

namespace {

using bp::conformance::mode;
using bp::conformance::verdict;

bp::conformance::options quick(mode m) {
  bp::conformance::options o;
  o.run_mode = m;
  o.perf_seconds = 0.02;
  return o;
}

std::string cases_text(const bp::conformance::options& o) {
  std::string all;
  for (const std::string& line : backplane_conformance_list_cases(o)) all += line + "\n";
  return all;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string failures(const bp::conformance::report& r) {
  std::string s;
  for (const auto& c : r.checks)
    if (c.result == verdict::fail) s += c.name + ": " + c.detail + "\n";
  return s;
}

}  // namespace

TEST_CASE("kit cases: the shipped case files parse, obey the op contract and cover the widened shapes") {
  const std::string test = cases_text(quick(mode::test));
  CHECK(count_of(test, "\"op\":") >= 120);
  CHECK(count_of(test, "\"dilation\":[2,2]") >= 1);         // dilation
  CHECK(count_of(test, "\"padding\":\"EXPLICIT\"") >= 4);   // explicit padding
  CHECK(count_of(test, "\"stride\":[1,2]") >= 1);           // anisotropic stride
  CHECK(count_of(test, "\"activation\":\"SIGMOID\"") >= 2);  // fused activations (conv and standalone)
  CHECK(count_of(test, "\"offset\":") >= 5);                // tensors not at the start of their memory
  CHECK(count_of(test, "\"layout\":\"NCHW\"") >= 10);
  CHECK(count_of(test, "1003") >= 1);                       // not a multiple of any vector width
  CHECK(count_of(cases_text(quick(mode::grad)), "\"op\":") >= 10);
  CHECK(count_of(cases_text(quick(mode::perf)), "\"op\":") >= 8);
}

TEST_CASE("kit op filter: a prefix selects its kinds, an unknown name is an error that lists the kinds") {
  bp::conformance::options o = quick(mode::test);
  o.ops = {"conv2d"};
  const std::string conv = cases_text(o);
  CHECK(count_of(conv, "\"op\":\"CONV2D_FWD\"") > 0);
  CHECK(count_of(conv, "\"op\":\"CONV2D_BWD_FILTER\"") > 0);
  CHECK(count_of(conv, "\"op\":") == count_of(conv, "\"op\":\"CONV2D_"));
  o.ops = {"CONV"};  // a prefix must end at '_'
  CHECK_THROWS_WITH(backplane_conformance_list_cases(o),
                    doctest::Contains("op filter 'CONV' names no op kind (an op kind or a prefix such as CONV2D: CONV2D_FWD"));
  const auto report = backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", o);
  CHECK_FALSE(report.passed());
  CHECK(failures(report).find("kit.internal") != std::string::npos);
}

TEST_CASE("kit case files: a wrong shape is refused with the file and the case named") {
  const std::string path = "conformance_modes_bad_cases.json";
  std::ofstream(path) << R"({"cases": [{"op": "ADD", "label": "bad add", "inputs": [{"shape": [3]}, {"shape": [4]}],
                                         "outputs": [{"shape": [3]}]}]})";
  bp::conformance::options o = quick(mode::support);
  o.cases_file = path;
  const auto report = backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", o);
  const std::string why = failures(report);
  CHECK(why.find(path + ": case 0 ('bad add'): breaks the op contract") != std::string::npos);
  std::ofstream(path) << R"({"cases": [{"op": "GEMM", "attrs": {"transpose_a": 1}, "inputs": [], "outputs": []}]})";
  CHECK(failures(backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", o)).find("attrs.transpose_a is not an attribute") !=
        std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("kit support mode: openblas-cpu's claims per case, in a child process") {
  bp::conformance::options o = quick(mode::support);
  o.ops = {"GEMM", "CONV2D_FWD"};
  const auto report = backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", o);
  INFO(report.text());
  CHECK(report.passed());
  CHECK(report.plugin_name == "openblas-cpu");
  REQUIRE(report.measurements.size() >= 10);
  size_t claimed = 0;
  for (const auto& m : report.measurements) {
    CHECK((m.op == "GEMM" || m.op == "CONV2D_FWD"));
    CHECK_FALSE(m.label.empty());
    claimed += m.claimed;
  }
  CHECK(claimed > 0);
  CHECK(report.json().find("\"measurements\"") != std::string::npos);
}

TEST_CASE("kit perf mode: rates and fractions of the measured peaks") {
  bp::conformance::options o = quick(mode::perf);
  o.ops = {"GEMM", "ADD"};
  const auto report = backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", o);
  INFO(report.text());
  CHECK(report.passed());
  CHECK(report.peak_gflops > 0);
  CHECK(report.peak_gbytes > 0);
  bool gemm = false, add = false;
  for (const auto& m : report.measurements) {
    if (!m.claimed) continue;
    CHECK(m.seconds > 0);
    CHECK(m.fraction_of_peak > 0);
    if (m.op == "GEMM" && m.label.find("peak") == std::string::npos) gemm = m.compute_bound && m.gflops > 0;
    if (m.op == "ADD") add = !m.compute_bound && m.gbytes > 0;
  }
  CHECK(gemm);
  CHECK(add);
  CHECK(report.text().find("of the measured GFLOP/s peak") != std::string::npos);
}

TEST_CASE("kit grad mode: every backward op of openblas-cpu matches finite differences of its forward op") {
  const auto report = backplane_conformance_run(BACKPLANE_OPENBLAS_PLUGIN_PATH, "", quick(mode::grad));
  INFO(report.text());
  CHECK(report.passed());
  size_t passed = 0;
  for (const auto& c : report.checks) passed += c.name.rfind("grad.", 0) == 0 && c.result == verdict::pass;
  CHECK(passed == 7);  // CONV2D_BWD_DATA, CONV2D_BWD_FILTER, ACTIVATION_BWD, POOL2D_BWD, SOFTMAX_BWD, SOFTMAX_XENT_BWD, BIAS_GRAD
}

TEST_CASE("kit grad mode: a backward op that is not the gradient of its forward op fails, naming both") {
  bp::conformance::options o = quick(mode::grad);
  const auto good = backplane_conformance_run(BACKPLANE_PARTIAL_PLUGIN_PATH, "", o);
  INFO(good.text());
  CHECK(good.passed());
  const auto bad = backplane_conformance_run(BACKPLANE_BADGRAD_PLUGIN_PATH, "", o);
  INFO(bad.text());
  CHECK_FALSE(bad.passed());
  const std::string why = failures(bad);
  CHECK(why.find("grad.ACTIVATION_BWD: ACTIVATION_FWD activation=SIGMOID (4,9): directional derivative") == 0);
  CHECK(why.find("finite differences of ACTIVATION_FWD give") != std::string::npos);
  CHECK(why.find("grad.CONV2D") == std::string::npos);  // declined ops are skips, not failures
}

TEST_CASE("kit support and perf modes on a partial plugin: its claims, its reasons, no failure") {
  const auto support = backplane_conformance_run(BACKPLANE_PARTIAL_PLUGIN_PATH, "", quick(mode::support));
  INFO(support.text());
  CHECK(support.passed());
  size_t claimed = 0, declined = 0;
  for (const auto& m : support.measurements) {
    claimed += m.claimed;
    declined += !m.claimed;
    if (m.claimed) CHECK(m.op.rfind("ACTIVATION_", 0) == 0);
    else CHECK(m.reason.find("implements activations only, not " + m.op) != std::string::npos);
  }
  CHECK(claimed >= 10);
  CHECK(declined >= 100);
  const auto perf = backplane_conformance_run(BACKPLANE_PARTIAL_PLUGIN_PATH, "", quick(mode::perf));
  INFO(perf.text());
  CHECK(perf.passed());
  CHECK(perf.peak_gflops == 0);  // declined the GEMMs: no compute peak to speak of
  CHECK(perf.peak_gbytes > 0);   // its activation ran
}

#ifdef BACKPLANE_CRASHING_PLUGIN_PATH
TEST_CASE("kit support and perf modes on a plugin that crashes: a FAIL, not a dead kit") {
  for (mode m : {mode::support, mode::perf}) {
    const auto report = backplane_conformance_run(BACKPLANE_CRASHING_PLUGIN_PATH, "", quick(m));
    INFO(report.text());
    CHECK_FALSE(report.passed());
    CHECK(failures(report).find(std::string(bp::conformance::mode_name(m)) + ".no_crash") != std::string::npos);
  }
}
#endif
