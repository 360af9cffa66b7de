// emu_vendor_test.cpp — the emulated cuBLAS and cuDNN (tests/cudnn/emulator)
// against hand-computed cases: column-major SGEMM with transposes, a 3x3
// convolution in both modes and both layouts, padding/stride, both backward
// passes, max-pool gradient routing, softmax/activation in place, beta == 0
// never reading the (NaN-poisoned) output, and call-time rejections.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <cublas_v2.h>
#include <cuda.h>
#include <cudnn.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <limits>
#include <vector>

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct session {
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  std::vector<CUdeviceptr> allocations;
  session() {
    REQUIRE(cuInit(0) == CUDA_SUCCESS);
    REQUIRE(cuDeviceGet(&device, 0) == CUDA_SUCCESS);
    REQUIRE(cuDevicePrimaryCtxRetain(&context, device) == CUDA_SUCCESS);
    REQUIRE(cuCtxSetCurrent(context) == CUDA_SUCCESS);
    REQUIRE(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
    REQUIRE(cudnnCreate(&dnn) == CUDNN_STATUS_SUCCESS);
    REQUIRE(cudnnSetStream(dnn, stream) == CUDNN_STATUS_SUCCESS);
    REQUIRE(cublasCreate(&blas) == CUBLAS_STATUS_SUCCESS);
    REQUIRE(cublasSetStream(blas, stream) == CUBLAS_STATUS_SUCCESS);
  }
  ~session() {
    cuStreamSynchronize(stream);
    for (CUdeviceptr p : allocations) cuMemFree(p);
    cudnnDestroy(dnn);
    cublasDestroy(blas);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    cuCtxSetCurrent(nullptr);
  }
  float* upload(const std::vector<float>& data) {
    CUdeviceptr p = 0;
    REQUIRE(cuMemAlloc(&p, data.size() * sizeof(float)) == CUDA_SUCCESS);
    allocations.push_back(p);
    REQUIRE(cuMemcpyHtoDAsync(p, data.data(), data.size() * sizeof(float), stream) == CUDA_SUCCESS);
    REQUIRE(cuStreamSynchronize(stream) == CUDA_SUCCESS);
    return reinterpret_cast<float*>(p);
  }
  float* poisoned(size_t count) { return upload(std::vector<float>(count, kNaN)); }
  std::vector<float> download(const float* p, size_t count) {
    std::vector<float> out(count);
    REQUIRE(cuMemcpyDtoHAsync(out.data(), reinterpret_cast<CUdeviceptr>(p), count * sizeof(float), stream) ==
            CUDA_SUCCESS);
    REQUIRE(cuStreamSynchronize(stream) == CUDA_SUCCESS);
    return out;
  }
};

struct tensor {
  cudnnTensorDescriptor_t d = nullptr;
  tensor(cudnnTensorFormat_t f, int n, int c, int h, int w) {
    REQUIRE(cudnnCreateTensorDescriptor(&d) == CUDNN_STATUS_SUCCESS);
    REQUIRE(cudnnSetTensor4dDescriptor(d, f, CUDNN_DATA_FLOAT, n, c, h, w) == CUDNN_STATUS_SUCCESS);
  }
  ~tensor() { cudnnDestroyTensorDescriptor(d); }
};

struct filter {
  cudnnFilterDescriptor_t d = nullptr;
  filter(cudnnTensorFormat_t f, int k, int c, int r, int s) {
    REQUIRE(cudnnCreateFilterDescriptor(&d) == CUDNN_STATUS_SUCCESS);
    REQUIRE(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, f, k, c, r, s) == CUDNN_STATUS_SUCCESS);
  }
  ~filter() { cudnnDestroyFilterDescriptor(d); }
};

struct convolution {
  cudnnConvolutionDescriptor_t d = nullptr;
  convolution(int pad, int stride, cudnnConvolutionMode_t mode, cudnnMathType_t math = CUDNN_FMA_MATH) {
    REQUIRE(cudnnCreateConvolutionDescriptor(&d) == CUDNN_STATUS_SUCCESS);
    REQUIRE(cudnnSetConvolution2dDescriptor(d, pad, pad, stride, stride, 1, 1, mode, CUDNN_DATA_FLOAT) ==
            CUDNN_STATUS_SUCCESS);
    REQUIRE(cudnnSetConvolutionMathType(d, math) == CUDNN_STATUS_SUCCESS);
  }
  ~convolution() { cudnnDestroyConvolutionDescriptor(d); }
};

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  }
}

const std::vector<float> kImage = {1, 2, 3, 4, 5, 6, 7, 8, 9};  // 3x3, one channel
const std::vector<float> kTaps = {1, 2, 3, 4};                  // 2x2, one in/out channel

}  // namespace

TEST_CASE("emulated cuBLAS: versions, status strings, bad handles") {
  int major = 0, minor = -1, patch = -1;
  CHECK(cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS);
  CHECK(cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS);
  CHECK(cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS);
  CHECK(major == 13);
  CHECK(minor == 1);
  CHECK(patch == 0);
  CHECK(std::string(cublasGetStatusString(CUBLAS_STATUS_INVALID_VALUE)) == "CUBLAS_STATUS_INVALID_VALUE");
  CHECK(cublasSetStream(nullptr, nullptr) == CUBLAS_STATUS_NOT_INITIALIZED);
  CHECK(cudnnGetVersion() == 91900);
  CHECK(cudnnGetCudartVersion() == 13000);
  CHECK(std::string(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM)) == "CUDNN_STATUS_BAD_PARAM");
  CHECK(cudnnSetStream(nullptr, nullptr) == CUDNN_STATUS_BAD_PARAM);
}

TEST_CASE("emulated cuBLAS: 2x3x4 SGEMM, column-major, deferred, beta 0 ignores NaN") {
  session s;
  // A is 2x4 column-major (a_ij = i + 1 + 10 j... written out), B is 4x3.
  const std::vector<float> A = {1, 5, 2, 6, 3, 7, 4, 8};                    // rows (1 2 3 4), (5 6 7 8)
  const std::vector<float> B = {1, 0, 2, 1, 0, 1, 1, 0, 1, 1, 1, 1};       // columns (1 0 2 1), (0 1 1 0), (1 1 1 1)
  const std::vector<float> want = {1 + 6 + 4, 5 + 14 + 8, 2 + 3, 6 + 7, 10, 26};  // C 2x3 column-major
  float* dA = s.upload(A);
  float* dB = s.upload(B);
  float* dC = s.poisoned(6);
  const float one = 1.0f, zero = 0.0f;
  REQUIRE(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 3, 4, &one, dA, 2, dB, 4, &zero, dC, 2) ==
          CUBLAS_STATUS_SUCCESS);
  check_close(s.download(dC, 6), want);

  // Same product from transposed storage: A^T stored 4x2 (lda 4), B^T stored 3x4 (ldb 3); alpha 2, beta 1.
  const std::vector<float> At = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> Bt = {1, 0, 1, 0, 1, 1, 2, 1, 1, 1, 0, 1};
  float* dAt = s.upload(At);
  float* dBt = s.upload(Bt);
  const float two = 2.0f;
  REQUIRE(cublasSgemm(s.blas, CUBLAS_OP_T, CUBLAS_OP_T, 2, 3, 4, &two, dAt, 4, dBt, 3, &one, dC, 2) ==
          CUBLAS_STATUS_SUCCESS);
  std::vector<float> triple(want);
  for (float& v : triple) v *= 3;
  check_close(s.download(dC, 6), triple);

  // Call-time rejections enqueue nothing.
  CHECK(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 3, 4, &one, dA, 1, dB, 4, &zero, dC, 2) ==
        CUBLAS_STATUS_INVALID_VALUE);  // lda < m
  CHECK(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, -1, 3, 4, &one, dA, 2, dB, 4, &zero, dC, 2) ==
        CUBLAS_STATUS_INVALID_VALUE);
  std::vector<float> host(6);
  CHECK(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 3, 4, &one, dA, 2, dB, 4, &zero, host.data(), 2) ==
        CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 3, 4, &one, dA, 2, dB, 3, &zero, dC, 2) ==
        CUBLAS_STATUS_INVALID_VALUE);  // ldb < k
  // Deferred: nothing happens until the stream is synchronised.
  float* dD = s.upload({7, 7, 7, 7, 7, 7});
  REQUIRE(cublasSgemm(s.blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 3, 4, &one, dA, 2, dB, 4, &zero, dD, 2) ==
          CUBLAS_STATUS_SUCCESS);
  std::vector<float> early(6, 0.0f);
  std::memcpy(early.data(), dD, sizeof(float) * 6);  // emulated device memory is host memory
  CHECK(early[0] == 7.0f);
  check_close(s.download(dD, 6), want);
}

TEST_CASE("emulated cuDNN: 1-channel 3x3 convolution, both modes, padding and stride") {
  session s;
  for (cudnnTensorFormat_t fmt : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC}) {
    CAPTURE(fmt);
    tensor x(fmt, 1, 1, 3, 3), y(fmt, 1, 1, 2, 2);
    filter w(fmt, 1, 1, 2, 2);
    float* dx = s.upload(kImage);
    float* dw = s.upload(kTaps);
    float* dy = s.poisoned(4);
    const float one = 1.0f, zero = 0.0f;
    convolution xcorr(0, 1, CUDNN_CROSS_CORRELATION);
    REQUIRE(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, xcorr.d, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, y.d, dy) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(dy, 4), {37, 47, 67, 77});
    convolution flipped(0, 1, CUDNN_CONVOLUTION);
    REQUIRE(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, flipped.d, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, y.d, dy) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(dy, 4), {23, 33, 53, 63});
    convolution padded(1, 2, CUDNN_CROSS_CORRELATION);
    REQUIRE(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, padded.d, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, y.d, dy) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(dy, 4), {4, 18, 36, 77});
    // Backward passes with dy = 1 everywhere.
    float* ones = s.upload({1, 1, 1, 1});
    float* dgrad = s.poisoned(9);
    REQUIRE(cudnnConvolutionBackwardData(s.dnn, &one, w.d, dw, y.d, ones, xcorr.d, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                         nullptr, 0, &zero, x.d, dgrad) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(dgrad, 9), {1, 3, 2, 4, 10, 6, 3, 7, 4});
    float* wgrad = s.poisoned(4);
    REQUIRE(cudnnConvolutionBackwardFilter(s.dnn, &one, x.d, dx, y.d, ones, xcorr.d,
                                           CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, nullptr, 0, &zero, w.d,
                                           wgrad) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(wgrad, 4), {12, 16, 24, 28});
    // A wrong output shape is refused at call time.
    tensor wrong(fmt, 1, 1, 3, 3);
    CHECK(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, xcorr.d, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                  nullptr, 0, &zero, wrong.d, dgrad) == CUDNN_STATUS_BAD_PARAM);
  }
}

TEST_CASE("emulated cuDNN: 2-channel 1x1 convolution reads NCHW and NHWC (KCRS / KRSC) layouts") {
  session s;
  // Channel 0 = (1 2 3 4), channel 1 = (5 6 7 8); filter k=2: out0 = c0 + 10 c1, out1 = 2 c0 - c1.
  const std::vector<float> nchw = {1, 2, 3, 4, 5, 6, 7, 8}, nhwc = {1, 5, 2, 6, 3, 7, 4, 8};
  const std::vector<float> taps = {1, 10, 2, -1};  // (k, c) with r = s = 1: same in KCRS and KRSC
  const std::vector<float> out_nchw = {51, 62, 73, 84, -3, -2, -1, 0}, out_nhwc = {51, -3, 62, -2, 73, -1, 84, 0};
  for (cudnnTensorFormat_t fmt : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC}) {
    CAPTURE(fmt);
    const bool is_nchw = fmt == CUDNN_TENSOR_NCHW;
    tensor x(fmt, 1, 2, 2, 2), y(fmt, 1, 2, 2, 2);
    filter w(fmt, 2, 2, 1, 1);
    convolution conv(0, 1, CUDNN_CROSS_CORRELATION);
    float* dx = s.upload(is_nchw ? nchw : nhwc);
    float* dw = s.upload(taps);
    float* dy = s.poisoned(8);
    const float one = 1.0f, zero = 0.0f;
    size_t ws = 0;
    REQUIRE(cudnnGetConvolutionForwardWorkspaceSize(s.dnn, x.d, w.d, conv.d, y.d,
                                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                                    &ws) == CUDNN_STATUS_SUCCESS);
    REQUIRE(ws > 0);
    CHECK(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, conv.d,
                                  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, nullptr, 0, &zero, y.d,
                                  dy) == CUDNN_STATUS_BAD_PARAM);  // workspace too small
    float* workspace = s.poisoned(ws / sizeof(float) + 1);
    REQUIRE(cudnnConvolutionForward(s.dnn, &one, x.d, dx, w.d, dw, conv.d,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, workspace, ws, &zero, y.d,
                                    dy) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(dy, 8), is_nchw ? out_nchw : out_nhwc);
  }
}

TEST_CASE("emulated cuDNN: heuristics list an unsupported engine first and honour the math type") {
  session s;
  tensor x(CUDNN_TENSOR_NHWC, 2, 3, 5, 5), y(CUDNN_TENSOR_NHWC, 2, 4, 3, 3);
  filter w(CUDNN_TENSOR_NHWC, 4, 3, 3, 3);
  for (cudnnMathType_t math : {CUDNN_FMA_MATH, CUDNN_DEFAULT_MATH}) {
    convolution conv(0, 1, CUDNN_CROSS_CORRELATION, math);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT + 1];
    int n = 0;
    REQUIRE(cudnnGetConvolutionForwardAlgorithm_v7(s.dnn, x.d, w.d, conv.d, y.d, CUDNN_CONVOLUTION_FWD_ALGO_COUNT + 1,
                                                   &n, perf) == CUDNN_STATUS_SUCCESS);
    REQUIRE(n >= 3);
    CHECK(perf[0].status == CUDNN_STATUS_NOT_SUPPORTED);
    bool tensor_op = false, plain = false;
    for (int i = 0; i < n; ++i) {
      if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
      tensor_op |= perf[i].mathType == CUDNN_TENSOR_OP_MATH;
      plain |= perf[i].mathType == math;
      size_t ws = 1;
      REQUIRE(cudnnGetConvolutionForwardWorkspaceSize(s.dnn, x.d, w.d, conv.d, y.d, perf[i].algo, &ws) ==
              CUDNN_STATUS_SUCCESS);
      CHECK(ws == perf[i].memory);
    }
    CHECK(plain);
    CHECK(tensor_op == (math == CUDNN_DEFAULT_MATH));
    size_t ws = 0;
    CHECK(cudnnGetConvolutionForwardWorkspaceSize(s.dnn, x.d, w.d, conv.d, y.d, cudnnConvolutionFwdAlgo_t(42), &ws) ==
          CUDNN_STATUS_BAD_PARAM);
  }
}

TEST_CASE("emulated cuDNN: max-pool backward routes dy to the first maximum of each window") {
  session s;
  tensor x(CUDNN_TENSOR_NCHW, 1, 1, 2, 4), y(CUDNN_TENSOR_NCHW, 1, 1, 1, 2);
  cudnnPoolingDescriptor_t pool = nullptr;
  REQUIRE(cudnnCreatePoolingDescriptor(&pool) == CUDNN_STATUS_SUCCESS);
  REQUIRE(cudnnSetPooling2dDescriptor(pool, CUDNN_POOLING_MAX_DETERMINISTIC, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 0, 0, 2,
                                      2) == CUDNN_STATUS_SUCCESS);
  float* dx_in = s.upload({1, 3, 3, 0, 2, 3, 1, 5});
  float* dy_out = s.poisoned(2);
  const float one = 1.0f, zero = 0.0f;
  REQUIRE(cudnnPoolingForward(s.dnn, pool, &one, x.d, dx_in, &zero, y.d, dy_out) == CUDNN_STATUS_SUCCESS);
  check_close(s.download(dy_out, 2), {3, 5});
  float* grad = s.upload({10, 20});
  float* dx = s.poisoned(8);
  REQUIRE(cudnnPoolingBackward(s.dnn, pool, &one, y.d, dy_out, y.d, grad, x.d, dx_in, &zero, x.d, dx) ==
          CUDNN_STATUS_SUCCESS);
  check_close(s.download(dx, 8), {0, 10, 0, 0, 0, 0, 0, 20});
  // Average (padding excluded) spreads dy over the in-bounds elements.
  REQUIRE(cudnnSetPooling2dDescriptor(pool, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, CUDNN_NOT_PROPAGATE_NAN, 2, 2,
                                      0, 0, 2, 2) == CUDNN_STATUS_SUCCESS);
  REQUIRE(cudnnPoolingBackward(s.dnn, pool, &one, y.d, dy_out, y.d, grad, x.d, dx_in, &zero, x.d, dx) ==
          CUDNN_STATUS_SUCCESS);
  check_close(s.download(dx, 8), {2.5f, 2.5f, 5, 5, 2.5f, 2.5f, 5, 5});
  tensor wrong(CUDNN_TENSOR_NCHW, 1, 1, 1, 3);
  CHECK(cudnnPoolingForward(s.dnn, pool, &one, x.d, dx_in, &zero, wrong.d, dy_out) == CUDNN_STATUS_BAD_PARAM);
  cudnnDestroyPoolingDescriptor(pool);
}

TEST_CASE("emulated cuDNN: softmax, log-softmax and in-place activation") {
  session s;
  tensor t(CUDNN_TENSOR_NCHW, 2, 3, 1, 1);
  float* x = s.upload({0, 1, 2, -1, -1, -1});
  float* y = s.poisoned(6);
  const float one = 1.0f, zero = 0.0f;
  REQUIRE(cudnnSoftmaxForward(s.dnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, &one, t.d, x, &zero, t.d, y) ==
          CUDNN_STATUS_SUCCESS);
  const double e = std::exp(1.0), z = 1 + e + e * e;
  check_close(s.download(y, 6), {float(1 / z), float(e / z), float(e * e / z), 1 / 3.f, 1 / 3.f, 1 / 3.f});
  REQUIRE(cudnnSoftmaxForward(s.dnn, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_CHANNEL, &one, t.d, x, &zero, t.d, x) ==
          CUDNN_STATUS_SUCCESS);  // in place
  const float l = float(std::log(z));
  check_close(s.download(x, 6), {-l, 1 - l, 2 - l, -std::log(3.f), -std::log(3.f), -std::log(3.f)});
  // dx = dy - exp(y) * sum(dy), dy = (1, 0, 0) per row.
  float* dy = s.upload({1, 0, 0, 1, 0, 0});
  REQUIRE(cudnnSoftmaxBackward(s.dnn, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &one, t.d, x, t.d, dy, &zero, t.d,
                               dy) == CUDNN_STATUS_SUCCESS);
  check_close(s.download(dy, 6), {float(1 - 1 / z), float(-e / z), float(-e * e / z), 2 / 3.f, -1 / 3.f, -1 / 3.f});

  cudnnActivationDescriptor_t act = nullptr;
  REQUIRE(cudnnCreateActivationDescriptor(&act) == CUDNN_STATUS_SUCCESS);
  REQUIRE(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0) ==
          CUDNN_STATUS_SUCCESS);
  float* v = s.upload({-2, -1, 0, 1, 2, 3});
  REQUIRE(cudnnActivationForward(s.dnn, act, &one, t.d, v, &zero, t.d, v) == CUDNN_STATUS_SUCCESS);
  float* g = s.upload({5, 5, 5, 5, 5, 5});
  REQUIRE(cudnnActivationBackward(s.dnn, act, &one, t.d, v, t.d, g, t.d, v, &zero, t.d, g) == CUDNN_STATUS_SUCCESS);
  check_close(s.download(v, 6), {0, 0, 0, 1, 2, 3});
  check_close(s.download(g, 6), {0, 0, 0, 5, 5, 5});
  std::vector<float> host(6);
  CHECK(cudnnActivationForward(s.dnn, act, &one, t.d, host.data(), &zero, t.d, v) == CUDNN_STATUS_BAD_PARAM);
  cudnnDestroyActivationDescriptor(act);
}

TEST_CASE("emulated cuDNN: cudnnAddTensor broadcasts a per-channel bias in either layout") {
  session s;
  for (cudnnTensorFormat_t fmt : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC}) {
    CAPTURE(fmt);
    tensor bias(fmt, 1, 2, 1, 1), c(fmt, 1, 2, 1, 2);
    float* b = s.upload({10, 20});
    float* out = s.upload({1, 2, 3, 4});
    const float one = 1.0f;
    REQUIRE(cudnnAddTensor(s.dnn, &one, bias.d, b, &one, c.d, out) == CUDNN_STATUS_SUCCESS);
    check_close(s.download(out, 4), fmt == CUDNN_TENSOR_NCHW ? std::vector<float>{11, 12, 23, 24}
                                                              : std::vector<float>{11, 22, 13, 24});
  }
}
