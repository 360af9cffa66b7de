#include "harness.hpp"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

#ifndef BACKPLANE_OPENBLAS_PLUGIN_PATH
#error "BACKPLANE_OPENBLAS_PLUGIN_PATH must name the built plugin file"
#endif

namespace harness {

namespace {

plugin* load() {
  auto* p = new plugin;
  // Mirror the real core: BACKPLANE_CPU_THREADS reaches the plugin as option CPU_THREADS.
  if (const char* t = std::getenv("BACKPLANE_CPU_THREADS")) p->host.options["CPU_THREADS"] = t;
  if (const char* k = std::getenv("BACKPLANE_CPU_CONV_KERNEL")) p->host.options["CPU_CONV_KERNEL"] = k;
  const bp_host_api& h = *p->host.api();
  void* lib = dlopen(BACKPLANE_OPENBLAS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  if (!lib) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
  auto entry = reinterpret_cast<bp_plugin_entry_fn>(dlsym(lib, BP_PLUGIN_ENTRY_SYMBOL));
  if (!entry) throw std::runtime_error("plugin has no " BP_PLUGIN_ENTRY_SYMBOL);
  p->api = entry(&h);
  if (!p->api) throw std::runtime_error("entry symbol returned NULL: " + last_error());
  if (p->api->probe(&h) != BP_OK) throw std::runtime_error("probe failed: " + last_error());
  if (p->api->init(&h, &p->context) != BP_OK) throw std::runtime_error("init failed: " + last_error());
  return p;
}

}  // namespace

plugin& get() {
  static plugin* p = load();  // kept for the process lifetime (workers must outlive every test)
  return *p;
}

const std::string& last_error() { return bp_test::fake_host::thread_error(); }

tensor::tensor(std::vector<int64_t> shape, bp_dtype dtype) : shape_(std::move(shape)), dtype_(dtype) {
  plugin& p = harness::get();
  const uint64_t bytes = uint64_t(size()) * (dtype.bits / 8);
  if (p.api->mem_alloc(p.context, 0, bytes, &data_) != BP_OK) throw std::runtime_error("mem_alloc: " + last_error());
  fill_nan();  // catch kernels that read outputs they should only write
}

tensor::~tensor() {
  plugin& p = harness::get();
  p.api->mem_free(p.context, 0, data_);
}

int64_t tensor::size() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

bp_tensor tensor::desc() const {
  bp_tensor t{};
  t.data = data_;
  t.device = bp_device{BP_DEVICE_CPU, 0};
  t.ndim = int32_t(shape_.size());
  t.dtype = dtype_;
  t.shape = const_cast<int64_t*>(shape_.data());
  t.strides = nullptr;
  t.byte_offset = 0;
  return t;
}

void tensor::set(const ref::vec& values) {
  if (int64_t(values.size()) != size()) throw std::runtime_error("tensor::set size mismatch");
  for (size_t i = 0; i < values.size(); ++i) f()[i] = float(values[i]);
}

void tensor::set_labels(const std::vector<int32_t>& labels) {
  if (int64_t(labels.size()) != size()) throw std::runtime_error("tensor::set_labels size mismatch");
  std::memcpy(data_, labels.data(), labels.size() * sizeof(int32_t));
}

ref::vec tensor::get() const {
  ref::vec v(static_cast<size_t>(size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = f()[i];
  return v;
}

void tensor::fill_nan() {
  if (dtype_.code != BP_DTYPE_FLOAT) return;
  for (int64_t i = 0; i < size(); ++i) f()[i] = std::numeric_limits<float>::quiet_NaN();
}

namespace {
bp_op_desc make_op(bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& inputs,
                   const std::vector<bp_tensor>& outputs) {
  bp_op_desc op{};
  op.struct_size = sizeof(op);
  op.kind = kind;
  op.attrs = attrs;
  op.inputs = inputs.empty() ? nullptr : inputs.data();
  op.outputs = outputs.empty() ? nullptr : outputs.data();
  op.num_inputs = uint32_t(inputs.size());
  op.num_outputs = uint32_t(outputs.size());
  return op;
}
}  // namespace

bp_status run(bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& inputs,
              const std::vector<bp_tensor>& outputs) {
  plugin& p = harness::get();
  bp_test::fake_host::thread_error().clear();
  const bp_op_desc op = make_op(kind, attrs, inputs, outputs);
  return p.api->op_execute(p.context, 0, nullptr, &op);
}

bp_status supports(bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& inputs,
                   const std::vector<bp_tensor>& outputs, std::string* reason) {
  plugin& p = harness::get();
  const bp_op_desc op = make_op(kind, attrs, inputs, outputs);
  char buf[512] = "unset";
  const bp_status st = p.api->op_supports(p.context, 0, &op, buf, sizeof(buf));
  if (reason) *reason = buf;
  return st;
}

ref::vec random_vec(size_t n, std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  ref::vec v(n);
  // Values are rounded to float so the double reference sees exactly what the plugin sees.
  for (double& x : v) x = double(float(dist(rng)));
  return v;
}

double worst_ratio(const ref::vec& actual, const ref::vec& expected, double rtol, double atol, size_t* where) {
  double worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(actual[i]) && std::isnan(expected[i])) continue;
    const double err = std::fabs(actual[i] - expected[i]);
    if (err == 0) continue;  // exact (also when both tolerances are 0)
    const double ratio = std::isnan(actual[i]) != std::isnan(expected[i]) ? std::numeric_limits<double>::infinity()
                                                                           : err / (atol + rtol * std::fabs(expected[i]));
    if (ratio > worst || std::isnan(ratio)) {
      worst = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
      if (where) *where = i;
    }
  }
  return worst;
}

}  // namespace harness
