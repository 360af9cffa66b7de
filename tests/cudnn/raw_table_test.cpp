// raw_table_test.cpp — the cudnn plugin's table driven directly (no core),
// for what the core's host API does not reach: streams the host creates,
// strided COPY (the strided-copy kernels), and the memory members' errors.
// Runs on a GPU or the emulated CUDA stack (BP_CUDNN_TEST_STACK); skips
// visibly elsewhere (fails instead when BP_CUDNN_TEST_REQUIRE_GPU=1).
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "doctest/doctest.h"
#include "skip.hpp"
#include "fake_host.hpp"
#include "gpu_env.hpp"

namespace {

// The plugin initialised through a fake host, or nullptr after a visible skip.
struct raw_plugin {
  bp_test::fake_host host;
  std::unique_ptr<bp_test::plugin_file> file;
  const bp_plugin_api* t = nullptr;
  void* ctx = nullptr;
  ~raw_plugin() {
    if (ctx) t->shutdown(ctx);
  }
};

std::unique_ptr<raw_plugin> open_or_skip() {
  auto p = std::make_unique<raw_plugin>();
  if (const char* stack = cudnn_test::test_stack()) {
    p->host.options["CUDA_PATH"] = stack;
    p->host.options["CUDNN_PATH"] = stack;
    p->host.options["DEP_SEARCH"] = "override_only";
  }
  p->file = std::make_unique<bp_test::plugin_file>(BP_CUDNN_PLUGIN_PATH, p->host.api());
  p->t = &p->file->api();
  p->t->probe(p->host.api());
  if (p->host.probe.state != BP_STATE_READY) {
    if (cudnn_test::gpu_required()) FAIL("the cudnn plugin must serve here: " << p->host.probe.message);
    BP_SKIP("the cudnn plugin cannot serve here: " << p->host.probe.message);
    return nullptr;
  }
  REQUIRE(p->t->init(p->host.api(), &p->ctx) == BP_OK);
  return p;
}

bp_tensor view(void* data, bp_dtype dtype, std::vector<int64_t>& shape, std::vector<int64_t>* strides) {
  bp_tensor t{};
  t.data = data;
  t.device = bp_device{BP_DEVICE_CUDA, 0};
  t.ndim = int32_t(shape.size());
  t.dtype = dtype;
  t.shape = shape.data();
  t.strides = strides ? strides->data() : nullptr;
  return t;
}

// Copies the transpose of a rows x cols matrix through a strided view, on `stream`.
template <typename T>
void check_transposed_copy(raw_plugin& p, bp_stream_t stream, bp_dtype dtype) {
  const int64_t rows = 3, cols = 5;
  std::vector<T> src(size_t(rows * cols));
  for (size_t i = 0; i < src.size(); ++i) src[i] = T(i * 7 + 1);
  const uint64_t bytes = src.size() * sizeof(T);
  void *dsrc = nullptr, *ddst = nullptr;
  REQUIRE(p.t->mem_alloc(p.ctx, 0, bytes, &dsrc) == BP_OK);
  REQUIRE(p.t->mem_alloc(p.ctx, 0, bytes, &ddst) == BP_OK);
  REQUIRE(p.t->mem_copy(p.ctx, 0, stream, dsrc, src.data(), bytes, BP_MEMCPY_HOST_TO_DEVICE) == BP_OK);
  // x: the (cols, rows) transpose of src, as strides over src's memory; y: compact.
  std::vector<int64_t> shape = {cols, rows}, strides = {1, cols};
  const bp_tensor x = view(dsrc, dtype, shape, &strides), y = view(ddst, dtype, shape, nullptr);
  bp_op_desc op{};
  op.struct_size = sizeof op;
  op.kind = BP_OP_COPY;
  op.inputs = &x, op.num_inputs = 1;
  op.outputs = &y, op.num_outputs = 1;
  REQUIRE_MESSAGE(p.t->op_execute(p.ctx, 0, stream, &op) == BP_OK, p.host.last_error);
  std::vector<T> got(src.size());
  REQUIRE(p.t->mem_copy(p.ctx, 0, stream, got.data(), ddst, bytes, BP_MEMCPY_DEVICE_TO_HOST) == BP_OK);
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < rows; ++j) CHECK(got[size_t(i * rows + j)] == src[size_t(j * cols + i)]);
  CHECK(p.t->mem_free(p.ctx, 0, dsrc) == BP_OK);
  CHECK(p.t->mem_free(p.ctx, 0, ddst) == BP_OK);
}

}  // namespace

TEST_CASE("raw table: strided COPY on the plugin's stream and on a stream the host created") {
  auto p = open_or_skip();
  if (!p) return;
  check_transposed_copy<float>(*p, nullptr, bp_dtype{BP_DTYPE_FLOAT, 32, 1});
  check_transposed_copy<uint8_t>(*p, nullptr, bp_dtype{BP_DTYPE_UINT, 8, 1});
  check_transposed_copy<int16_t>(*p, nullptr, bp_dtype{BP_DTYPE_INT, 16, 1});
  check_transposed_copy<double>(*p, nullptr, bp_dtype{BP_DTYPE_FLOAT, 64, 1});
  bp_stream_t stream = nullptr;
  REQUIRE(p->t->stream_create(p->ctx, 0, &stream) == BP_OK);
  REQUIRE(stream != nullptr);
  check_transposed_copy<float>(*p, stream, bp_dtype{BP_DTYPE_FLOAT, 32, 1});
  CHECK(p->t->stream_synchronize(p->ctx, 0, stream) == BP_OK);
  CHECK(p->t->stream_destroy(p->ctx, 0, stream) == BP_OK);
}

TEST_CASE("raw table: memory members refuse bad arguments with a message") {
  auto p = open_or_skip();
  if (!p) return;
  const bp_plugin_api& t = *p->t;
  int host_value = 0;
  CHECK(t.mem_free(p->ctx, 0, &host_value) == BP_ERR_INVALID_ARGUMENT);  // not allocated by the plugin
  CHECK(p->host.last_error.find("did not allocate") != std::string::npos);
  void* d = nullptr;
  CHECK(t.mem_alloc(p->ctx, 7, 64, &d) == BP_ERR_NOT_FOUND);  // no device 7
  CHECK(p->host.last_error.find("device 7 does not exist") != std::string::npos);
  REQUIRE(t.mem_alloc(p->ctx, 0, 64, &d) == BP_OK);
  CHECK(t.mem_copy(p->ctx, 0, nullptr, d, &host_value, 4, bp_memcpy_kind(99)) == BP_ERR_INVALID_ARGUMENT);
  CHECK(t.mem_copy(p->ctx, 0, nullptr, nullptr, &host_value, 4, BP_MEMCPY_HOST_TO_DEVICE) == BP_ERR_INVALID_ARGUMENT);
  CHECK(t.mem_free(p->ctx, 0, d) == BP_OK);
  CHECK(t.mem_free(p->ctx, 0, nullptr) == BP_OK);  // no-op, as the ABI says
}
