// validation_test.cpp — every entry point of the core's host API (runtime.h)
// rejects bad arguments with the exact status and a message naming the
// problem: one test case per class of bad input. The plugins' raw tables are
// covered in validation_plugin_test.cpp.
#include <climits>
#include <cstring>

#include "support.hpp"

using namespace rel;

namespace {

bp::runtime openblas_runtime() {
  REQUIRE_MESSAGE(!openblas_plugin_path().empty(), "the openblas-cpu plugin is not part of this build");
  hermetic_options h({openblas_plugin_path()});
  return bp::runtime(h.o);
}

bp_tensor_t make(bp_runtime_t rt, std::vector<int64_t> shape, bp_dtype dtype = bp::f32) {
  bp_tensor_t t = nullptr;
  REQUIRE(bp_tensor_create(rt, dtype, static_cast<int32_t>(shape.size()), shape.data(), &t) == BP_OK);
  return t;
}

}  // namespace

TEST_SUITE("validation") {

TEST_CASE("names and versions accept any code without crashing") {
  bp_abi_version(nullptr, nullptr);
  uint32_t major = 0, minor = 99;
  bp_abi_version(&major, &minor);
  CHECK(major == BP_ABI_VERSION_MAJOR);
  CHECK(minor == BP_ABI_VERSION_MINOR);
  CHECK(bp_version_string() != nullptr);
  for (int32_t code : {INT32_MIN, -1, 0, 5, 99, 1000, INT32_MAX}) {
    CHECK(bp_status_name(code) != nullptr);
    CHECK(bp_cause_name(code) != nullptr);
    CHECK(bp_state_name(code) != nullptr);
    CHECK(bp_op_kind_name(code) != nullptr);
    CHECK(bp_cause_remedy(code) != nullptr);
  }
  (bp_runtime_options_init)(nullptr);  // documented no-op (the 1.0 function)
  bp_runtime_options_init_sized(nullptr, sizeof(bp_runtime_options));
}

TEST_CASE("null handles and pointers are named, never dereferenced") {
  REL_CHECK_FAIL(bp_runtime_create(nullptr, nullptr), BP_ERR_INVALID_ARGUMENT, "runtime (out) is NULL");
  bp_runtime_destroy(nullptr);
  CHECK(std::string(bp_runtime_backend(nullptr)).empty());
  bp_device_props props{};
  props.struct_size = sizeof props;
  REL_CHECK_FAIL(bp_runtime_device_props(nullptr, &props), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  REL_CHECK_FAIL(bp_runtime_synchronize(nullptr), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  CHECK(bp_runtime_plugin_count(nullptr) == 0);
  CHECK(bp_runtime_event_count(nullptr) == 0);
  bp_plugin_info info{};
  info.struct_size = sizeof info;
  REL_CHECK_FAIL(bp_runtime_plugin_info(nullptr, 0, &info), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  bp_event ev{};
  ev.struct_size = sizeof ev;
  REL_CHECK_FAIL(bp_runtime_event(nullptr, 0, &ev), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  uint64_t needed = 0;
  REL_CHECK_FAIL(bp_runtime_report_json(nullptr, nullptr, 0, &needed), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  bp_placement_stats stats{};
  stats.struct_size = sizeof stats;
  REL_CHECK_FAIL(bp_runtime_placement(nullptr, &stats), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  int64_t shape[] = {4};
  bp_tensor_t t = nullptr;
  REL_CHECK_FAIL(bp_tensor_create(nullptr, bp::f32, 1, shape, &t), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  REL_CHECK_FAIL(bp_tensor_import(nullptr, nullptr, nullptr, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  REL_CHECK_FAIL(bp_op_run(nullptr, BP_OP_FILL, nullptr, nullptr, 0, nullptr, 0), BP_ERR_INVALID_ARGUMENT,
                 "runtime handle is NULL");
  REL_CHECK_FAIL(bp_op_supported(nullptr, BP_OP_FILL, nullptr, nullptr, 0, nullptr, 0, nullptr, 0),
                 BP_ERR_INVALID_ARGUMENT, "runtime handle is NULL");
  bp_tensor_destroy(nullptr);
  CHECK(bp_tensor_view(nullptr) == nullptr);
  CHECK(bp_tensor_nbytes(nullptr) == 0);
  float buf[4];
  REL_CHECK_FAIL(bp_tensor_write(nullptr, buf, sizeof buf), BP_ERR_INVALID_ARGUMENT, "tensor is NULL or not live");
  REL_CHECK_FAIL(bp_tensor_read(nullptr, buf, sizeof buf), BP_ERR_INVALID_ARGUMENT, "tensor is NULL or not live");
  REL_CHECK_FAIL(bp_tensor_reshape(nullptr, 1, shape), BP_ERR_INVALID_ARGUMENT, "tensor is NULL or not live");

  bp::runtime rt = openblas_runtime();
  REL_CHECK_FAIL(bp_runtime_device_props(rt.get(), nullptr), BP_ERR_INVALID_ARGUMENT, "props is NULL");
  REL_CHECK_FAIL(bp_runtime_plugin_info(rt.get(), 0, nullptr), BP_ERR_INVALID_ARGUMENT, "info is NULL");
  REL_CHECK_FAIL(bp_runtime_event(rt.get(), 0, nullptr), BP_ERR_INVALID_ARGUMENT, "event is NULL");
  REL_CHECK_FAIL(bp_runtime_placement(rt.get(), nullptr), BP_ERR_INVALID_ARGUMENT, "stats is NULL");
  CHECK(bp_runtime_report_json(rt.get(), nullptr, 0, nullptr) == BP_OK);  // size query with nowhere to put it
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 1, shape, nullptr), BP_ERR_INVALID_ARGUMENT, "tensor (out) is NULL");
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 1, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "shape is NULL for ndim 1");
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), nullptr, nullptr, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "view is NULL");
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), nullptr, nullptr, nullptr, nullptr), BP_ERR_INVALID_ARGUMENT, "tensor (out) is NULL");

  bp_tensor_t x = make(rt.get(), {4});
  REL_CHECK_FAIL(bp_tensor_write(x, nullptr, 16), BP_ERR_INVALID_ARGUMENT, "host pointer is NULL");
  REL_CHECK_FAIL(bp_tensor_read(x, nullptr, 16), BP_ERR_INVALID_ARGUMENT, "host pointer is NULL");
  REL_CHECK_FAIL(bp_tensor_reshape(x, 1, nullptr), BP_ERR_INVALID_ARGUMENT, "shape NULL");
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, nullptr, 1), BP_ERR_INVALID_ARGUMENT,
                 "outputs array is NULL but its count is 1");
  bp_tensor_t none[] = {nullptr};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, none, 1), BP_ERR_INVALID_ARGUMENT, "output 0 is NULL");
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_SCALE, &fill, none, 1, &x, 1), BP_ERR_INVALID_ARGUMENT, "input 0 is NULL");
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_FILL, nullptr, nullptr, 0, &x, 1), BP_ERR_INVALID_ARGUMENT,
                 "attrs is NULL; expected a bp_scalar_attrs");
  // No reason buffer: the status still says why.
  REL_CHECK_FAIL(bp_op_supported(rt.get(), BP_OP_FILL, nullptr, nullptr, 0, &x, 1, nullptr, 0), BP_ERR_INVALID_ARGUMENT,
                 "attrs is NULL");
  char tiny[1] = {'x'};
  CHECK(bp_op_supported(rt.get(), BP_OP_FILL, nullptr, nullptr, 0, &x, 1, tiny, sizeof tiny) == BP_ERR_INVALID_ARGUMENT);
  CHECK(tiny[0] == '\0');  // truncated to nothing, but terminated
  bp_tensor_destroy(x);
}

TEST_CASE("negative, overflowing and oversized shapes fail with the size named") {
  bp::runtime rt = openblas_runtime();
  bp_tensor_t t = nullptr;
  int64_t negative[] = {3, -2};
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 2, negative, &t), BP_ERR_INVALID_ARGUMENT, "shape[1] is negative (-2)");
  CHECK(t == nullptr);
  int64_t overflow[] = {int64_t(1) << 32, int64_t(1) << 32};  // 2^64 elements: the product overflows 64 bits
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 2, overflow, &t), BP_ERR_INVALID_ARGUMENT, "overflows");
  int64_t max_dims[] = {INT64_MAX, INT64_MAX, INT64_MAX};
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 3, max_dims, &t), BP_ERR_INVALID_ARGUMENT, "overflows");
  int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, 9, nine, &t), BP_ERR_INVALID_ARGUMENT, "ndim 9 is outside 0..8");
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp::f32, -1, nine, &t), BP_ERR_INVALID_ARGUMENT, "ndim -1 is outside 0..8");
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp_dtype{BP_DTYPE_FLOAT, 12, 1}, 1, nine, &t), BP_ERR_INVALID_ARGUMENT,
                 "unsupported dtype (code 2, bits 12, lanes 1)");
  REL_CHECK_FAIL(bp_tensor_create(rt.get(), bp_dtype{7, 32, 1}, 1, nine, &t), BP_ERR_INVALID_ARGUMENT, "unsupported dtype");

  // 2^40 floats = 4 TiB: more than this machine has; a clean error naming the size.
  int64_t huge[] = {int64_t(1) << 40};
  bp_status s = bp_tensor_create(rt.get(), bp::f32, 1, huge, &t);
  CHECK((s == BP_ERR_OUT_OF_MEMORY || s == BP_ERR_INVALID_ARGUMENT));
  REL_CHECK_MSG("4398046511104 bytes");
  CHECK(t == nullptr);

  // Zero-sized tensors are legal and round-trip with zero bytes.
  int64_t empty[] = {0, 5};
  REQUIRE(bp_tensor_create(rt.get(), bp::f32, 2, empty, &t) == BP_OK);
  CHECK(bp_tensor_nbytes(t) == 0);
  CHECK(bp_tensor_write(t, nullptr, 0) == BP_OK);
  int64_t reshape_overflow[] = {INT64_MAX, 2};
  REL_CHECK_FAIL(bp_tensor_reshape(t, 2, reshape_overflow), BP_ERR_INVALID_ARGUMENT, "shape overflows");
  bp_tensor_destroy(t);

  bp_tensor_t x = make(rt.get(), {2, 3});
  int64_t wrong_count[] = {4};
  REL_CHECK_FAIL(bp_tensor_reshape(x, 1, wrong_count), BP_ERR_INVALID_ARGUMENT, "new shape has 4 elements, tensor has 6");
  int64_t neg_reshape[] = {-6};
  REL_CHECK_FAIL(bp_tensor_reshape(x, 1, neg_reshape), BP_ERR_INVALID_ARGUMENT, "shape[0] is negative");
  float host[6] = {};
  REL_CHECK_FAIL(bp_tensor_write(x, host, 20), BP_ERR_INVALID_ARGUMENT, "20 bytes given, tensor holds 24");
  REL_CHECK_FAIL(bp_tensor_read(x, host, 28), BP_ERR_INVALID_ARGUMENT, "28 bytes given, tensor holds 24");
  bp_tensor_destroy(x);

  // Import: the same shape rules.
  std::vector<float> mem(8);
  view v(mem.data(), {2, -4});
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &v.t, nullptr, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "shape[1] is negative");
  view big(mem.data(), {int64_t(1) << 40, int64_t(1) << 40});
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &big.t, nullptr, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "overflows");
}

TEST_CASE("strides: imported memory must be compact; COPY strides cannot reach outside 64-bit addressing") {
  bp::runtime rt = openblas_runtime();
  std::vector<float> mem(16);
  bp_tensor_t t = nullptr;
  view strided(mem.data(), {4, 2});
  strided.set_strides({4, 1});  // every other pair: not compact
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &strided.t, nullptr, nullptr, &t), BP_ERR_UNSUPPORTED,
                 "strided (non-compact) memory cannot be imported");
  view negative(mem.data(), {4});
  negative.set_strides({-1});
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &negative.t, nullptr, nullptr, &t), BP_ERR_UNSUPPORTED, "strided");
  // A compact view with explicit strides is fine, and its deleter runs exactly once.
  view compact(mem.data(), {4, 4});
  compact.set_strides({4, 1});
  int deleted = 0;
  REQUIRE(bp_tensor_import(rt.get(), &compact.t, [](void* c) { ++*static_cast<int*>(c); }, &deleted, &t) == BP_OK);
  CHECK(bp_tensor_nbytes(t) == 64);
  bp_tensor_destroy(t);
  CHECK(deleted == 1);
  bp_tensor_destroy(t);  // already destroyed: ignored, deleter not run again
  CHECK(deleted == 1);
  // The core's own tensors are compact, so every strided COPY reaches a plugin
  // only through its raw table: see validation_plugin_test.cpp.
}

TEST_CASE("dtype and device mismatches are rejected by role") {
  bp::runtime rt = openblas_runtime();
  bp_tensor_t f = make(rt.get(), {4}), i = make(rt.get(), {4}, bp::i32), f2 = make(rt.get(), {4});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, &i, 1), BP_ERR_INVALID_ARGUMENT,
                 "FILL output 0 (y): dtype must be float32, got int32");
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_COPY, nullptr, &f, 1, &i, 1), BP_ERR_INVALID_ARGUMENT,
                 "COPY output 0 (y): dtype int32 differs from input 0 (x) dtype float32");
  bp_tensor_t ab[] = {f, i};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_ADD, nullptr, ab, 2, &f2, 1), BP_ERR_INVALID_ARGUMENT,
                 "ADD input 1 (b): dtype must be float32, got int32");
  // Memory of another device type cannot be imported into a CPU runtime.
  std::vector<float> mem(4);
  bp_tensor_t t = nullptr;
  view gpu(mem.data(), {4}, bp::f32, BP_DEVICE_CUDA);
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &gpu.t, nullptr, nullptr, &t), BP_ERR_UNSUPPORTED,
                 "memory on device type 2:0 is not usable by backend 'openblas-cpu'");
  view lanes(mem.data(), {4}, bp_dtype{BP_DTYPE_FLOAT, 32, 4});
  REL_CHECK_FAIL(bp_tensor_import(rt.get(), &lanes.t, nullptr, nullptr, &t), BP_ERR_INVALID_ARGUMENT, "single-lane");
  bp_tensor_destroy(f), bp_tensor_destroy(i), bp_tensor_destroy(f2);
}

TEST_CASE("wrong struct_size of options, attrs, props, info, event and stats") {
  bp_runtime_options o;
  bp_runtime_options_init(&o);
  o.struct_size = 2;
  bp_runtime_t bad = nullptr;
  REL_CHECK_FAIL(bp_runtime_create(&o, &bad), BP_ERR_INVALID_ARGUMENT, "options->struct_size 2 is too small");
  CHECK(bad == nullptr);

  bp::runtime rt = openblas_runtime();
  bp_device_props props{};
  props.struct_size = 0;
  REL_CHECK_FAIL(bp_runtime_device_props(rt.get(), &props), BP_ERR_INVALID_ARGUMENT, "props->struct_size not set");
  // A caller built against an older, smaller bp_device_props: nothing past its size is written.
  struct {
    bp_device_props head;
    unsigned char guard[64];
  } older;
  std::memset(&older, 0xAB, sizeof older);
  older.head.struct_size = offsetof(bp_device_props, capability);
  REQUIRE(bp_runtime_device_props(rt.get(), &older.head) == BP_OK);
  CHECK(older.head.struct_size == offsetof(bp_device_props, capability));
  const unsigned char* tail = reinterpret_cast<const unsigned char*>(&older.head) + offsetof(bp_device_props, capability);
  bool untouched = true;
  for (size_t k = 0; k < sizeof older - offsetof(bp_device_props, capability); ++k) untouched &= tail[k] == 0xAB;
  CHECK_MESSAGE(untouched, "bp_runtime_device_props wrote past the caller's struct_size");

  bp_plugin_info info{};
  REL_CHECK_FAIL(bp_runtime_plugin_info(rt.get(), 0, &info), BP_ERR_INVALID_ARGUMENT, "struct_size is not set");
  bp_event ev{};
  REL_CHECK_FAIL(bp_runtime_event(rt.get(), 0, &ev), BP_ERR_INVALID_ARGUMENT, "struct_size is not set");
  bp_placement_stats stats{};
  REL_CHECK_FAIL(bp_runtime_placement(rt.get(), &stats), BP_ERR_INVALID_ARGUMENT, "struct_size is not set");
  info.struct_size = sizeof info;
  REL_CHECK_FAIL(bp_runtime_plugin_info(rt.get(), 1000, &info), BP_ERR_NOT_FOUND, "index 1000 >= plugin count");
  ev.struct_size = sizeof ev;
  REL_CHECK_FAIL(bp_runtime_event(rt.get(), 7, &ev), BP_ERR_NOT_FOUND, "index 7 >= event count");

  // Attribute structs: struct_size below v1.0 is an unknown (older/garbage) version.
  bp_tensor_t x = make(rt.get(), {1, 4, 4, 1}), w = make(rt.get(), {1, 3, 3, 1}), y = make(rt.get(), {1, 2, 2, 1});
  bp_conv2d_attrs conv{};
  conv.struct_size = 4;
  conv.stride_h = conv.stride_w = conv.dilation_h = conv.dilation_w = 1;
  bp_tensor_t xw[] = {x, w};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_CONV2D_FWD, &conv, xw, 2, &y, 1), BP_ERR_INVALID_ARGUMENT,
                 "CONV2D_FWD: attrs->struct_size is 4, expected at least 48 (bp_conv2d_attrs v1.0)");
  bp_scalar_attrs fill{0, 1.0f};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_FILL, &fill, nullptr, 0, &y, 1), BP_ERR_INVALID_ARGUMENT,
                 "attrs->struct_size is 0");
  // A newer, larger attrs struct is accepted (members it adds are ignored).
  struct {
    bp_conv2d_attrs v1;
    int32_t future_member;
  } newer{};
  newer.v1 = conv;
  newer.v1.struct_size = sizeof newer;
  CHECK(bp_op_run(rt.get(), BP_OP_CONV2D_FWD, &newer, xw, 2, &y, 1) == BP_OK);
  bp_tensor_destroy(x), bp_tensor_destroy(w), bp_tensor_destroy(y);
}

TEST_CASE("unknown op kinds and bad attribute values") {
  bp::runtime rt = openblas_runtime();
  bp_tensor_t y = make(rt.get(), {4});
  for (bp_op_kind kind : {0, -1, int32_t(BP_OP_KIND_COUNT_), 1000, INT32_MIN}) {
    CAPTURE(kind);
    REL_CHECK_FAIL(bp_op_run(rt.get(), kind, nullptr, nullptr, 0, &y, 1), BP_ERR_INVALID_ARGUMENT,
                   "unknown op kind " + std::to_string(kind));
    char reason[256] = {0};
    CHECK(bp_op_supported(rt.get(), kind, nullptr, nullptr, 0, &y, 1, reason, sizeof reason) == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(reason).find("unknown op kind") != std::string::npos);
  }
  bp_tensor_t x = make(rt.get(), {4});
  bp_activation_attrs act{sizeof(bp_activation_attrs), 42};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_ACTIVATION_FWD, &act, &x, 1, &y, 1), BP_ERR_INVALID_ARGUMENT,
                 "attrs->activation 42 is not NONE (0)");
  bp_reduce_attrs red{sizeof(bp_reduce_attrs), BP_REDUCE_SUM, 5};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_REDUCE, &red, &x, 1, &y, 1), BP_ERR_INVALID_ARGUMENT, "attrs->axis 5");
  bp_adam_attrs adam{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 0};
  bp_tensor_t pmv[] = {y, y, y};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_ADAM_UPDATE, &adam, &x, 1, pmv, 3), BP_ERR_INVALID_ARGUMENT,
                 "attrs->step must be >= 1");
  bp_tensor_t too_many[9] = {x, x, x, x, x, x, x, x, x};
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_ADD, nullptr, too_many, 9, &y, 1), BP_ERR_INVALID_ARGUMENT, "9 inputs (at most 8)");
  REL_CHECK_FAIL(bp_op_run(rt.get(), BP_OP_ADD, nullptr, too_many, 3, &y, 1), BP_ERR_INVALID_ARGUMENT,
                 "expected 2 inputs (a, b; c), got 3");
  bp_tensor_destroy(x), bp_tensor_destroy(y);
}

TEST_CASE("tensors of another runtime are refused by role") {
  bp::runtime a = openblas_runtime(), b = openblas_runtime();
  bp_tensor_t mine = make(a.get(), {4}), theirs = make(b.get(), {4});
  bp_tensor_t in[] = {mine, theirs};
  REL_CHECK_FAIL(bp_op_run(a.get(), BP_OP_ADD, nullptr, in, 2, &mine, 1), BP_ERR_INVALID_ARGUMENT,
                 "input 1 belongs to another runtime");
  REL_CHECK_FAIL(bp_op_run(a.get(), BP_OP_COPY, nullptr, &mine, 1, &theirs, 1), BP_ERR_INVALID_ARGUMENT,
                 "output 0 belongs to another runtime");
  bp_tensor_destroy(mine), bp_tensor_destroy(theirs);
}

TEST_CASE("use after free: destroyed tensors and runtimes are reported, not dereferenced") {
  hermetic_options h({openblas_plugin_path()});
  bp_runtime_t rt = nullptr;
  REQUIRE(bp_runtime_create(&h.o, &rt) == BP_OK);
  bp_tensor_t dead = make(rt, {4}), live = make(rt, {4});
  bp_tensor_destroy(dead);
  float host[4] = {};
  REL_CHECK_FAIL(bp_tensor_write(dead, host, sizeof host), BP_ERR_INVALID_ARGUMENT, "not live");
  REL_CHECK_FAIL(bp_tensor_read(dead, host, sizeof host), BP_ERR_INVALID_ARGUMENT, "not live");
  int64_t four[] = {4};
  REL_CHECK_FAIL(bp_tensor_reshape(dead, 1, four), BP_ERR_INVALID_ARGUMENT, "not live");
  CHECK(bp_tensor_view(dead) == nullptr);
  CHECK(bp_tensor_nbytes(dead) == 0);
  REL_CHECK_FAIL(bp_op_run(rt, BP_OP_COPY, nullptr, &dead, 1, &live, 1), BP_ERR_INVALID_ARGUMENT,
                 "input 0 is not a live tensor (already destroyed");
  bp_tensor_destroy(dead);  // double destroy: logged, ignored

  // Destroying the runtime first frees its remaining tensors; their handles die with it.
  bp_runtime_destroy(rt);
  REL_CHECK_FAIL(bp_tensor_write(live, host, sizeof host), BP_ERR_INVALID_ARGUMENT, "not live");
  bp_tensor_destroy(live);
  bp_device_props props{};
  props.struct_size = sizeof props;
  REL_CHECK_FAIL(bp_runtime_device_props(rt, &props), BP_ERR_INVALID_ARGUMENT, "not a live runtime (destroyed");
  REL_CHECK_FAIL(bp_runtime_synchronize(rt), BP_ERR_INVALID_ARGUMENT, "not a live runtime");
  REL_CHECK_FAIL(bp_tensor_create(rt, bp::f32, 1, four, &live), BP_ERR_INVALID_ARGUMENT, "not a live runtime");
  REL_CHECK_FAIL(bp_op_run(rt, BP_OP_FILL, nullptr, nullptr, 0, nullptr, 0), BP_ERR_INVALID_ARGUMENT, "not a live runtime");
  uint64_t needed = 0;
  REL_CHECK_FAIL(bp_runtime_report_json(rt, nullptr, 0, &needed), BP_ERR_INVALID_ARGUMENT, "not a live runtime");
  CHECK(std::string(bp_runtime_backend(rt)).empty());
  CHECK(bp_runtime_plugin_count(rt) == 0);
  CHECK(bp_runtime_event_count(rt) == 0);
  bp_runtime_destroy(rt);  // double destroy: logged, ignored

  // A pointer that was never a handle (stack memory) is refused the same way.
  alignas(16) unsigned char junk[256];
  std::memset(junk, 0x5A, sizeof junk);
  auto fake_rt = reinterpret_cast<bp_runtime_t>(junk);
  auto fake_t = reinterpret_cast<bp_tensor_t>(junk);
  REL_CHECK_FAIL(bp_runtime_synchronize(fake_rt), BP_ERR_INVALID_ARGUMENT, "not a live runtime");
  REL_CHECK_FAIL(bp_tensor_read(fake_t, host, sizeof host), BP_ERR_INVALID_ARGUMENT, "not live");
  bp_tensor_destroy(fake_t);
  bp_runtime_destroy(fake_rt);
}

TEST_CASE("report buffer too small is an error with the needed size") {
  bp::runtime rt = openblas_runtime();
  uint64_t needed = 0;
  REQUIRE(bp_runtime_report_json(rt.get(), nullptr, 0, &needed) == BP_OK);
  REQUIRE(needed > 2);
  std::vector<char> small(needed - 1, 'Z');
  REL_CHECK_FAIL(bp_runtime_report_json(rt.get(), small.data(), small.size(), &needed), BP_ERR_INVALID_ARGUMENT,
                 "is too small; " + std::to_string(needed) + " needed");
  CHECK(small.back() == 'Z');  // nothing written on failure
}

}  // TEST_SUITE
