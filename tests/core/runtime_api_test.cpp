// Host API: tensors, ops, per-op fallback, bad input and threads.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "fixtures.hpp"

using namespace fixtures;

TEST_CASE("tensors: create, write, read, reshape; bad arguments are named") {
  hermetic_options h({fake_dir("cpu")});
  bp::runtime rt(h.o);
  bp::tensor t = rt.empty({2, 3});
  CHECK(t.nbytes() == 24);
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  t.write(v);
  CHECK(t.read<float>() == v);
  t.reshape({6});
  CHECK(t.shape() == std::vector<int64_t>{6});
  CHECK_THROWS_WITH_AS(t.reshape({4}), doctest::Contains("new shape has 4 elements, tensor has 6"), bp::error);
  CHECK(bp_tensor_write(t.get(), v.data(), 8) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("8 bytes given, tensor holds 24") != std::string::npos);

  bp_tensor_t out = nullptr;
  int64_t neg[] = {2, -1};
  CHECK(bp_tensor_create(rt.get(), bp::f32, 2, neg, &out) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("shape[1] is negative") != std::string::npos);
  int64_t huge[] = {INT64_MAX, INT64_MAX};
  CHECK(bp_tensor_create(rt.get(), bp::f32, 2, huge, &out) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("overflows") != std::string::npos);
  CHECK(bp_tensor_create(rt.get(), bp::f32, 9, neg, &out) == BP_ERR_INVALID_ARGUMENT);
  CHECK(bp_tensor_create(rt.get(), bp_dtype{BP_DTYPE_FLOAT, 32, 4}, 1, neg, &out) == BP_ERR_INVALID_ARGUMENT);
  CHECK(bp_tensor_create(nullptr, bp::f32, 1, neg, &out) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("runtime handle is NULL") != std::string::npos);
}

TEST_CASE("tensors: a GPU-kind write returns at once, yet the caller may reuse its buffer and reads see the bytes") {
  // The fake GPU reads a host source only when its stream is synchronised, as a
  // GPU may: the core must keep its own copy of written bytes until then.
  hermetic_options h({fake_dir("gpu_deferred")});
  bp::runtime rt(h.o);
  REQUIRE(rt.backend() == "fakegpu");
  bp::tensor a = rt.empty({64}), b = rt.empty({64});
  std::vector<float> buffer(64);
  for (int i = 0; i < 64; ++i) buffer[size_t(i)] = float(i);
  const std::vector<float> first = buffer;
  a.write(buffer);
  for (auto& x : buffer) x = -1.0f;  // reused by the caller before any synchronisation
  b.write(buffer);
  for (auto& x : buffer) x = 99.0f;
  CHECK(a.read<float>() == first);
  CHECK(b.read<float>() == std::vector<float>(64, -1.0f));
  // Ordered: the later of two writes to one tensor wins; a write after a read is seen.
  a.write(std::vector<float>(64, 3.0f));
  a.write(std::vector<float>(64, 4.0f));
  CHECK(a.read<float>() == std::vector<float>(64, 4.0f));
  // Many writes with no read in between: staged copies are bounded and all land.
  for (int i = 0; i < 200; ++i) b.write(std::vector<float>(64, float(i)));
  rt.synchronize();
  CHECK(b.read<float>() == std::vector<float>(64, 199.0f));
  // Past the staging limit (32 MiB) the core synchronises and recycles its buffers; every write still lands.
  bp::tensor big = rt.empty({1 << 20});  // 4 MiB
  for (int i = 0; i < 20; ++i) big.write(std::vector<float>(size_t(1) << 20, float(i)));
  const std::vector<float> last = big.read<float>();
  CHECK(last.front() == 19.0f);
  CHECK(last.back() == 19.0f);
}

TEST_CASE("ops: handles are validated (null, destroyed, foreign runtime)") {
  hermetic_options h({fake_dir("cpu")});
  bp::runtime rt(h.o), other(h.o);
  bp::tensor y = rt.empty({4});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 2.5f};
  rt.run(BP_OP_FILL, &fill, {}, {&y});
  CHECK(y.read<float>() == std::vector<float>(4, 2.5f));

  bp_tensor_t null_out[] = {nullptr};
  CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, null_out, 1) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("output 0 is NULL") != std::string::npos);

  bp_tensor_t dead = nullptr;
  int64_t shape[] = {4};
  REQUIRE(bp_tensor_create(rt.get(), bp::f32, 1, shape, &dead) == BP_OK);
  bp_tensor_destroy(dead);
  CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, &dead, 1) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("not a live tensor") != std::string::npos);
  bp_tensor_destroy(dead);  // double destroy: logged and ignored, no crash

  bp::tensor foreign = other.empty({4});
  bp_tensor_t f = foreign.get();
  CHECK(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, &f, 1) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("belongs to another runtime") != std::string::npos);

  CHECK(bp_op_run(rt.get(), 999, nullptr, nullptr, 0, nullptr, 0) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("unknown op kind 999") != std::string::npos);
}

TEST_CASE("ops: an op the CPU backend declines is a clear UNSUPPORTED error") {
  hermetic_options h({fake_dir("cpu")});
  bp::runtime rt(h.o);
  bp::tensor a = rt.empty({3}), b = rt.empty({3}), c = rt.empty({3});
  CHECK_FALSE(rt.supports(BP_OP_ADD, nullptr, {&a, &b}, {&c}));
  try {
    rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
    FAIL("expected an error");
  } catch (const bp::error& e) {
    CHECK(e.status() == BP_ERR_UNSUPPORTED);
    CHECK(std::string(e.what()).find("implements only FILL") != std::string::npos);
  }
}

#ifdef BACKPLANE_OPENBLAS_PLUGIN
TEST_CASE("per-op fallback: ops the GPU backend declines run on openblas-cpu, counted and reported once") {
  hermetic_options h({fake_dir("gpu"), BACKPLANE_OPENBLAS_PLUGIN});
  std::vector<std::string> events;
  h.o.on_event = [](void* user, const bp_event* e) {
    static_cast<std::vector<std::string>*>(user)->push_back(std::string(bp_op_kind_name(e->op)) + "@" + e->selected);
  };
  h.o.user_data = &events;
  bp::runtime rt(h.o);
  REQUIRE(rt.backend() == "fakegpu");
  bp::tensor a = rt.empty({3}), b = rt.empty({3}), c = rt.empty({3});
  a.write(std::vector<float>{1, 2, 3});
  b.write(std::vector<float>{10, 20, 30});
  for (int i = 0; i < 3; ++i) rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
  CHECK(c.read<float>() == std::vector<float>{11, 22, 33});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  rt.run(BP_OP_FILL, &fill, {}, {&c});  // supported by the "GPU": runs there
  auto stats = rt.placement();
  CHECK(stats.ops_on_fallback == 3);
  CHECK(stats.ops_on_backend == 1);
  CHECK(stats.bytes_moved == 3 * 36);
  REQUIRE(events.size() == 1);
  CHECK(events[0] == "ADD@openblas-cpu");
  CHECK(rt.report_json().find("\"fallback_reason\": \"fake plugin 'fakegpu' implements only FILL\"") != std::string::npos);

  // In-place ops keep their aliasing through the fallback (y aliases x in SCALE).
  bp_scalar_attrs twice{sizeof(bp_scalar_attrs), 2.0f};
  a.write(std::vector<float>{1, 2, 3});
  rt.run(BP_OP_SCALE, &twice, {&a}, {&a});
  CHECK(a.read<float>() == std::vector<float>{2, 4, 6});

  // error policy turns the per-op fallback into an error.
  hermetic_options strict({fake_dir("gpu"), BACKPLANE_OPENBLAS_PLUGIN});
  strict.o.fallback = BP_FALLBACK_ERROR;
  bp::runtime srt(strict.o);
  bp::tensor x = srt.empty({3}), y = srt.empty({3}), z = srt.empty({3});
  bp_tensor_t in[] = {x.get(), y.get()}, out[] = {z.get()};
  CHECK(bp_op_run(srt.get(), BP_OP_ADD, nullptr, in, 2, out, 1) == BP_ERR_POLICY);
  CHECK(std::string(bp_last_error_message()).find("forbids running it on the CPU") != std::string::npos);
}
#endif

TEST_CASE("config: bad environment values are errors naming the variable") {
  struct bad_env {
    const char* name;
    const char* value;
    const char* expect;
  } cases[] = {{"BACKPLANE_FALLBACK", "maybe", "BACKPLANE_FALLBACK='maybe' is not one of allow, warn, error"},
               {"BACKPLANE_LOG", "verbose", "BACKPLANE_LOG='verbose': unknown item 'verbose'"},
               {"BACKPLANE_BACKEND", "cu dnn!", "is not a plugin name"},
               {"BACKPLANE_DISABLE", "a/b", "BACKPLANE_DISABLE='a/b': 'a/b' is not a plugin name"},
               // Lists that name nothing, or have an empty item, are errors (issue #17 item 17), not "no list".
               {"BACKPLANE_BACKEND", ",,,", "BACKPLANE_BACKEND=',,,': item 1 is empty"},
               {"BACKPLANE_BACKEND", "cudnn,,openblas-cpu", "item 2 is empty"},
               {"BACKPLANE_BACKEND", "auto,cudnn", "'auto' stands alone"},
               {"BACKPLANE_DISABLE", ",,,", "BACKPLANE_DISABLE=',,,': item 1 is empty"},
               {"BACKPLANE_DISABLE", "cudnn,", "item 2 is empty"},
               {"BACKPLANE_DEP_SEARCH", "garbage", "BACKPLANE_DEP_SEARCH='garbage' is not a search mode"},
               {"BACKPLANE_SECURE_MODE", "yes", "BACKPLANE_SECURE_MODE='yes' is not 0 or 1"},
               {"BACKPLANE_ALLOW_UNSAFE_PLUGINS", "sure", "is not 0 or 1"},
               {"BACKPLANE_FAULT", "cudnn:explode", "unknown fault 'explode'"}};
  for (auto& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    scoped_env e(c.name, c.value);
    hermetic_options h({fake_dir("cpu")});
    h.o.use_environment = 1;
    bp_runtime_t rt = nullptr;
    CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(bp_last_error_message()).find(c.expect) != std::string::npos);
  }
  bp_runtime_options o;
  bp_runtime_options_init(&o);
  o.struct_size = 2;
  bp_runtime_t rt = nullptr;
  CHECK(bp_runtime_create(&o, &rt) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("struct_size 2 is too small") != std::string::npos);
  CHECK(bp_runtime_create(nullptr, nullptr) == BP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("threads: runtimes created, used and destroyed from many threads at once") {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 20; ++i) {
          hermetic_options h({fake_dir("cpu"), fake_dir("gpu_unavailable")});
          bp::runtime rt(h.o);
          bp::tensor y = rt.empty({16});
          bp_scalar_attrs fill{sizeof(bp_scalar_attrs), float(t)};
          rt.run(BP_OP_FILL, &fill, {}, {&y});
          if (y.read<float>()[15] != float(t)) ++failures;
          if (rt.report_json().find("fell_back") == std::string::npos) ++failures;
        }
      } catch (...) {
        ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
}

TEST_CASE("threads: one runtime shared by several threads, and used from a thread other than its creator") {
  hermetic_options h({fake_dir("cpu")});
  bp::runtime rt(h.o);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        bp::tensor y = rt.empty({8});
        bp_scalar_attrs fill{sizeof(bp_scalar_attrs), float(t * 1000 + i)};
        rt.run(BP_OP_FILL, &fill, {}, {&y});
        if (y.read<float>()[7] != float(t * 1000 + i)) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
}
