// validation_plugin_test.cpp — the bundled plugins' raw function tables,
// called directly (dlopen + a fake host table, no core in between), reject
// bad arguments with a status and a message through host->set_error. A host
// that bypasses the core must not be able to crash a plugin.
#include <cstring>
#include <memory>
#include <vector>

#include "support.hpp"

using namespace rel;

namespace {

// op_supports answers through its reason buffer (abi.h); every other member through host->set_error.
#define RAW_CHECK_REASON(call, status, reason, needle)                                             \
  do {                                                                                               \
    CHECK((call) == (status));                                                                       \
    INFO("reason: ", reason);                                                                        \
    CHECK_MESSAGE(std::string(reason).find(needle) != std::string::npos, "expected substring: ", needle); \
  } while (0)

#define RAW_CHECK_FAIL(plugin, call, status, needle)                                                \
  do {                                                                                               \
    CHECK((call) == (status));                                                                       \
    const std::string raw_msg_ = (plugin).take_error();                                              \
    INFO("plugin message: ", raw_msg_);                                                              \
    CHECK_MESSAGE(raw_msg_.find(needle) != std::string::npos, "expected substring: ", needle);        \
  } while (0)

// Entry points that take no context or reject a NULL one, common to every plugin.
void check_table_edges(raw_plugin& p) {
  const bp_plugin_api& api = p.api();
  CHECK(api.struct_size >= sizeof(bp_plugin_api));
  CHECK(api.abi_major == BP_ABI_VERSION_MAJOR);
  REQUIRE(api.name != nullptr);
  const std::string name = api.name;
  RAW_CHECK_FAIL(p, api.init(p.host(), nullptr), BP_ERR_INVALID_ARGUMENT, "context is NULL");
  RAW_CHECK_FAIL(p, api.device_count(nullptr, nullptr), BP_ERR_INVALID_ARGUMENT, "count is NULL");
  RAW_CHECK_FAIL(p, api.device_props(nullptr, 0, nullptr), BP_ERR_INVALID_ARGUMENT, "props");
  bp_device_props props{};
  props.struct_size = 0;
  CHECK(api.device_props(nullptr, 0, &props) != BP_OK);
  CHECK(!p.take_error().empty());
  RAW_CHECK_FAIL(p, api.mem_alloc(nullptr, 0, 16, nullptr), BP_ERR_INVALID_ARGUMENT, "ptr is NULL");
  CHECK(api.mem_free(nullptr, 0, nullptr) == BP_OK);  // NULL is a no-op
  RAW_CHECK_FAIL(p, api.mem_copy(nullptr, 0, nullptr, nullptr, nullptr, 16, BP_MEMCPY_HOST_TO_DEVICE),
                 BP_ERR_INVALID_ARGUMENT, "NULL pointer");
  CHECK(api.mem_copy(nullptr, 0, nullptr, nullptr, nullptr, 0, BP_MEMCPY_HOST_TO_DEVICE) == BP_OK);  // 0 bytes
  if (api.stream_create) RAW_CHECK_FAIL(p, api.stream_create(nullptr, 0, nullptr), BP_ERR_INVALID_ARGUMENT, "stream is NULL");
  char reason[256];
  RAW_CHECK_FAIL(p, api.op_supports(nullptr, 0, nullptr, reason, sizeof reason), BP_ERR_INVALID_ARGUMENT, "op is NULL");
  p.take_error();
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, nullptr), BP_ERR_INVALID_ARGUMENT, "op is NULL");

  // Descriptor-level rejections happen before the context is touched.
  float y[4] = {};
  view vy(y, {4});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  desc d(BP_OP_FILL, &fill, {}, {&vy});
  d.d.struct_size = 8;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT,
                 "op descriptor struct_size is 8, expected at least 48");
  d.d.struct_size = sizeof(bp_op_desc);
  d.d.kind = BP_OP_KIND_COUNT_;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_UNSUPPORTED, "unknown op kind 25");
  d.d.kind = 0;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "op kind 0 is not a valid op kind");
  d.d.kind = BP_OP_FILL;
  d.d.attrs = nullptr;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "attrs is NULL");
  bp_scalar_attrs old_fill{2, 1.0f};
  d.d.attrs = &old_fill;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "attrs->struct_size is 2");
  d.d.attrs = &fill;
  d.outs[0].data = nullptr;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "FILL output 0 (y): data is NULL");
  d.outs[0].data = reinterpret_cast<char*>(y) + 1;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "not aligned to 4 bytes");
  d.d.num_outputs = 1;
  d.d.outputs = nullptr;
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "outputs is NULL but num_outputs is 1");
  d.d.num_outputs = 0xFFFFFFFFu;  // a garbage count is a count error, never an out-of-bounds read
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "expected 1 outputs");
  // Shapes: negative extents and products that overflow 64 bits.
  float x[4] = {};
  view neg(x, {2, -2}), ovf(x, {int64_t(1) << 32, int64_t(1) << 32}), out(y, {4});
  desc dn(BP_OP_COPY, nullptr, {&neg}, {&out});
  RAW_CHECK_REASON(api.op_supports(nullptr, 0, &dn.d, reason, sizeof reason), BP_ERR_INVALID_ARGUMENT, reason, "shape[1] is -2, extents must be >= 0");
  desc dv(BP_OP_COPY, nullptr, {&ovf}, {&out});
  RAW_CHECK_REASON(api.op_supports(nullptr, 0, &dv.d, reason, sizeof reason), BP_ERR_INVALID_ARGUMENT, reason, "overflows 64 bits");
  view big_ndim(x, {1});
  big_ndim.t.ndim = 9;
  desc db(BP_OP_COPY, nullptr, {&big_ndim}, {&out});
  RAW_CHECK_REASON(api.op_supports(nullptr, 0, &db.d, reason, sizeof reason), BP_ERR_INVALID_ARGUMENT, reason, "ndim 9 out of range");
  view null_shape(x, {4});
  null_shape.t.shape = nullptr;
  desc ds(BP_OP_COPY, nullptr, {&null_shape}, {&out});
  RAW_CHECK_REASON(api.op_supports(nullptr, 0, &ds.d, reason, sizeof reason), BP_ERR_INVALID_ARGUMENT, reason, "shape is NULL with ndim 1");
  // Truncating reason buffers stay terminated; reason may be NULL.
  char one[1] = {'q'};
  CHECK(api.op_supports(nullptr, 0, &ds.d, one, sizeof one) == BP_ERR_INVALID_ARGUMENT);
  CHECK(one[0] == '\0');
  CHECK(api.op_supports(nullptr, 0, &ds.d, nullptr, 0) == BP_ERR_INVALID_ARGUMENT);
  p.take_error();
}

}  // namespace

TEST_SUITE("validation") {

TEST_CASE("openblas-cpu raw table: bad arguments, sizes beyond memory, device and dtype mismatches") {
  REQUIRE_MESSAGE(!openblas_plugin_path().empty(), "the openblas-cpu plugin is not part of this build");
  raw_plugin p(openblas_plugin_path());
  REQUIRE_MESSAGE(p.loaded(), p.load_error());
  check_table_edges(p);
  const bp_plugin_api& api = p.api();
  REQUIRE(api.probe(p.host()) == BP_OK);
  CHECK(p.state().probe.reports == 1);
  CHECK(p.state().probe.state == BP_STATE_READY);
  void* ctx = nullptr;
  REQUIRE(api.init(p.host(), &ctx) == BP_OK);

  uint32_t count = 0;
  CHECK(api.device_count(ctx, &count) == BP_OK);
  CHECK(count == 1);
  bp_device_props props{};
  props.struct_size = sizeof props;
  RAW_CHECK_FAIL(p, api.device_props(ctx, 3, &props), BP_ERR_NOT_FOUND, "device 3 does not exist");
  void* mem = nullptr;
  RAW_CHECK_FAIL(p, api.mem_alloc(ctx, 1, 16, &mem), BP_ERR_NOT_FOUND, "device 1 does not exist");
  // Sizes beyond memory: 2^40 floats, 2^62 bytes and UINT64_MAX fail cleanly naming the size.
  RAW_CHECK_FAIL(p, api.mem_alloc(ctx, 0, uint64_t(4) << 40, &mem), BP_ERR_OUT_OF_MEMORY, "4398046511104 bytes");
  CHECK(mem == nullptr);
  RAW_CHECK_FAIL(p, api.mem_alloc(ctx, 0, uint64_t(1) << 62, &mem), BP_ERR_OUT_OF_MEMORY, "4611686018427387904 bytes");
  RAW_CHECK_FAIL(p, api.mem_alloc(ctx, 0, UINT64_MAX, &mem), BP_ERR_OUT_OF_MEMORY, "18446744073709551615 bytes");
  // 0 bytes: a unique pointer (or NULL) that mem_free accepts.
  REQUIRE(api.mem_alloc(ctx, 0, 0, &mem) == BP_OK);
  CHECK(api.mem_free(ctx, 0, mem) == BP_OK);
  float a = 1, b = 0;
  RAW_CHECK_FAIL(p, api.mem_copy(ctx, 0, nullptr, &b, &a, sizeof a, 7), BP_ERR_INVALID_ARGUMENT, "unknown copy kind 7");

  // Device mismatch: CUDA memory handed to the CPU plugin is declined, never read.
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  view gx(reinterpret_cast<void*>(0x1000), {6}, bp::f32, BP_DEVICE_CUDA), vy(y, {6});
  desc dg(BP_OP_COPY, nullptr, {&gx}, {&vy});
  RAW_CHECK_FAIL(p, api.op_execute(ctx, 0, nullptr, &dg.d), BP_ERR_UNSUPPORTED, "is not host memory");
  // Dtype mismatch on COPY.
  view vx(x, {6}), iy(y, {6}, bp::i32);
  desc dd(BP_OP_COPY, nullptr, {&vx}, {&iy});
  RAW_CHECK_FAIL(p, api.op_execute(ctx, 0, nullptr, &dd.d), BP_ERR_INVALID_ARGUMENT, "differs from input 0 (x) dtype float32");
  // Non-compact strides are refused for every op but COPY.
  view sx(x, {3, 2});
  sx.set_strides({1, 3});
  view sy(y, {3, 2});
  bp_scalar_attrs two{sizeof(bp_scalar_attrs), 2.0f};
  desc dsc(BP_OP_SCALE, &two, {&sx}, {&sy});
  RAW_CHECK_FAIL(p, api.op_execute(ctx, 0, nullptr, &dsc.d), BP_ERR_INVALID_ARGUMENT, "are not compact row-major");
  // COPY with a transposing stride works and stays inside the buffer.
  desc dt(BP_OP_COPY, nullptr, {&sx}, {&sy});
  REQUIRE(api.op_execute(ctx, 0, nullptr, &dt.d) == BP_OK);
  CHECK(std::vector<float>(y, y + 6) == std::vector<float>{1, 4, 2, 5, 3, 6});
  // COPY strides whose reach in ELEMENTS overflows 64 bits are refused.
  view far(x, {3, 2});
  far.set_strides({INT64_MAX / 2 + 1, 1});
  view fy(y, {3, 2});
  desc df(BP_OP_COPY, nullptr, {&far}, {&fy});
  RAW_CHECK_FAIL(p, api.op_execute(ctx, 0, nullptr, &df.d), BP_ERR_INVALID_ARGUMENT, "address beyond 64 bits");

  api.shutdown(ctx);
  api.shutdown(nullptr);  // NULL context: no-op
  CHECK(p.take_error().empty());
}

// Found by this suite under UBSan: check_op bounds the strides' reach in
// ELEMENTS, but kernels address BYTES (reach * element size + byte_offset),
// so strides {INT64_MAX/2, 1} pass the validator and overflow int64 inside
// the kernel (openblas-cpu elementwise.cpp strided_copy: "signed integer
// overflow: 4 * 4611686018427387903"). Known failure until op_check.hpp
// bounds the byte reach; the op is not executed while the validator accepts it.
TEST_CASE("openblas-cpu raw table: COPY strides whose BYTE reach overflows 64 bits are refused") {
  REQUIRE(!openblas_plugin_path().empty());
  raw_plugin p(openblas_plugin_path());
  REQUIRE(p.loaded());
  float x[4] = {1, 2, 3, 4}, y[4] = {};
  view far(x, {2, 2});
  far.set_strides({INT64_MAX / 2, 1});
  view fy(y, {2, 2});
  desc df(BP_OP_COPY, nullptr, {&far}, {&fy});
  char reason[512] = {0};
  const bp_status s = p.api().op_supports(nullptr, 0, &df.d, reason, sizeof reason);
  CHECK_MESSAGE(s == BP_ERR_INVALID_ARGUMENT, "op_supports accepted strides (", INT64_MAX / 2,
                ", 1): their byte reach 4 * 2^62 overflows int64; reason: '", reason, "'");
  if (s == BP_OK) {
    MESSAGE("not executing: the kernel would compute an overflowing byte offset (undefined behaviour)");
    return;
  }
  RAW_CHECK_FAIL(p, p.api().op_execute(nullptr, 0, nullptr, &df.d), BP_ERR_INVALID_ARGUMENT, "beyond 64 bits");
}

// DLPack semantics: data + byte_offset is element (0,...,0); negative strides
// reach back from there, so the caller's buffer must extend before it. The
// validator cannot know the allocation, so what it can guarantee is that a
// kernel touches exactly the strides' reach and nothing more: exact-size heap
// buffers make any access outside it an ASan report.
TEST_CASE("openblas-cpu raw table: COPY with negative strides reads exactly the reach") {
  REQUIRE(!openblas_plugin_path().empty());
  raw_plugin p(openblas_plugin_path());
  REQUIRE(p.loaded());
  std::unique_ptr<float[]> x(new float[6]{1, 2, 3, 4, 5, 6}), y(new float[6]);
  view back(x.get() + 5, {6});  // element 0 is the buffer's last float
  back.set_strides({-1});
  view out(y.get(), {6});
  desc d(BP_OP_COPY, nullptr, {&back}, {&out});
  REQUIRE(p.api().op_execute(nullptr, 0, nullptr, &d.d) == BP_OK);
  CHECK(std::vector<float>(y.get(), y.get() + 6) == std::vector<float>{6, 5, 4, 3, 2, 1});
  // 2-D, rows reversed, columns forward, through byte_offset instead of the data pointer.
  view rows(x.get(), {3, 2});
  rows.set_strides({-2, 1});
  rows.t.byte_offset = 4 * sizeof(float);
  view out2(y.get(), {3, 2});
  desc d2(BP_OP_COPY, nullptr, {&rows}, {&out2});
  REQUIRE(p.api().op_execute(nullptr, 0, nullptr, &d2.d) == BP_OK);
  CHECK(std::vector<float>(y.get(), y.get() + 6) == std::vector<float>{5, 6, 3, 4, 1, 2});
  // Output strides too (scatter into a transposed view).
  view src(x.get(), {2, 3});
  view dst(y.get(), {2, 3});
  dst.set_strides({1, 2});
  desc d3(BP_OP_COPY, nullptr, {&src}, {&dst});
  REQUIRE(p.api().op_execute(nullptr, 0, nullptr, &d3.d) == BP_OK);
  CHECK(std::vector<float>(y.get(), y.get() + 6) == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("cudnn raw table on a machine without its driver: every entry fails cleanly") {
  if (cudnn_plugin_path().empty()) {
    MESSAGE("SKIP: the cudnn plugin is not part of this build (configured with BACKPLANE_WITH_CUDNN=OFF or no CUDA)");
    return;
  }
  raw_plugin p(cudnn_plugin_path());
  REQUIRE_MESSAGE(p.loaded(), p.load_error());
  check_table_edges(p);
  const bp_plugin_api& api = p.api();
  REQUIRE(api.probe(p.host()) == BP_OK);  // probe answers "cannot serve" with BP_OK
  CHECK(p.state().probe.reports == 1);
  void* ctx = nullptr;
  bp_status s = api.init(p.host(), &ctx);
  if (s == BP_OK) {
    MESSAGE("cudnn init succeeded: this machine has a usable GPU; the no-driver checks below do not apply");
    api.shutdown(ctx);
    return;
  }
  CHECK(p.state().probe.state != BP_STATE_READY);
  CHECK(ctx == nullptr);
  CHECK(!p.take_error().empty());
  uint32_t count = 0;
  RAW_CHECK_FAIL(p, api.device_count(nullptr, &count), BP_ERR_INVALID_ARGUMENT, "NULL context");
  void* mem = nullptr;
  RAW_CHECK_FAIL(p, api.mem_alloc(nullptr, 0, 64, &mem), BP_ERR_INVALID_ARGUMENT, "NULL context");
  RAW_CHECK_FAIL(p, api.stream_synchronize(nullptr, 0, nullptr), BP_ERR_INVALID_ARGUMENT, "NULL context");
  float y[4];
  view vy(y, {4});
  bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 1.0f};
  desc d(BP_OP_FILL, &fill, {}, {&vy});
  RAW_CHECK_FAIL(p, api.op_execute(nullptr, 0, nullptr, &d.d), BP_ERR_INVALID_ARGUMENT, "not CUDA device memory");
  api.shutdown(nullptr);
}

}  // TEST_SUITE
