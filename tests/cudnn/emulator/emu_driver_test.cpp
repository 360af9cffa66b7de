// emu_driver_test.cpp — the emulated driver keeps the CUDA rules the cudnn
// plugin's tests rely on it to enforce (deferred stream work, device-pointer
// checks, contexts), and its SIMT execution of the plugin's cooperative
// kernels (block reductions, warp shuffles) gives the right answers.
#include <cuda.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

struct session {
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  session() {
    REQUIRE(cuInit(0) == CUDA_SUCCESS);
    REQUIRE(cuDeviceGet(&device, 0) == CUDA_SUCCESS);
    REQUIRE(cuDevicePrimaryCtxRetain(&context, device) == CUDA_SUCCESS);
    REQUIRE(cuCtxSetCurrent(context) == CUDA_SUCCESS);
    REQUIRE(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
    const uint32_t fatbin_header[4] = {0xBA55ED50u, 0, 0, 0};
    REQUIRE(cuModuleLoadData(&module, fatbin_header) == CUDA_SUCCESS);
  }
  ~session() {
    cuModuleUnload(module);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    cuCtxSetCurrent(nullptr);
  }
  CUdeviceptr upload(const void* data, size_t bytes) {
    CUdeviceptr p = 0;
    REQUIRE(cuMemAlloc(&p, bytes) == CUDA_SUCCESS);
    REQUIRE(cuMemcpyHtoDAsync(p, data, bytes, stream) == CUDA_SUCCESS);
    return p;
  }
  template <typename T>
  std::vector<T> download(CUdeviceptr p, size_t count) {
    std::vector<T> out(count);
    REQUIRE(cuMemcpyDtoHAsync(out.data(), p, count * sizeof(T), stream) == CUDA_SUCCESS);
    REQUIRE(cuStreamSynchronize(stream) == CUDA_SUCCESS);
    return out;
  }
  CUfunction function(const char* name) {
    CUfunction f = nullptr;
    REQUIRE(cuModuleGetFunction(&f, module, name) == CUDA_SUCCESS);
    return f;
  }
};

}  // namespace

TEST_CASE("emulated driver: stream work waits for synchronisation") {
  session s;
  const std::vector<float> src = {1, 2, 3, 4};
  CUdeviceptr d = s.upload(src.data(), 16);
  std::vector<float> host(4, -1.0f);
  REQUIRE(cuMemcpyDtoHAsync(host.data(), d, 16, s.stream) == CUDA_SUCCESS);
  CHECK(host[0] == -1.0f);  // nothing ran yet: a plugin that forgets to synchronise reads stale data
  REQUIRE(cuStreamSynchronize(s.stream) == CUDA_SUCCESS);
  CHECK(host == src);
  CHECK(cuMemFree(d) == CUDA_SUCCESS);
}

TEST_CASE("emulated driver: device pointers, contexts and memory limits are checked") {
  session s;
  std::vector<float> host(4, 0.0f);
  CHECK(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(host.data()), host.data(), 16, s.stream) ==
        CUDA_ERROR_INVALID_VALUE);
  CUdeviceptr d = 0;
  REQUIRE(cuMemAlloc(&d, 8) == CUDA_SUCCESS);
  CHECK(cuMemcpyHtoDAsync(d, host.data(), 16, s.stream) == CUDA_ERROR_INVALID_VALUE);  // past the end
  // A kernel pointer argument that is host memory is refused at launch.
  long long n = 4;
  const float* host_ptr = host.data();
  float* dev_ptr = reinterpret_cast<float*>(d);
  float alpha = 2.0f;
  void* params[] = {&host_ptr, &dev_ptr, &alpha, &n};
  CHECK(cuLaunchKernel(s.function("bp_scale_f32"), 1, 1, 1, 32, 1, 1, 0, s.stream, params, nullptr) ==
        CUDA_ERROR_INVALID_VALUE);
  CHECK(cuMemFree(d) == CUDA_SUCCESS);
  CHECK(cuMemFree(d) == CUDA_ERROR_INVALID_VALUE);  // double free
  size_t free_bytes = 0, total = 0;
  REQUIRE(cuMemGetInfo(&free_bytes, &total) == CUDA_SUCCESS);
  CUdeviceptr huge = 0;
  CHECK(cuMemAlloc(&huge, total + 1) == CUDA_ERROR_OUT_OF_MEMORY);
  REQUIRE(cuCtxSetCurrent(nullptr) == CUDA_SUCCESS);
  CHECK(cuMemAlloc(&d, 8) == CUDA_ERROR_INVALID_CONTEXT);
  REQUIRE(cuCtxSetCurrent(s.context) == CUDA_SUCCESS);
}

TEST_CASE("emulated driver: the plugin's block reduction and warp-shuffle kernels run with CUDA semantics") {
  session s;
  // bp_reduce_all_f32: one block of 1024 threads, shared memory + __syncthreads + shuffles.
  std::vector<float> x(5000);
  double want = 0;
  for (size_t i = 0; i < x.size(); ++i) want += (x[i] = float(std::sin(double(i)) * 3.0));
  CUdeviceptr dx = s.upload(x.data(), x.size() * 4), dy = 0;
  REQUIRE(cuMemAlloc(&dy, 4) == CUDA_SUCCESS);
  long long n = (long long)x.size();
  float scale = 0.5f;
  void* reduce_params[] = {&dx, &dy, &n, &scale};
  REQUIRE(cuLaunchKernel(s.function("bp_reduce_all_f32"), 1, 1, 1, 1024, 1, 1, 0, s.stream, reduce_params, nullptr) ==
          CUDA_SUCCESS);
  CHECK(s.download<float>(dy, 1)[0] == doctest::Approx(0.5 * want).epsilon(1e-5));

  // bp_argmax_f32: one warp per row, index exchange through shuffles; ties go to the first index.
  const long long rows = 3, cols = 70;
  std::vector<float> m(size_t(rows * cols), 0.0f);
  m[5] = 2.0f, m[69] = 2.0f;                      // row 0: tie between 5 and 69 -> 5
  m[size_t(cols + 40)] = 1.0f;                    // row 1: 40
  for (long long c = 0; c < cols; ++c) m[size_t(2 * cols + c)] = -1.0f;  // row 2: all equal -> 0
  CUdeviceptr dm = s.upload(m.data(), m.size() * 4), di = 0;
  REQUIRE(cuMemAlloc(&di, size_t(rows) * 4) == CUDA_SUCCESS);
  long long r = rows, c = cols;
  void* argmax_params[] = {&dm, &di, &r, &c};
  REQUIRE(cuLaunchKernel(s.function("bp_argmax_f32"), 1, 1, 1, 64, 1, 1, 0, s.stream, argmax_params, nullptr) ==
          CUDA_SUCCESS);
  CHECK(s.download<int>(di, 3) == std::vector<int>{5, 40, 0});
  for (CUdeviceptr p : {dx, dy, dm, di}) CHECK(cuMemFree(p) == CUDA_SUCCESS);
}
