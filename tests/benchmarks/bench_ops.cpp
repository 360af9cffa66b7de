// Per-op benchmarks of the openblas-cpu plugin at the reference CNN's shapes
// (batch 32: Conv2D 32 3x3 ReLU -> MaxPool 2x2 -> Flatten -> Dense 10 ->
// softmax cross-entropy; Adam), plus one whole training step.
//
// Counters: GFLOPs (rate) and pct_peak, the share of the machine's FP32 peak
// = cores x FLOP/cycle x GHz, FLOP/cycle = 64 on Intel CPUs with AVX-512 (two
// 512-bit FMA ports; measured 206 GFLOP/s per core on this project's Xeon) and
// 32 otherwise (AVX2 with two FMA ports, or Zen 4's double-pumped AVX-512).
// BACKPLANE_PEAK_GFLOPS overrides; 'cpu MHz' comes from /proc/cpuinfo; 234 if
// that is unreadable (the 2-core Zen 4 at 3.66 GHz).
// Threads: BACKPLANE_CPU_THREADS, else all hardware threads.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "harness.hpp"

namespace {

double peak_gflops() {
  static const double peak = [] {
    if (const char* env = std::getenv("BACKPLANE_PEAK_GFLOPS")) {
      const double v = std::atof(env);
      if (v > 0) return v;
    }
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    double mhz = 0;
    bool intel = false, avx512 = false;
    while (std::getline(in, line)) {
      if (line.rfind("vendor_id", 0) == 0 && line.find("GenuineIntel") != std::string::npos) intel = true;
      if (line.rfind("flags", 0) == 0 && line.find(" avx512f") != std::string::npos) avx512 = true;
      if (line.rfind("cpu MHz", 0) == 0 && mhz == 0) mhz = std::atof(line.substr(line.find(':') + 1).c_str());
    }
    const unsigned cores = std::thread::hardware_concurrency();
    const double flop_per_cycle = intel && avx512 ? 64.0 : 32.0;
    if (mhz > 0 && cores > 0) return cores * flop_per_cycle * mhz / 1000.0;
    return 234.0;
  }();
  return peak;
}

// Sets the GFLOPs and pct_peak rate counters for `flops` per iteration.
void count_flops(benchmark::State& state, double flops) {
  state.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["pct_peak"] =
      benchmark::Counter(flops * 1e-9 * 100.0 / peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
}

void run_or_skip(benchmark::State& state, bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& ins,
                 const std::vector<bp_tensor>& outs) {
  if (harness::run(kind, attrs, ins, outs) != BP_OK) state.SkipWithError(harness::last_error().c_str());
}

// All tensors of one CNN training step at batch 32.
struct cnn {
  static constexpr int64_t N = 32;
  harness::tensor x{{N, 28, 28, 3}}, conv_w{{32, 3, 3, 3}}, conv_b{{32}}, conv_y{{N, 26, 26, 32}},
      pool_y{{N, 13, 13, 32}}, dense_w{{5408, 10}}, dense_b{{10}}, logits{{N, 10}},
      labels{{N}, bp_dtype{BP_DTYPE_INT, 32, 1}}, loss{{}}, probs{{N, 10}}, dlogits{{N, 10}}, d_dense_w{{5408, 10}},
      d_dense_b{{10}}, d_pool{{N, 5408}}, d_conv_y{{N, 26, 26, 32}}, d_conv_pre{{N, 26, 26, 32}}, d_conv_w{{32, 3, 3, 3}},
      d_conv_b{{32}};
  // Adam state per parameter tensor.
  harness::tensor m_cw{{32, 3, 3, 3}}, v_cw{{32, 3, 3, 3}}, m_cb{{32}}, v_cb{{32}}, m_dw{{5408, 10}}, v_dw{{5408, 10}},
      m_db{{10}}, v_db{{10}};
  int64_t flat_shape[2] = {N, 5408};

  bp_conv2d_attrs conv{sizeof(bp_conv2d_attrs), BP_LAYOUT_NHWC, 1, 1, 1, 1, BP_PADDING_VALID, 0, 0, 0, 0, BP_ACTIVATION_RELU};
  bp_pool2d_attrs pool{sizeof(bp_pool2d_attrs), BP_LAYOUT_NHWC, BP_POOL_MAX, 2, 2, 2, 2, BP_PADDING_VALID, 0, 0, 0, 0};
  bp_gemm_attrs fwd{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.0f};
  bp_gemm_attrs grad_w{sizeof(bp_gemm_attrs), 1, 0, 1.0f, 0.0f};  // x^T * dy
  bp_gemm_attrs grad_x{sizeof(bp_gemm_attrs), 0, 1, 1.0f, 0.0f};  // dy * W^T
  bp_layout_attrs nhwc{sizeof(bp_layout_attrs), BP_LAYOUT_NHWC};
  bp_activation_attrs relu{sizeof(bp_activation_attrs), BP_ACTIVATION_RELU};
  bp_xent_attrs xent{sizeof(bp_xent_attrs), BP_REDUCE_MEAN};
  bp_adam_attrs adam{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 1};

  cnn() {
    std::mt19937 rng(1);
    for (harness::tensor* t : {&x, &conv_w, &conv_b, &dense_w, &dense_b})
      t->set(harness::random_vec(size_t(t->size()), rng, -0.1, 0.1));
    for (harness::tensor* t : {&m_cw, &v_cw, &m_cb, &v_cb, &m_dw, &v_dw, &m_db, &v_db}) t->set(ref::vec(size_t(t->size()), 0.0));
    std::vector<int32_t> l(N);
    for (auto& v : l) v = int32_t(rng() % 10);
    labels.set_labels(l);
    // Run a forward pass once so every backward input holds real values.
    step();
  }
  // Flattened (N, 5408) views of the pooled activations and their gradient.
  bp_tensor flat(const harness::tensor& t) {
    bp_tensor d = t.desc();
    d.ndim = 2;
    d.shape = flat_shape;
    return d;
  }
  bp_tensor flat_pool() { return flat(pool_y); }
  bp_tensor as_image(const harness::tensor& t) {  // d_pool (N,5408) seen as (N,13,13,32)
    bp_tensor d = t.desc();
    d.ndim = 4;
    d.shape = const_cast<int64_t*>(pool_y.shape().data());
    return d;
  }

  bool step() {
    bool ok = true;
    auto r = [&](bp_op_kind k, const void* a, std::vector<bp_tensor> i, std::vector<bp_tensor> o) {
      ok = ok && harness::run(k, a, i, o) == BP_OK;
    };
    r(BP_OP_CONV2D_FWD, &conv, {x.desc(), conv_w.desc(), conv_b.desc()}, {conv_y.desc()});
    r(BP_OP_POOL2D_FWD, &pool, {conv_y.desc()}, {pool_y.desc()});
    r(BP_OP_GEMM, &fwd, {flat_pool(), dense_w.desc()}, {logits.desc()});
    r(BP_OP_BIAS_ADD, &nhwc, {logits.desc(), dense_b.desc()}, {logits.desc()});
    r(BP_OP_SOFTMAX_XENT_FWD, &xent, {logits.desc(), labels.desc()}, {loss.desc(), probs.desc()});
    r(BP_OP_SOFTMAX_XENT_BWD, &xent, {probs.desc(), labels.desc()}, {dlogits.desc()});
    r(BP_OP_GEMM, &grad_w, {flat_pool(), dlogits.desc()}, {d_dense_w.desc()});
    r(BP_OP_BIAS_GRAD, &nhwc, {dlogits.desc()}, {d_dense_b.desc()});
    r(BP_OP_GEMM, &grad_x, {dlogits.desc(), dense_w.desc()}, {d_pool.desc()});
    r(BP_OP_POOL2D_BWD, &pool, {conv_y.desc(), pool_y.desc(), as_image(d_pool)}, {d_conv_y.desc()});
    r(BP_OP_ACTIVATION_BWD, &relu, {conv_y.desc(), d_conv_y.desc()}, {d_conv_pre.desc()});
    r(BP_OP_BIAS_GRAD, &nhwc, {d_conv_pre.desc()}, {d_conv_b.desc()});
    r(BP_OP_CONV2D_BWD_FILTER, &conv, {x.desc(), d_conv_pre.desc()}, {d_conv_w.desc()});
    r(BP_OP_ADAM_UPDATE, &adam, {d_conv_w.desc()}, {conv_w.desc(), m_cw.desc(), v_cw.desc()});
    r(BP_OP_ADAM_UPDATE, &adam, {d_conv_b.desc()}, {conv_b.desc(), m_cb.desc(), v_cb.desc()});
    r(BP_OP_ADAM_UPDATE, &adam, {d_dense_w.desc()}, {dense_w.desc(), m_dw.desc(), v_dw.desc()});
    r(BP_OP_ADAM_UPDATE, &adam, {d_dense_b.desc()}, {dense_b.desc(), m_db.desc(), v_db.desc()});
    return ok;
  }
};

cnn& model() {
  static std::unique_ptr<cnn> m = std::make_unique<cnn>();
  return *m;
}

constexpr double kConvFlops = 2.0 * 32 * 26 * 26 * 32 * 27;  // 37.4 MFLOP
constexpr double kDenseFlops = 2.0 * 32 * 5408 * 10;         // 3.46 MFLOP

void BM_conv2d_fwd_bias_relu(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_CONV2D_FWD, &m.conv, {m.x.desc(), m.conv_w.desc(), m.conv_b.desc()}, {m.conv_y.desc()});
  count_flops(state, kConvFlops);
}

void BM_conv2d_bwd_filter(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_CONV2D_BWD_FILTER, &m.conv, {m.x.desc(), m.d_conv_pre.desc()}, {m.d_conv_w.desc()});
  count_flops(state, kConvFlops);
}

void BM_conv2d_bwd_data(benchmark::State& state) {  // not in the CNN's step (first layer); for reference
  cnn& m = model();
  harness::tensor dx({32, 28, 28, 3});
  for (auto _ : state) run_or_skip(state, BP_OP_CONV2D_BWD_DATA, &m.conv, {m.d_conv_pre.desc(), m.conv_w.desc()}, {dx.desc()});
  count_flops(state, kConvFlops);
}

void BM_maxpool_fwd(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_POOL2D_FWD, &m.pool, {m.conv_y.desc()}, {m.pool_y.desc()});
  state.SetBytesProcessed(int64_t(state.iterations()) * (m.conv_y.size() + m.pool_y.size()) * 4);
}

void BM_maxpool_bwd(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state)
    run_or_skip(state, BP_OP_POOL2D_BWD, &m.pool, {m.conv_y.desc(), m.pool_y.desc(), m.as_image(m.d_pool)}, {m.d_conv_y.desc()});
  state.SetBytesProcessed(int64_t(state.iterations()) * (2 * m.conv_y.size() + m.pool_y.size()) * 4);
}

void BM_relu_bwd(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_ACTIVATION_BWD, &m.relu, {m.conv_y.desc(), m.d_conv_y.desc()}, {m.d_conv_pre.desc()});
  state.SetBytesProcessed(int64_t(state.iterations()) * 3 * m.conv_y.size() * 4);
}

void BM_bias_grad_conv(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_BIAS_GRAD, &m.nhwc, {m.d_conv_pre.desc()}, {m.d_conv_b.desc()});
  state.SetBytesProcessed(int64_t(state.iterations()) * m.d_conv_pre.size() * 4);
}

void BM_dense_gemm_fwd(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_GEMM, &m.fwd, {m.flat_pool(), m.dense_w.desc()}, {m.logits.desc()});
  count_flops(state, kDenseFlops);
}

void BM_dense_gemm_bwd_weights(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_GEMM, &m.grad_w, {m.flat_pool(), m.dlogits.desc()}, {m.d_dense_w.desc()});
  count_flops(state, kDenseFlops);
}

void BM_dense_gemm_bwd_input(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) run_or_skip(state, BP_OP_GEMM, &m.grad_x, {m.dlogits.desc(), m.dense_w.desc()}, {m.d_pool.desc()});
  count_flops(state, kDenseFlops);
}

void BM_softmax_xent_fwd_bwd(benchmark::State& state) {
  cnn& m = model();
  for (auto _ : state) {
    run_or_skip(state, BP_OP_SOFTMAX_XENT_FWD, &m.xent, {m.logits.desc(), m.labels.desc()}, {m.loss.desc(), m.probs.desc()});
    run_or_skip(state, BP_OP_SOFTMAX_XENT_BWD, &m.xent, {m.probs.desc(), m.labels.desc()}, {m.dlogits.desc()});
  }
}

void BM_adam_54k(benchmark::State& state) {
  // The CNN's 54,986 parameters in one tensor (the step itself issues four updates).
  const int64_t n = 864 + 32 + 54080 + 10;
  harness::tensor g({n}), p({n}), mm({n}), vv({n});
  std::mt19937 rng(2);
  for (harness::tensor* t : {&g, &p}) t->set(harness::random_vec(size_t(n), rng));
  mm.set(ref::vec(size_t(n), 0.0)), vv.set(ref::vec(size_t(n), 0.0));
  bp_adam_attrs a{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 1};
  for (auto _ : state) run_or_skip(state, BP_OP_ADAM_UPDATE, &a, {g.desc()}, {p.desc(), mm.desc(), vv.desc()});
  state.SetBytesProcessed(int64_t(state.iterations()) * n * 4 * 7);
}

void BM_train_step(benchmark::State& state) {
  // The 17 ops of one training step; ~85 MFLOP of which 2 x 37.4 in the conv.
  cnn& m = model();
  for (auto _ : state)
    if (!m.step()) state.SkipWithError(harness::last_error().c_str());
  count_flops(state, 2 * kConvFlops + 3 * kDenseFlops);
}

}  // namespace

BENCHMARK(BM_conv2d_fwd_bias_relu)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_conv2d_bwd_filter)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_conv2d_bwd_data)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_maxpool_fwd)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_maxpool_bwd)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_relu_bwd)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_bias_grad_conv)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_dense_gemm_fwd)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_dense_gemm_bwd_weights)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_dense_gemm_bwd_input)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_softmax_xent_fwd_bwd)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_adam_54k)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_train_step)->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  harness::plugin& p = harness::get();
  bp_device_props props{};
  props.struct_size = sizeof(props);
  p.api->device_props(p.context, 0, &props);
  benchmark::AddCustomContext("device", props.name);
  benchmark::AddCustomContext("plugin_threads", std::to_string(props.threads));
  benchmark::AddCustomContext("peak_gflops", std::to_string(peak_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
