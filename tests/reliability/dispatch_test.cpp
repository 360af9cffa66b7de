// dispatch_test.cpp — the one op path of the core (core/src/op_dispatch.cpp):
// per-op fallback for a CPU plugin that covers only part of the op set, the
// single-synchronisation staging of a fallback from a device backend, and the
// entry guard that turns an exception inside the core into a status and a
// message instead of std::terminate.
#include <dlfcn.h>

#include "support.hpp"

using namespace rel;

namespace {

std::vector<bp_event> events_of(bp::runtime& rt) { return rt.events(); }

// op_supports calls the fake plugin in `folder` has answered so far (it is loaded by the runtime).
uint64_t supports_calls(const std::string& folder) {
  void* lib = dlopen((folder + "/libbackplane-fakegpu.so").c_str(), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE_MESSAGE(lib != nullptr, "the fake plugin is not loaded");
  auto count = reinterpret_cast<uint64_t (*)()>(dlsym(lib, "fake_op_supports_calls"));
  const bool exported = count != nullptr;
  REQUIRE(exported);
  const uint64_t n = count();
  dlclose(lib);
  return n;
}

}  // namespace

TEST_SUITE("dispatch") {

TEST_CASE("a CPU plugin that covers only part of the op set is the backend: the ops it declines run on openblas-cpu") {
  const std::string partial = fake_plugin_dir("cpu");  // 'fakecpu', CPU-kind, implements only FILL
  REQUIRE(!partial.empty());
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({partial, openblas_plugin_path()});
  h.o.backends = "fakecpu";
  bp::runtime rt(h.o);
  REQUIRE(std::string(rt.backend()) == "fakecpu");
  bp::tensor a = rt.empty({4}), b = rt.empty({4}), c = rt.empty({4});
  a.write(std::vector<float>{1, 2, 3, 4});
  b.write(std::vector<float>{10, 20, 30, 40});
  for (int step = 0; step < 3; ++step) rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
  CHECK(c.read<float>() == std::vector<float>{11, 22, 33, 44});
  // In place (c = a + b with c being a): aliasing survives the fallback.
  rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&a});
  CHECK(a.read<float>() == std::vector<float>{11, 22, 33, 44});
  // FILL stays on the partial plugin.
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 3.0f};
  rt.run(BP_OP_FILL, &fill, {}, {&c});
  CHECK(c.read<float>() == std::vector<float>{3, 3, 3, 3});
  bp_placement_stats stats = rt.placement();
  CHECK(stats.ops_on_fallback == 4);
  CHECK(stats.ops_on_backend == 1);
  // Reported once, naming both plugins and the decline.
  std::vector<bp_event> ev = events_of(rt);
  int op_fallbacks = 0;
  for (const bp_event& e : ev)
    if (e.kind == BP_EVENT_OP_FALLBACK) {
      ++op_fallbacks;
      CHECK(e.op == BP_OP_ADD);
      CHECK(std::string(e.plugin) == "fakecpu");
      CHECK(std::string(e.selected) == "openblas-cpu");
      CHECK(std::string(e.message).find("implements only FILL") != std::string::npos);
    }
  CHECK(op_fallbacks == 1);
}

TEST_CASE("a partial CPU plugin alone: a declined op is UNSUPPORTED and says no other CPU plugin can run it") {
  hermetic_options h({fake_plugin_dir("cpu")});
  bp::runtime rt(h.o);
  bp::tensor a = rt.empty({2}), b = rt.empty({2}), c = rt.empty({2});
  bp_tensor_t in[] = {a.get(), b.get()}, out[] = {c.get()};
  CHECK(bp_op_run(rt.get(), BP_OP_ADD, nullptr, in, 2, out, 1) == BP_ERR_UNSUPPORTED);
  REL_CHECK_MSG("implements only FILL");
  REL_CHECK_MSG("no other CPU plugin is available");
}

TEST_CASE("fallback from a device whose copies complete only at synchronisation: inputs, outputs and in-place ops are exact") {
  // gpu_deferred queues every mem_copy until stream_synchronize: a fallback that
  // forgot to wait for its device-to-host copies would compute on garbage.
  const std::string gpu = fake_plugin_dir("gpu_deferred");
  REQUIRE(!gpu.empty());
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({gpu, openblas_plugin_path()});
  bp::runtime rt(h.o);
  REQUIRE(std::string(rt.backend()) == "fakegpu");
  const int n = 1000;
  std::vector<float> x(n), y(n), want(n);
  for (int i = 0; i < n; ++i) x[i] = float(i), y[i] = float(2 * i + 1), want[i] = x[i] + y[i];
  bp::tensor a = rt.empty({n}), b = rt.empty({n}), c = rt.empty({n});
  a.write(x);
  b.write(y);
  for (int step = 0; step < 5; ++step) {  // recycled buffers: every step is as exact as the first
    rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
    CHECK(c.read<float>() == want);
  }
  rt.run(BP_OP_MUL, nullptr, {&c, &b}, {&c});  // in place through the staged buffers
  std::vector<float> got = c.read<float>();
  CHECK(got[1] == want[1] * y[1]);
  CHECK(got[n - 1] == want[n - 1] * y[n - 1]);
  CHECK(rt.placement().ops_on_fallback == 6);
}

TEST_CASE("an exception thrown into the core (a plugin kernel that throws) comes back as a status and a message") {
  const std::string throwy = fake_plugin_dir("execute_throws");
  REQUIRE(!throwy.empty());
  hermetic_options h({throwy});
  bp::runtime rt(h.o);
  bp::tensor y = rt.empty({4});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  bp_tensor_t out[] = {y.get()};
  for (int attempt = 0; attempt < 2; ++attempt) {
    CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, out, 1) == BP_ERR_INTERNAL);
    CHECK(bp_last_error_status() == BP_ERR_INTERNAL);
    REL_CHECK_MSG("bp_op_run: ");
    REL_CHECK_MSG("fake kernel threw (FAKE_EXECUTE_THROWS)");
    REL_CHECK_MSG("caught at the C ABI boundary");
  }
  // The runtime keeps working: memory traffic and queries still answer.
  y.write(std::vector<float>{1, 2, 3, 4});
  CHECK(y.read<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK(!rt.report_json().empty());
}

TEST_CASE("the backend is asked once per op signature, not once per call") {
  const std::string gpu = fake_plugin_dir("gpu");
  REQUIRE(!gpu.empty());
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({gpu, openblas_plugin_path()});
  bp::runtime rt(h.o);
  REQUIRE(std::string(rt.backend()) == "fakegpu");
  bp::tensor a = rt.empty({8}), b = rt.empty({8}), c = rt.empty({8}), d = rt.empty({3});
  a.write(std::vector<float>(8, 1.0f));
  b.write(std::vector<float>(8, 2.0f));
  const uint64_t before = supports_calls(gpu);
  for (int step = 0; step < 10; ++step) rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
  CHECK(supports_calls(gpu) - before == 1);  // declined once, the verdict kept
  CHECK(c.read<float>() == std::vector<float>(8, 3.0f));
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 4.0f}, fill5{sizeof(bp_scalar_attrs), 5.0f};
  for (int step = 0; step < 5; ++step) rt.run(BP_OP_FILL, &fill, {}, {&c});
  CHECK(supports_calls(gpu) - before == 2);  // a new signature: asked once
  rt.run(BP_OP_FILL, &fill5, {}, {&c});      // other attribute values: another signature
  rt.run(BP_OP_FILL, &fill, {}, {&d});       // another shape: another signature
  CHECK(supports_calls(gpu) - before == 4);
  CHECK(c.read<float>() == std::vector<float>(8, 5.0f));
  CHECK(rt.placement().ops_on_backend == 7);
  CHECK(rt.placement().ops_on_fallback == 10);
}

}  // TEST_SUITE
