// test_plugin_loading.cpp — third-party plugins in the current core:
//   - the template plugin built out of tree against the installed SDK is found
//     through BACKPLANE_PLUGIN_PATH, selected over openblas-cpu, and an op it
//     declines runs through per-op fallback (test case "template: ...", run by
//     CTest with the walkthrough's build folder in BACKPLANE_PLUGIN_PATH);
//   - a C plugin built against the frozen v1.0 ABI header loads and runs;
//   - the template built with clang++ -stdlib=libc++ loads into this
//     g++/libstdc++ core and runs.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"

namespace {

// A hermetic runtime over exactly one plugin file.
bp::runtime runtime_for(const char* file, const char* name) {
  bp_runtime_options o = bp::runtime::options();
  const char* paths[1] = {file};
  o.plugin_paths = paths;
  o.num_plugin_paths = 1;
  o.explicit_paths_only = 1;
  o.use_environment = 0;
  o.backends = name;
  return bp::runtime(o);
}

void check_add(const bp::runtime& rt) {
  bp::tensor a = rt.empty({2, 3}), b = rt.empty({2, 3}), c = rt.empty({2, 3});
  a.write(std::vector<float>{1, 2, 3, 4, 5, 6});
  b.write(std::vector<float>{0.5f, 0.5f, 0.5f, -1, -1, -1});
  rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
  CHECK(c.read<float>() == std::vector<float>{1.5f, 2.5f, 3.5f, 3, 4, 5});
  CHECK(rt.placement().ops_on_backend == 1);
}

}  // namespace

TEST_CASE("template: found via BACKPLANE_PLUGIN_PATH, preferred, declined ops fall back per op") {
  const char* dir = std::getenv("BACKPLANE_PLUGIN_PATH");
  REQUIRE_MESSAGE(dir != nullptr, "run through CTest: it sets BACKPLANE_PLUGIN_PATH to the template's build folder");
  bp_runtime_options o = bp::runtime::options();
  o.fallback = BP_FALLBACK_ALLOW;  // keep the test output quiet; events are still recorded
  bp::runtime rt(o);               // environment-driven discovery, no backend list
  CHECK(rt.backend() == "template");
  bool saw_openblas = false;
  for (const bp_plugin_info& info : rt.plugins()) saw_openblas |= std::string(info.name) == "openblas-cpu";
  CHECK_MESSAGE(saw_openblas, "openblas-cpu should be discovered too (it is the per-op fallback)");
  CHECK(rt.device().kind == BP_DEVICE_KIND_OTHER);

  // Claimed: runs on the template.
  bp::tensor a = rt.empty({3}), b = rt.empty({3}), c = rt.empty({3});
  a.write(std::vector<float>{1, 2, 3});
  b.write(std::vector<float>{4, 5, 6});
  rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
  CHECK(c.read<float>() == std::vector<float>{5, 7, 9});

  // Declined (SUB): the core moves it to the CPU plugin and records why.
  std::string reason;
  CHECK_FALSE(rt.supports(BP_OP_SUB, nullptr, {&a, &b}, {&c}, &reason));
  CHECK(reason.find("template plugin implements") != std::string::npos);
  rt.run(BP_OP_SUB, nullptr, {&b, &a}, {&c});
  CHECK(c.read<float>() == std::vector<float>{3, 3, 3});

  const bp_placement_stats stats = rt.placement();
  CHECK(stats.ops_on_backend == 1);
  CHECK(stats.ops_on_fallback == 1);
  CHECK(stats.bytes_moved > 0);
  bool saw_op_fallback = false;
  for (const bp_event& e : rt.events()) {
    if (e.kind != BP_EVENT_OP_FALLBACK) continue;
    saw_op_fallback = true;
    CHECK(e.op == BP_OP_SUB);
    CHECK(std::string(e.plugin) == "template");
    CHECK(std::string(e.selected) == "openblas-cpu");
    CHECK(std::string(e.message).find("template plugin implements") != std::string::npos);
  }
  CHECK(saw_op_fallback);
}

TEST_CASE("abi: a C plugin built against the frozen v1.0 header loads and runs in this core") {
  bp::runtime rt = runtime_for(BACKPLANE_TEST_ABI_V1_0_PLUGIN, "abi-v1-0");
  CHECK(rt.backend() == "abi-v1-0");
  for (const bp_plugin_info& info : rt.plugins())
    if (info.selected) {
      CHECK(info.abi_major == 1);
      CHECK(info.abi_minor == 0);
    }
  check_add(rt);
}

TEST_CASE("abi: the template built with clang++ -stdlib=libc++ runs in this libstdc++ core") {
  bp::runtime rt = runtime_for(BACKPLANE_TEST_LIBCXX_PLUGIN, "template");
  CHECK(rt.backend() == "template");
  check_add(rt);
  // GEMM too: exercises the C++ inside the plugin (std::string, exceptions in guard()).
  bp::tensor a = rt.empty({2, 2}), b = rt.empty({2, 2}), c = rt.empty({2, 2});
  a.write(std::vector<float>{1, 2, 3, 4});
  b.write(std::vector<float>{1, 0, 0, 1});
  bp_gemm_attrs g = bp::init_struct<bp_gemm_attrs>();
  g.alpha = 2.0f;
  rt.run(BP_OP_GEMM, &g, {&a, &b}, {&c});
  CHECK(c.read<float>() == std::vector<float>{2, 4, 6, 8});
  // A refused op travels back as an error with the plugin's message (the
  // libc++ std::string built it; only a C string crossed the ABI).
  bp::tensor wrong = rt.empty({3, 3});
  CHECK_THROWS_WITH_AS(rt.run(BP_OP_GEMM, &g, {&a, &wrong}, {&c}), doctest::Contains("inner dimension"), bp::error);
}
