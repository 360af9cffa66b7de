// oom_test.cpp — allocation failures on the host and (simulated) on the
// device: a clean error naming the sizes, an event where the contract says
// so, and a runtime that keeps working afterwards.
//
// Device OOM is simulated with the fault clause `PLUGIN:oom_at_execute`: the
// core fails every op the named plugin would execute with
// BP_ERR_OUT_OF_MEMORY (message names the op and its bytes), records a
// BP_EVENT_RUNTIME_FAILURE (once per op kind), and - for a GPU backend with
// per-op fallback on - retries the op on the CPU plugin like a real OOM.
#include "support.hpp"

using namespace rel;

namespace {

const bp_event* find_event(const std::vector<bp_event>& events, bp_event_kind kind, bp_op_kind op) {
  for (const bp_event& e : events)
    if (e.kind == kind && e.op == op) return &e;
  return nullptr;
}

}  // namespace

TEST_SUITE("oom") {

TEST_CASE("host: a 2^40-float tensor fails with the size; the runtime keeps working") {
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({openblas_plugin_path()});
  bp::runtime rt(h.o);
  for (int attempt = 0; attempt < 3; ++attempt) {
    int64_t shape[] = {int64_t(1) << 20, int64_t(1) << 20};
    bp_tensor_t t = nullptr;
    CHECK(bp_tensor_create(rt.get(), bp::f32, 2, shape, &t) == BP_ERR_OUT_OF_MEMORY);
    REL_CHECK_MSG("4398046511104 bytes");
    REL_CHECK_MSG("openblas-cpu");
    CHECK(t == nullptr);
  }
  // Still usable: allocate, run, read.
  bp::tensor y = rt.empty({1000});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 7.0f};
  rt.run(BP_OP_FILL, &fill, {}, {&y});
  CHECK(y.read<float>()[999] == 7.0f);
  CHECK(rt.events().empty());  // a failed allocation is the caller's error, not a backend event
}

TEST_CASE("device OOM on the selected CPU backend (oom_at_execute): error with sizes, one event, runtime usable") {
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({openblas_plugin_path()}, "openblas-cpu:oom_at_execute");
  bp::runtime rt(h.o);
  bp::tensor a = rt.empty({8, 4}), b = rt.empty({8, 4}), c = rt.empty({8, 4});
  a.write(std::vector<float>(32, 1.0f));
  b.write(std::vector<float>(32, 2.0f));
  bp_tensor_t in[] = {a.get(), b.get()}, out[] = {c.get()};
  for (int attempt = 0; attempt < 3; ++attempt) {
    CHECK(bp_op_run(rt.get(), BP_OP_ADD, nullptr, in, 2, out, 1) == BP_ERR_OUT_OF_MEMORY);
    REL_CHECK_MSG("[openblas-cpu] op_execute");
    REL_CHECK_MSG("ADD");
    REL_CHECK_MSG("256 bytes of inputs, 128 bytes of outputs");
    REL_CHECK_MSG("injected by BACKPLANE_FAULT openblas-cpu:oom_at_execute");
  }
  std::vector<bp_event> events = rt.events();
  const bp_event* e = find_event(events, BP_EVENT_RUNTIME_FAILURE, BP_OP_ADD);
  REQUIRE_MESSAGE(e != nullptr, "no BP_EVENT_RUNTIME_FAILURE recorded for ADD");
  CHECK(std::string(e->plugin) == "openblas-cpu");
  CHECK(std::string(e->selected).empty());  // nothing ran it instead
  CHECK(e->cause == BP_CAUSE_OUT_OF_MEMORY);
  CHECK(e->stage == BP_STAGE_EXECUTE);
  CHECK(std::string(e->message).find("256 bytes of inputs") != std::string::npos);
  CHECK(events.size() == 1);  // repeated failures of one op kind are recorded once
  // Usable afterwards: memory traffic, queries and the report still work, and name the event.
  c.write(std::vector<float>(32, 5.0f));
  CHECK(c.read<float>()[31] == 5.0f);
  std::string json = rt.report_json();
  CHECK(json.find("runtime_failure") != std::string::npos);
  CHECK(rt.placement().ops_on_backend == 0);
  // Another kind gets its own event.
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, out, 1) == BP_ERR_OUT_OF_MEMORY);
  CHECK(rt.events().size() == 2);
  // A runtime without the fault, in the same process, is unaffected.
  hermetic_options clean({openblas_plugin_path()});
  bp::runtime ok(clean.o);
  bp::tensor x = ok.empty({4}), y = ok.empty({4}), z = ok.empty({4});
  x.write(std::vector<float>{1, 2, 3, 4});
  y.write(std::vector<float>{1, 1, 1, 1});
  ok.run(BP_OP_ADD, nullptr, {&x, &y}, {&z});
  CHECK(z.read<float>() == std::vector<float>{2, 3, 4, 5});
}

TEST_CASE("device OOM on a GPU backend (oom_at_execute): retried on the CPU plugin, event names both") {
  const std::string gpu = fake_plugin_dir("gpu"), cpu = fake_plugin_dir("cpu");
  if (gpu.empty()) {
    MESSAGE("SKIP: the fake plugins of tests/core are not part of this build");
    return;
  }
  hermetic_options h({gpu, cpu}, "fakegpu:oom_at_execute");
  bp::runtime rt(h.o);
  REQUIRE(rt.backend() == "fakegpu");
  bp::tensor y = rt.empty({16});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 4.5f};
  for (int i = 0; i < 3; ++i) rt.run(BP_OP_FILL, &fill, {}, {&y});  // succeeds through the fallback
  CHECK(y.read<float>() == std::vector<float>(16, 4.5f));
  std::vector<bp_event> events = rt.events();
  const bp_event* e = find_event(events, BP_EVENT_RUNTIME_FAILURE, BP_OP_FILL);
  REQUIRE(e != nullptr);
  CHECK(std::string(e->plugin) == "fakegpu");
  CHECK(std::string(e->selected) == "fakecpu");
  CHECK(e->cause == BP_CAUSE_OUT_OF_MEMORY);
  CHECK(std::string(e->message).find("64 bytes of outputs") != std::string::npos);
  int failures = 0;
  for (const bp_event& ev : events) failures += ev.kind == BP_EVENT_RUNTIME_FAILURE;
  CHECK(failures == 1);
  bp_placement_stats p = rt.placement();
  CHECK(p.ops_on_fallback == 3);
  CHECK(p.ops_on_backend == 0);
}

TEST_CASE("device OOM with BACKPLANE_FALLBACK=error: no retry, the OOM is returned") {
  const std::string gpu = fake_plugin_dir("gpu"), cpu = fake_plugin_dir("cpu");
  if (gpu.empty()) {
    MESSAGE("SKIP: the fake plugins of tests/core are not part of this build");
    return;
  }
  hermetic_options h({gpu, cpu}, "fakegpu:oom_at_execute");
  h.o.fallback = BP_FALLBACK_ERROR;
  bp::runtime rt(h.o);
  bp::tensor y = rt.empty({16});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  bp_tensor_t out[] = {y.get()};
  CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, out, 1) == BP_ERR_OUT_OF_MEMORY);
  REL_CHECK_MSG("[fakegpu] op_execute");
  REL_CHECK_MSG("64 bytes of outputs");
  CHECK(rt.placement().ops_on_fallback == 0);
  const std::vector<bp_event> events = rt.events();
  const bp_event* e = find_event(events, BP_EVENT_RUNTIME_FAILURE, BP_OP_FILL);
  REQUIRE(e != nullptr);
  CHECK(std::string(e->selected).empty());
}

TEST_CASE("the oom_at_execute clause is validated like every fault") {
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({openblas_plugin_path()}, "openblas-cpu:oom_at_execute=3");
  bp_runtime_t rt = nullptr;
  REL_CHECK_FAIL(bp_runtime_create(&h.o, &rt), BP_ERR_INVALID_ARGUMENT, "fault 'oom_at_execute' takes no argument");
  CHECK(rt == nullptr);
}

}  // TEST_SUITE
