// conv.cpp — convolutions with cuDNN (NHWC with KRSC filters, or NCHW/KCRS).
//
// Algorithm: cuDNN's heuristics (cudnnGet*Algorithm_v7) ranked, FP32-exact
// math first, cached per (kind, shape, attrs); an algorithm that fails at
// execution with NOT_SUPPORTED, or whose workspace does not fit, is skipped
// for the next one (see run_ranked).
// FMA math is requested so FP32 results stay within FP32 tolerances of the
// CPU backend (TF32 tensor cores would not). Workspace comes from the
// caching allocator and goes back to it once the call is enqueued.
#include "conv.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <vector>

namespace bp::cudnn {
namespace {

class conv_desc {
 public:
  explicit conv_desc(const bp::sdk::conv_geometry& g) {
    const cudnn_api& dnn = vendor().dnn;
    BP_CHECK(dnn.cudnnCreateConvolutionDescriptor(&d_));
    BP_CHECK(dnn.cudnnSetConvolution2dDescriptor(d_, int(g.pad_top), int(g.pad_left), int(g.stride_h), int(g.stride_w),
                                                 int(g.dil_h), int(g.dil_w), CUDNN_CROSS_CORRELATION,
                                                 CUDNN_DATA_FLOAT));
    BP_CHECK(dnn.cudnnSetConvolutionMathType(d_, CUDNN_FMA_MATH));
  }
  ~conv_desc() { vendor().dnn.cudnnDestroyConvolutionDescriptor(d_); }
  conv_desc(const conv_desc&) = delete;
  conv_desc& operator=(const conv_desc&) = delete;
  operator cudnnConvolutionDescriptor_t() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

std::string shape_key(bp_op_kind kind, const bp::sdk::conv_geometry& g) {
  std::string k = std::to_string(kind);
  for (int64_t v : {int64_t(g.nchw), g.n, g.h, g.w, g.c, g.k, g.r, g.s, g.stride_h, g.stride_w, g.dil_h, g.dil_w,
                    g.pad_top, g.pad_left})
    k += ',' + std::to_string(v);
  return k;
}

// Usable heuristic results in cuDNN's order, FMA (or default) math first and
// tensor-op math after: FP32 results must stay within FP32 tolerances.
template <typename Perf>
std::vector<int> rank(const Perf* perf, int returned) {
  std::vector<int> exact, tensor_op;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    const bool fp32 = perf[i].mathType == CUDNN_FMA_MATH || perf[i].mathType == CUDNN_DEFAULT_MATH;
    (fp32 ? exact : tensor_op).push_back(int(perf[i].algo));
  }
  exact.insert(exact.end(), tensor_op.begin(), tensor_op.end());
  return exact;
}

// The ranked algorithms for a shape: asked of cuDNN once, then cached (the
// one that last ran first).
std::vector<int> candidates(device_context& dev, const std::string& key, const std::function<std::vector<int>()>& ask) {
  {
    std::lock_guard<std::mutex> lock(dev.algo_mutex);
    auto it = dev.algo_cache.find(key);
    if (it != dev.algo_cache.end()) return it->second;
  }
  std::vector<int> ranked = ask();
  std::lock_guard<std::mutex> lock(dev.algo_mutex);
  return dev.algo_cache.emplace(key, std::move(ranked)).first->second;
}

void remember_first(device_context& dev, const std::string& key, int algo) {
  std::lock_guard<std::mutex> lock(dev.algo_mutex);
  auto& list = dev.algo_cache[key];
  auto it = std::find(list.begin(), list.end(), algo);
  if (it != list.end() && it != list.begin()) std::rotate(list.begin(), it, it + 1);
}

// Runs one convolution over the ranked algorithms: one that cuDNN refuses at
// execution time (a NOT_SUPPORTED status the heuristics did not predict) or
// whose workspace does not fit in device memory is skipped for the next;
// any other failure is the op's error. The algorithm that ran is tried first
// next time.
void run_ranked(const op_call& call, const std::string& key, const char* what,
                const std::function<std::vector<int>()>& ask,
                const std::function<cudnnStatus_t(int algo, size_t* bytes)>& workspace_size,
                const std::function<cudnnStatus_t(int algo, void* workspace, size_t bytes)>& run) {
  device_context& dev = call.dev;
  const std::vector<int> algos = candidates(dev, key, ask);
  std::string skipped;
  bool out_of_memory = false;  // some algorithm was skipped for its workspace
  auto skip = [&](int algo, const std::string& why) {
    skipped += (skipped.empty() ? "" : "; ") + ("algo " + std::to_string(algo) + ": " + why);
  };
  for (int algo : algos) {
    size_t bytes = 0;
    cudnnStatus_t st = workspace_size(algo, &bytes);
    if (st != CUDNN_STATUS_SUCCESS) {
      skip(algo, "workspace query " + describe(st));
      continue;
    }
    std::unique_ptr<scratch_buffer> workspace;
    try {
      workspace = std::make_unique<scratch_buffer>(dev, call.stream, bytes);
    } catch (const bp::sdk::failure& f) {
      if (f.status() != BP_ERR_OUT_OF_MEMORY) throw;
      out_of_memory = true;
      skip(algo, "workspace of " + format_bytes(bytes) + " does not fit");
      continue;
    }
    st = run(algo, workspace->ptr(), bytes);
    if (st == CUDNN_STATUS_SUCCESS) {
      if (algo != algos.front()) remember_first(dev, key, algo);
      return;
    }
    if (status_from(st) != BP_ERR_UNSUPPORTED) check(st, what);
    skip(algo, describe(st));
  }
  bp::sdk::fail(out_of_memory ? BP_ERR_OUT_OF_MEMORY : BP_ERR_UNSUPPORTED,
                std::string("cudnn plugin: no cuDNN algorithm could run ") + what +
                    (algos.empty() ? ": the heuristics returned none" : " (" + skipped + ")"));
}

cudnnActivationMode_t activation_mode(bp_activation a) {
  switch (a) {
    case BP_ACTIVATION_SIGMOID: return CUDNN_ACTIVATION_SIGMOID;
    case BP_ACTIVATION_TANH: return CUDNN_ACTIVATION_TANH;
    default: return CUDNN_ACTIVATION_RELU;
  }
}

struct conv_setup {
  bp::sdk::conv_geometry g;
  tensor_desc x, y, bias;
  std::unique_ptr<filter_desc> w;
  std::unique_ptr<conv_desc> conv;
};

void setup(conv_setup& s, const bp_conv2d_attrs& a, const bp_tensor& image, const bp_tensor& filter_or_dw) {
  s.g = bp::sdk::make_conv_geometry(a, image.shape, filter_or_dw.shape);
  const auto& g = s.g;
  s.x.image(g.nchw, g.n, g.c, g.h, g.w);
  s.y.image(g.nchw, g.n, g.k, g.p, g.q);
  s.w = std::make_unique<filter_desc>(g.nchw, g.k, g.c, g.r, g.s);
  s.conv = std::make_unique<conv_desc>(g);
}

void forward(const op_call& call) {
  const auto& a = call.attrs<bp_conv2d_attrs>();
  conv_setup s;
  setup(s, a, call.in(0), call.in(1));
  device_context& dev = call.dev;
  const cudnn_api& dnn = dev.dnn_api();
  const float one = 1.0f, zero = 0.0f;
  library_lock lock(dev, call.stream);
  void* y = typed<void>(call.out(0));
  run_ranked(
      call, shape_key(call.op.kind, s.g), "cudnnConvolutionForward",
      [&] {
        std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perf{};
        int n = 0;
        BP_CHECK(dnn.cudnnGetConvolutionForwardAlgorithm_v7(dev.dnn, s.x, *s.w, *s.conv, s.y, int(perf.size()), &n,
                                                            perf.data()));
        return rank(perf.data(), n);
      },
      [&](int algo, size_t* bytes) {
        return dnn.cudnnGetConvolutionForwardWorkspaceSize(dev.dnn, s.x, *s.w, *s.conv, s.y,
                                                           cudnnConvolutionFwdAlgo_t(algo), bytes);
      },
      [&](int algo, void* ws, size_t bytes) {
        return dnn.cudnnConvolutionForward(dev.dnn, &one, s.x, typed<void>(call.in(0)), *s.w, typed<void>(call.in(1)),
                                           *s.conv, cudnnConvolutionFwdAlgo_t(algo), ws, bytes, &zero, s.y, y);
      });
  if (call.op.num_inputs > 2) {
    s.bias.image(s.g.nchw, 1, s.g.k, 1, 1);
    BP_CHECK(dnn.cudnnAddTensor(dev.dnn, &one, s.bias, typed<void>(call.in(2)), &one, s.y, y));
  }
  if (a.activation != BP_ACTIVATION_NONE) {
    activation_desc act(activation_mode(a.activation));
    BP_CHECK(dnn.cudnnActivationForward(dev.dnn, act, &one, s.y, y, &zero, s.y, y));
  }
}

void backward_data(const op_call& call) {
  const auto& a = call.attrs<bp_conv2d_attrs>();
  conv_setup s;
  setup(s, a, call.out(0), call.in(1));  // geometry from dx and w
  device_context& dev = call.dev;
  const cudnn_api& dnn = dev.dnn_api();
  const float one = 1.0f, zero = 0.0f;
  library_lock lock(dev, call.stream);
  run_ranked(
      call, shape_key(call.op.kind, s.g), "cudnnConvolutionBackwardData",
      [&] {
        std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> perf{};
        int n = 0;
        BP_CHECK(dnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(dev.dnn, *s.w, s.y, *s.conv, s.x, int(perf.size()),
                                                                 &n, perf.data()));
        return rank(perf.data(), n);
      },
      [&](int algo, size_t* bytes) {
        return dnn.cudnnGetConvolutionBackwardDataWorkspaceSize(dev.dnn, *s.w, s.y, *s.conv, s.x,
                                                                cudnnConvolutionBwdDataAlgo_t(algo), bytes);
      },
      [&](int algo, void* ws, size_t bytes) {
        return dnn.cudnnConvolutionBackwardData(dev.dnn, &one, *s.w, typed<void>(call.in(1)), s.y,
                                                typed<void>(call.in(0)), *s.conv, cudnnConvolutionBwdDataAlgo_t(algo),
                                                ws, bytes, &zero, s.x, typed<void>(call.out(0)));
      });
}

void backward_filter(const op_call& call) {
  const auto& a = call.attrs<bp_conv2d_attrs>();
  conv_setup s;
  setup(s, a, call.in(0), call.out(0));  // geometry from x and dw
  device_context& dev = call.dev;
  const cudnn_api& dnn = dev.dnn_api();
  const float one = 1.0f, zero = 0.0f;
  library_lock lock(dev, call.stream);
  run_ranked(
      call, shape_key(call.op.kind, s.g), "cudnnConvolutionBackwardFilter",
      [&] {
        std::array<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT> perf{};
        int n = 0;
        BP_CHECK(dnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(dev.dnn, s.x, s.y, *s.conv, *s.w, int(perf.size()),
                                                                   &n, perf.data()));
        return rank(perf.data(), n);
      },
      [&](int algo, size_t* bytes) {
        return dnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(dev.dnn, s.x, s.y, *s.conv, *s.w,
                                                                  cudnnConvolutionBwdFilterAlgo_t(algo), bytes);
      },
      [&](int algo, void* ws, size_t bytes) {
        return dnn.cudnnConvolutionBackwardFilter(dev.dnn, &one, s.x, typed<void>(call.in(0)), s.y,
                                                  typed<void>(call.in(1)), *s.conv,
                                                  cudnnConvolutionBwdFilterAlgo_t(algo), ws, bytes, &zero, *s.w,
                                                  typed<void>(call.out(0)));
      });
}

}  // namespace

std::string conv_limits(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_conv2d_attrs*>(op.attrs);
  const bp_tensor& image = op.kind == BP_OP_CONV2D_BWD_DATA ? op.outputs[0] : op.inputs[0];
  const bp_tensor& filter = op.kind == BP_OP_CONV2D_BWD_FILTER ? op.outputs[0] : op.inputs[1];
  const auto g = bp::sdk::make_conv_geometry(a, image.shape, filter.shape);
  if (g.pad_top != g.pad_bottom || g.pad_left != g.pad_right)
    return "cuDNN's convolution descriptor takes symmetric padding only; this op needs top/bottom " +
           std::to_string(g.pad_top) + "/" + std::to_string(g.pad_bottom) + ", left/right " + std::to_string(g.pad_left) +
           "/" + std::to_string(g.pad_right);
  for (int64_t v : {g.n, g.h, g.w, g.c, g.k, g.p, g.q})
    if (!fits_int(v)) return "an extent exceeds cuDNN's 32-bit dimension limit";
  return {};
}

void conv_execute(const op_call& call) {
  switch (call.op.kind) {
    case BP_OP_CONV2D_FWD: return forward(call);
    case BP_OP_CONV2D_BWD_DATA: return backward_data(call);
    default: return backward_filter(call);
  }
}

}  // namespace bp::cudnn
