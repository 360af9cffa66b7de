// emu_cudnn_conv.cpp — test-only libcudnn.so.9: convolution heuristics,
// workspace sizes, forward / backward data / backward filter, and
// cudnnAddTensor, computed on the CPU with double accumulation.
//
// Emulated algorithm set (per direction, a few are "implemented", the rest
// report CUDNN_STATUS_NOT_SUPPORTED, as real heuristics do for shapes an
// engine cannot take):
//   forward       IMPLICIT_GEMM (no workspace), IMPLICIT_PRECOMP_GEMM, GEMM
//   backward data ALGO_0 (no workspace, non-deterministic), ALGO_1
//   backward flt  ALGO_0 (no workspace, non-deterministic), ALGO_1, ALGO_3
// BP_EMU_CUDNN_REFUSE_FIRST=1 makes the first usable one fail at execution.
// Algorithms with a workspace need a few KiB that depend on the shape; the
// execute calls fill it with NaN bytes while they run, so a caller that
// hands the same workspace to concurrent work gets wrong numbers.
// Math: FMA_MATH computes in full FP32 inputs; any other math type rounds the
// inputs to TF32 first (cuDNN permits TF32 tensor cores for FP32 data unless
// CUDNN_FMA_MATH is set on Ampere and newer).
#include <cstdlib>
#include <string>
#include <vector>

#include "emu_cudnn_common.hpp"

using namespace bp_emu_dnn;

namespace {

enum class direction { forward, backward_data, backward_filter };

struct algo_entry {
  int algo;
  bool implemented;
  bool workspace;
  cudnnDeterminism_t determinism;
};

// Heuristic order, best first: a NOT_SUPPORTED engine leads, so a caller
// that ignores perf[i].status picks an algorithm the execute call refuses.
const std::vector<algo_entry>& ranking(direction d) {
  static const std::vector<algo_entry> fwd = {
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, true, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, true, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, true, false, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, false, false, CUDNN_DETERMINISTIC}};
  static const std::vector<algo_entry> bwd_data = {
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, true, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, true, false, CUDNN_NON_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED, false, true, CUDNN_DETERMINISTIC}};
  static const std::vector<algo_entry> bwd_filter = {
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, true, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, true, false, CUDNN_NON_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, true, true, CUDNN_NON_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, false, true, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD, false, false, CUDNN_DETERMINISTIC},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED, false, true, CUDNN_DETERMINISTIC}};
  return d == direction::forward ? fwd : d == direction::backward_data ? bwd_data : bwd_filter;
}

const algo_entry* find_algo(direction d, int algo) {
  for (const algo_entry& e : ranking(d))
    if (e.algo == algo) return &e;
  return nullptr;
}

// Everything one convolution needs, copied by value into the enqueued task.
struct conv_problem {
  cudnnTensorStruct x, y;  // image and its output (y is dy for the backward passes)
  cudnnFilterStruct w;
  cudnnConvolutionStruct cv;
  int64_t wst[4];  // filter element strides in (k, c, r, s) order
};

// Checks descriptors and the documented output size; fills `pb`.
cudnnStatus_t check_problem(const char* call, cudnnHandle_t handle, const cudnnTensorStruct* x,
                            const cudnnFilterStruct* w, const cudnnConvolutionStruct* cv, const cudnnTensorStruct* y,
                            conv_problem& pb) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (!tensor_ok(x) || !tensor_ok(y) || !w || !w->set || !cv || !cv->set)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "a descriptor is NULL or was never set");
  if (x->dims[1] != w->c) return reject(call, CUDNN_STATUS_BAD_PARAM, "image channels differ from the filter's C");
  if (y->dims[1] != w->k) return reject(call, CUDNN_STATUS_BAD_PARAM, "output channels differ from the filter's K");
  if (y->dims[0] != x->dims[0]) return reject(call, CUDNN_STATUS_BAD_PARAM, "batch sizes differ");
  const int eff_r = (w->r - 1) * cv->dil_h + 1, eff_s = (w->s - 1) * cv->dil_w + 1;
  const int span_h = x->dims[2] + 2 * cv->pad_h, span_w = x->dims[3] + 2 * cv->pad_w;
  if (span_h < eff_r || span_w < eff_s)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "the dilated filter is larger than the padded image");
  const int p = 1 + (span_h - eff_r) / cv->stride_h, q = 1 + (span_w - eff_s) / cv->stride_w;
  if (y->dims[2] != p || y->dims[3] != q) {
    char why[160];
    std::snprintf(why, sizeof why, "output dims %dx%d differ from the convolution's output size %dx%d", y->dims[2],
                  y->dims[3], p, q);
    return reject(call, CUDNN_STATUS_BAD_PARAM, why);
  }
  pb.x = *x, pb.y = *y, pb.w = *w, pb.cv = *cv;
  filter_strides(*w, pb.wst);
  return CUDNN_STATUS_SUCCESS;
}

// Workspace bytes of an implemented algorithm with a workspace: a few KiB,
// depending on the filter size, so different shapes need different sizes.
size_t workspace_bytes(const algo_entry& e, const conv_problem& pb) {
  if (!e.workspace) return 0;
  return 1024 + 256 * size_t(e.algo) + sizeof(float) * size_t(pb.w.c) * size_t(pb.w.r) * size_t(pb.w.s);
}

template <typename Perf, typename Algo>
cudnnStatus_t heuristics(const char* call, direction d, const conv_problem& pb, int requested, int* returned,
                         Perf* perf) {
  if (requested <= 0 || !returned || !perf)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "requestedAlgoCount < 1 or a NULL output pointer");
  std::vector<Perf> list;
  const cudnnMathType_t math = pb.cv.math;
  const bool tensor_ops = math == CUDNN_DEFAULT_MATH || math == CUDNN_TENSOR_OP_MATH ||
                          math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
  bool tensor_entry_added = false;
  for (const algo_entry& e : ranking(d)) {
    Perf p{};
    p.algo = Algo(e.algo);
    p.determinism = e.determinism;
    if (!e.implemented) {
      p.status = CUDNN_STATUS_NOT_SUPPORTED;
      p.time = -1.0f;
      p.mathType = math;
      list.push_back(p);
      continue;
    }
    p.status = CUDNN_STATUS_SUCCESS;
    p.memory = workspace_bytes(e, pb);
    if (tensor_ops && !tensor_entry_added) {  // the tensor-core variant ranks first among usable ones
      Perf t = p;
      t.mathType = CUDNN_TENSOR_OP_MATH;
      list.push_back(t);
      tensor_entry_added = true;
    }
    p.mathType = math;
    list.push_back(p);
  }
  // Usable entries first (NOT_SUPPORTED ones follow), keeping the order otherwise,
  // but the very first entry stays the leading NOT_SUPPORTED engine.
  std::vector<Perf> ordered{list.front()};
  for (size_t i = 1; i < list.size(); ++i)
    if (list[i].status == CUDNN_STATUS_SUCCESS) ordered.push_back(list[i]);
  for (size_t i = 1; i < list.size(); ++i)
    if (list[i].status != CUDNN_STATUS_SUCCESS) ordered.push_back(list[i]);
  float time = 0.05f;
  const int n = requested < int(ordered.size()) ? requested : int(ordered.size());
  for (int i = 0; i < n; ++i) {
    if (ordered[size_t(i)].status == CUDNN_STATUS_SUCCESS) ordered[size_t(i)].time = (time += 0.01f);
    perf[i] = ordered[size_t(i)];
  }
  *returned = n;
  return CUDNN_STATUS_SUCCESS;
}

// BP_EMU_CUDNN_REFUSE_FIRST=1: the first usable algorithm of each direction
// passes the heuristics but returns NOT_SUPPORTED when executed, as real
// engines sometimes do for a shape; a caller must go on to the next one.
bool refuses_at_execution(direction d, int algo) {
  const char* v = std::getenv("BP_EMU_CUDNN_REFUSE_FIRST");
  if (!v || std::string(v) != "1") return false;
  for (const algo_entry& e : ranking(d))
    if (e.implemented) return e.algo == algo;
  return false;
}

cudnnStatus_t workspace_query(const char* call, direction d, int algo, const conv_problem& pb, size_t* size) {
  if (!size) return reject(call, CUDNN_STATUS_BAD_PARAM, "sizeInBytes is NULL");
  const algo_entry* e = find_algo(d, algo);
  if (!e) return reject(call, CUDNN_STATUS_BAD_PARAM, "unknown algorithm");
  if (!e->implemented) return reject(call, CUDNN_STATUS_NOT_SUPPORTED, "algorithm not supported for this problem");
  *size = workspace_bytes(*e, pb);
  return CUDNN_STATUS_SUCCESS;
}

// Checks algo and workspace for an execute call; returns the bytes it will scribble on.
cudnnStatus_t check_execution(const char* call, direction d, int algo, const conv_problem& pb, void* ws,
                              size_t ws_size, size_t& required) {
  const algo_entry* e = find_algo(d, algo);
  if (!e) return reject(call, CUDNN_STATUS_BAD_PARAM, "unknown algorithm");
  if (!e->implemented) return reject(call, CUDNN_STATUS_NOT_SUPPORTED, "algorithm not supported for this problem");
  if (refuses_at_execution(d, algo))
    return reject(call, CUDNN_STATUS_NOT_SUPPORTED, "refused at execution (BP_EMU_CUDNN_REFUSE_FIRST=1)");
  required = workspace_bytes(*e, pb);
  if (ws_size < required) {
    char why[160];
    std::snprintf(why, sizeof why, "workspace of %zu bytes is smaller than the %zu bytes this algorithm needs",
                  ws_size, required);
    return reject(call, CUDNN_STATUS_BAD_PARAM, why);
  }
  if (required > 0 && !device_ok(call, "workSpace", ws, ws_size)) return CUDNN_STATUS_BAD_PARAM;
  return CUDNN_STATUS_SUCCESS;
}

void scribble(void* ws, size_t bytes) {
  if (ws && bytes) std::memset(ws, 0xFF, bytes);  // all-ones bytes are NaN floats
}

// Filter tap (r, s) as stored: CONVOLUTION mode flips the filter.
struct tap_map {
  bool flip;
  int r, s;
  int64_t offset(const int64_t st[4], int64_t k, int64_t c, int rr, int ss) const {
    const int fr = flip ? r - 1 - rr : rr, fs = flip ? s - 1 - ss : ss;
    return k * st[0] + c * st[1] + fr * st[2] + fs * st[3];
  }
};

inline float in_value(float v, bool tf32) { return tf32 ? to_tf32(v) : v; }

// What every convolution execute call checks before enqueuing, in cuDNN's
// order: the problem, the algorithm and workspace, then alpha/beta.
struct conv_call {
  conv_problem pb;
  size_t ws_bytes = 0;  // what the algorithm scribbles on
  double a = 0, b = 0;
};

cudnnStatus_t check_call(const char* call, direction d, cudnnHandle_t handle, const cudnnTensorStruct* image,
                         const cudnnFilterStruct* filter, const cudnnConvolutionStruct* conv,
                         const cudnnTensorStruct* out, int algo, void* ws, size_t ws_size, const void* alpha,
                         const void* beta, conv_call& cc) {
  cudnnStatus_t st = check_problem(call, handle, image, filter, conv, out, cc.pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  st = check_execution(call, d, algo, cc.pb, ws, ws_size, cc.ws_bytes);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  if (!read_scaling(alpha, beta, cc.a, cc.b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  return CUDNN_STATUS_SUCCESS;
}

// Calls f(n, k, c, p, q, r, s, h, w) for every filter tap (k, c, r, s) of every
// output (n, k, p, q) that lands inside the image at (h, w); taps in the padding are skipped.
template <typename F>
void for_each_tap(const conv_problem& pb, F&& f) {
  const int H = pb.x.dims[2], W = pb.x.dims[3];
  for (int n = 0; n < pb.y.dims[0]; ++n)
    for (int k = 0; k < pb.w.k; ++k)
      for (int p = 0; p < pb.y.dims[2]; ++p)
        for (int q = 0; q < pb.y.dims[3]; ++q)
          for (int c = 0; c < pb.w.c; ++c)
            for (int r = 0; r < pb.w.r; ++r) {
              const int h = p * pb.cv.stride_h - pb.cv.pad_h + r * pb.cv.dil_h;
              if (h < 0 || h >= H) continue;
              for (int s = 0; s < pb.w.s; ++s) {
                const int w = q * pb.cv.stride_w - pb.cv.pad_w + s * pb.cv.dil_w;
                if (w >= 0 && w < W) f(n, k, c, p, q, r, s, h, w);
              }
            }
}

}  // namespace

extern "C" {

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc, const cudnnFilterDescriptor_t filterDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults) {
  static const char* const call = "cudnnGetConvolutionForwardAlgorithm_v7";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, srcDesc, filterDesc, convDesc, destDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return heuristics<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(
      call, direction::forward, pb, requestedAlgoCount, returnedAlgoCount, perfResults);
}

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t filterDesc, const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults) {
  static const char* const call = "cudnnGetConvolutionBackwardDataAlgorithm_v7";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, gradDesc, filterDesc, convDesc, diffDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return heuristics<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(
      call, direction::backward_data, pb, requestedAlgoCount, returnedAlgoCount, perfResults);
}

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc, const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults) {
  static const char* const call = "cudnnGetConvolutionBackwardFilterAlgorithm_v7";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, srcDesc, gradDesc, convDesc, diffDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return heuristics<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(
      call, direction::backward_filter, pb, requestedAlgoCount, returnedAlgoCount, perfResults);
}

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle,
                                                                    const cudnnTensorDescriptor_t xDesc,
                                                                    const cudnnFilterDescriptor_t wDesc,
                                                                    const cudnnConvolutionDescriptor_t convDesc,
                                                                    const cudnnTensorDescriptor_t yDesc,
                                                                    cudnnConvolutionFwdAlgo_t algo,
                                                                    size_t* sizeInBytes) {
  static const char* const call = "cudnnGetConvolutionForwardWorkspaceSize";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, xDesc, wDesc, convDesc, yDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return workspace_query(call, direction::forward, int(algo), pb, sizeInBytes);
}

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc, const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc, cudnnConvolutionBwdDataAlgo_t algo,
    size_t* sizeInBytes) {
  static const char* const call = "cudnnGetConvolutionBackwardDataWorkspaceSize";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, dxDesc, wDesc, convDesc, dyDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return workspace_query(call, direction::backward_data, int(algo), pb, sizeInBytes);
}

BP_EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, size_t* sizeInBytes) {
  static const char* const call = "cudnnGetConvolutionBackwardFilterWorkspaceSize";
  conv_problem pb;
  const cudnnStatus_t st = check_problem(call, handle, xDesc, gradDesc, convDesc, dyDesc, pb);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  return workspace_query(call, direction::backward_filter, int(algo), pb, sizeInBytes);
}

BP_EMU_EXPORT cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha,
                                                    const cudnnTensorDescriptor_t xDesc, const void* x,
                                                    const cudnnFilterDescriptor_t wDesc, const void* w,
                                                    const cudnnConvolutionDescriptor_t convDesc,
                                                    cudnnConvolutionFwdAlgo_t algo, void* workSpace,
                                                    size_t workSpaceSizeInBytes, const void* beta,
                                                    const cudnnTensorDescriptor_t yDesc, void* y) {
  static const char* const call = "cudnnConvolutionForward";
  conv_call cc;
  const cudnnStatus_t st = check_call(call, direction::forward, handle, xDesc, wDesc, convDesc, yDesc, int(algo),
                                      workSpace, workSpaceSizeInBytes, alpha, beta, cc);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  const conv_problem& pb = cc.pb;
  if (!device_ok(call, "x", x, tensor_bytes(pb.x)) || !device_ok(call, "w", w, filter_bytes(pb.w)) ||
      !device_ok(call, "y", y, tensor_bytes(pb.y)))
    return CUDNN_STATUS_BAD_PARAM;
  return submit(call, handle, [=] {
    scribble(workSpace, cc.ws_bytes);
    const cview X = cview_of(pb.x, x);
    const view Y = view_of(pb.y, y);
    const float* W = static_cast<const float*>(w);
    const tap_map tap{pb.cv.mode == CUDNN_CONVOLUTION, pb.w.r, pb.w.s};
    const bool tf32 = pb.cv.math != CUDNN_FMA_MATH;
    const int K = pb.w.k, P = pb.y.dims[2], Q = pb.y.dims[3];
    std::vector<double> acc(size_t(pb.y.dims[0]) * K * P * Q, 0.0);  // logical NKPQ order
    for_each_tap(pb, [&](int n, int k, int c, int p, int q, int r, int s, int h, int ww) {
      acc[((size_t(n) * K + k) * P + p) * Q + q] +=
          double(in_value(X.at(n, c, h, ww), tf32)) * double(in_value(W[tap.offset(pb.wst, k, c, r, s)], tf32));
    });
    size_t i = 0;
    for_each(pb.y.dims, [&](int n, int k, int p, int q) {
      float& out = Y.at(n, k, p, q);
      out = blend(cc.a, acc[i++], cc.b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha,
                                                         const cudnnFilterDescriptor_t wDesc, const void* w,
                                                         const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                         const cudnnConvolutionDescriptor_t convDesc,
                                                         cudnnConvolutionBwdDataAlgo_t algo, void* workSpace,
                                                         size_t workSpaceSizeInBytes, const void* beta,
                                                         const cudnnTensorDescriptor_t dxDesc, void* dx) {
  static const char* const call = "cudnnConvolutionBackwardData";
  conv_call cc;
  const cudnnStatus_t st = check_call(call, direction::backward_data, handle, dxDesc, wDesc, convDesc, dyDesc,
                                      int(algo), workSpace, workSpaceSizeInBytes, alpha, beta, cc);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  const conv_problem& pb = cc.pb;
  if (!device_ok(call, "w", w, filter_bytes(pb.w)) || !device_ok(call, "dy", dy, tensor_bytes(pb.y)) ||
      !device_ok(call, "dx", dx, tensor_bytes(pb.x)))
    return CUDNN_STATUS_BAD_PARAM;
  return submit(call, handle, [=] {
    scribble(workSpace, cc.ws_bytes);
    const cview DY = cview_of(pb.y, dy);
    const view DX = view_of(pb.x, dx);
    const float* W = static_cast<const float*>(w);
    const tap_map tap{pb.cv.mode == CUDNN_CONVOLUTION, pb.w.r, pb.w.s};
    const bool tf32 = pb.cv.math != CUDNN_FMA_MATH;
    const int C = pb.x.dims[1], H = pb.x.dims[2], Wd = pb.x.dims[3];
    std::vector<double> acc(size_t(pb.x.dims[0]) * C * H * Wd, 0.0);  // logical NCHW order
    for_each_tap(pb, [&](int n, int k, int c, int p, int q, int r, int s, int h, int ww) {
      acc[((size_t(n) * C + c) * H + h) * Wd + ww] +=
          double(in_value(DY.at(n, k, p, q), tf32)) * double(in_value(W[tap.offset(pb.wst, k, c, r, s)], tf32));
    });
    size_t i = 0;
    for_each(pb.x.dims, [&](int n, int c, int h, int ww) {
      float& out = DX.at(n, c, h, ww);
      out = blend(cc.a, acc[i++], cc.b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha,
                                                           const cudnnTensorDescriptor_t xDesc, const void* x,
                                                           const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                           const cudnnConvolutionDescriptor_t convDesc,
                                                           cudnnConvolutionBwdFilterAlgo_t algo, void* workSpace,
                                                           size_t workSpaceSizeInBytes, const void* beta,
                                                           const cudnnFilterDescriptor_t dwDesc, void* dw) {
  static const char* const call = "cudnnConvolutionBackwardFilter";
  conv_call cc;
  const cudnnStatus_t st = check_call(call, direction::backward_filter, handle, xDesc, dwDesc, convDesc, dyDesc,
                                      int(algo), workSpace, workSpaceSizeInBytes, alpha, beta, cc);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  const conv_problem& pb = cc.pb;
  if (!device_ok(call, "x", x, tensor_bytes(pb.x)) || !device_ok(call, "dy", dy, tensor_bytes(pb.y)) ||
      !device_ok(call, "dw", dw, filter_bytes(pb.w)))
    return CUDNN_STATUS_BAD_PARAM;
  return submit(call, handle, [=] {
    scribble(workSpace, cc.ws_bytes);
    const cview X = cview_of(pb.x, x);
    const cview DY = cview_of(pb.y, dy);
    float* DW = static_cast<float*>(dw);
    const tap_map tap{pb.cv.mode == CUDNN_CONVOLUTION, pb.w.r, pb.w.s};
    const bool tf32 = pb.cv.math != CUDNN_FMA_MATH;
    const int C = pb.w.c, R = pb.w.r, S = pb.w.s;
    std::vector<double> acc(size_t(pb.w.k) * C * R * S, 0.0);  // logical KCRS order (unflipped taps)
    for_each_tap(pb, [&](int n, int k, int c, int p, int q, int r, int s, int h, int ww) {
      acc[((size_t(k) * C + c) * R + r) * S + s] +=
          double(in_value(DY.at(n, k, p, q), tf32)) * double(in_value(X.at(n, c, h, ww), tf32));
    });
    const int dw_dims[4] = {pb.w.k, C, R, S};
    size_t i = 0;
    for_each(dw_dims, [&](int k, int c, int r, int s) {
      float& out = DW[tap.offset(pb.wst, k, c, r, s)];
      out = blend(cc.a, acc[i++], cc.b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void* alpha,
                                           const cudnnTensorDescriptor_t aDesc, const void* A, const void* beta,
                                           const cudnnTensorDescriptor_t cDesc, void* C) {
  static const char* const call = "cudnnAddTensor";
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (!tensor_ok(aDesc) || !tensor_ok(cDesc))
    return reject(call, CUDNN_STATUS_BAD_PARAM, "a descriptor is NULL or was never set");
  for (int i = 0; i < 4; ++i)
    if (aDesc->dims[i] != 1 && aDesc->dims[i] != cDesc->dims[i])
      return reject(call, CUDNN_STATUS_BAD_PARAM, "each dim of A must be 1 or equal to C's");
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "A", A, tensor_bytes(*aDesc)) || !device_ok(call, "C", C, tensor_bytes(*cDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnTensorStruct ta = *aDesc, tc = *cDesc;
  return submit(call, handle, [=] {
    cview AV = cview_of(ta, A);
    for (int i = 0; i < 4; ++i)
      if (ta.dims[i] == 1) AV.st[i] = 0;  // broadcast: stay on the single element
    const view CV = view_of(tc, C);
    for (int n = 0; n < tc.dims[0]; ++n)
      for (int c = 0; c < tc.dims[1]; ++c)
        for (int h = 0; h < tc.dims[2]; ++h)
          for (int w = 0; w < tc.dims[3]; ++w) {
            float& out = CV.at(n, c, h, w);
            out = blend(a, double(AV.at(n, c, h, w)), b, out);
          }
  });
}

}  // extern "C"
