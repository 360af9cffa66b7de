// test_dlpack.cpp — bp::to_dlpack / bp::from_dlpack (backplane/dlpack.hpp):
// zero-copy both ways, deleters honoured exactly once, copy fallback for
// strided host memory, refusal for memory the host cannot read.
#include <doctest/doctest.h>

#include <numeric>
#include <vector>

#include "backplane/dlpack.hpp"

namespace {

bp::runtime cpu_runtime() {
  bp_runtime_options o = bp::runtime::options();
  o.use_environment = 0;
  o.backends = "openblas-cpu";
  return bp::runtime(o);
}

// Counts deleter calls of a wrapped DLManagedTensor and forwards to the original.
struct deleter_spy {
  static inline int calls = 0;
  static inline void (*original)(DLManagedTensor*) = nullptr;
  static void call(DLManagedTensor* self) {
    ++calls;
    if (original) original(self);
  }
  static void wrap(DLManagedTensor* m) {
    calls = 0;
    original = m->deleter;
    m->deleter = &call;
  }
};

// A producer that owns host memory (like a framework tensor).
struct host_producer {
  std::vector<float> values;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed{};
  static inline int released = 0;
  static void release(DLManagedTensor* self) {
    ++released;
    delete static_cast<host_producer*>(self->manager_ctx);
  }
  static DLManagedTensor* make(std::vector<int64_t> shape, std::vector<float> values, std::vector<int64_t> strides = {}) {
    auto* p = new host_producer{std::move(values), std::move(shape), std::move(strides)};
    DLTensor& t = p->managed.dl_tensor;
    t.data = p->values.data();
    t.device = DLDevice{kDLCPU, 0};
    t.ndim = int(p->shape.size());
    t.dtype = DLDataType{kDLFloat, 32, 1};
    t.shape = p->shape.data();
    t.strides = p->strides.empty() ? nullptr : p->strides.data();
    p->managed.manager_ctx = p;
    p->managed.deleter = &release;
    return &p->managed;
  }
};

}  // namespace

TEST_CASE("dlpack: bp tensor -> DLManagedTensor -> bp tensor is zero-copy and frees once") {
  bp::runtime rt = cpu_runtime();
  bp::tensor t = rt.empty({2, 3});
  const std::vector<float> values{1, 2, 3, 4, 5, 6};
  t.write(values);
  void* data = t.view().data;

  DLManagedTensor* m = bp::to_dlpack(std::move(t));
  CHECK_FALSE(t);  // consumed
  REQUIRE(m != nullptr);
  CHECK(m->dl_tensor.data == data);
  CHECK(m->dl_tensor.device.device_type == kDLCPU);
  CHECK(m->dl_tensor.ndim == 2);
  CHECK(m->dl_tensor.shape[0] == 2);
  CHECK(m->dl_tensor.shape[1] == 3);
  CHECK(m->dl_tensor.strides == nullptr);
  CHECK(m->dl_tensor.dtype.code == kDLFloat);
  CHECK(m->dl_tensor.dtype.bits == 32);
  deleter_spy::wrap(m);

  {
    bp::tensor back = bp::from_dlpack(rt, m);
    CHECK(back.view().data == data);  // the same memory, not a copy
    CHECK(back.shape() == std::vector<int64_t>{2, 3});
    CHECK(back.read<float>() == values);
    CHECK(deleter_spy::calls == 0);  // still alive while `back` lives
  }
  CHECK(deleter_spy::calls == 1);  // destroying `back` released the managed tensor (and the original bp tensor)
}

TEST_CASE("dlpack: exported tensor can be released by the consumer without importing it") {
  bp::runtime rt = cpu_runtime();
  DLManagedTensor* m = bp::to_dlpack(rt.empty({4}));
  deleter_spy::wrap(m);
  m->deleter(m);
  CHECK(deleter_spy::calls == 1);
}

TEST_CASE("dlpack: foreign host memory imports zero-copy and is usable by ops") {
  bp::runtime rt = cpu_runtime();
  host_producer::released = 0;
  DLManagedTensor* a_m = host_producer::make({2, 2}, {1, 2, 3, 4});
  DLManagedTensor* b_m = host_producer::make({2, 2}, {10, 20, 30, 40});
  void* a_data = a_m->dl_tensor.data;
  {
    bp::tensor a = bp::from_dlpack(rt, a_m);
    bp::tensor b = bp::from_dlpack(rt, b_m);
    CHECK(a.view().data == a_data);
    bp::tensor c = rt.empty({2, 2});
    rt.run(BP_OP_ADD, nullptr, {&a, &b}, {&c});
    CHECK(c.read<float>() == std::vector<float>{11, 22, 33, 44});
    CHECK(host_producer::released == 0);
  }
  CHECK(host_producer::released == 2);
}

TEST_CASE("dlpack: strided host memory is copied (import cannot take strides) and released at once") {
  bp::runtime rt = cpu_runtime();
  host_producer::released = 0;
  // Every second element of a 2x6 buffer: a (2,3) view with strides (6, 2).
  DLManagedTensor* m = host_producer::make({2, 3}, {0, -1, 1, -1, 2, -1, 3, -1, 4, -1, 5, -1}, {6, 2});
  void* source = m->dl_tensor.data;
  bp::tensor t = bp::from_dlpack(rt, m);
  CHECK(host_producer::released == 1);  // copied, so the producer's memory was handed back immediately
  CHECK(t.view().data != source);
  CHECK(t.read<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("dlpack: memory the host cannot read is refused and stays owned by the caller") {
  bp::runtime rt = cpu_runtime();
  host_producer::released = 0;
  DLManagedTensor* m = host_producer::make({3}, {1, 2, 3});
  m->dl_tensor.device = DLDevice{kDLCUDA, 0};  // pretend it is GPU memory: a CPU runtime cannot use or copy it
  try {
    (void)bp::from_dlpack(rt, m);
    FAIL("from_dlpack accepted CUDA memory on a CPU runtime");
  } catch (const bp::error& e) {
    CHECK(e.status() == BP_ERR_UNSUPPORTED);
    CHECK(std::string(e.what()).find("not host-readable") != std::string::npos);
  }
  CHECK(host_producer::released == 0);
  m->dl_tensor.device = DLDevice{kDLCPU, 0};
  m->deleter(m);
  CHECK(host_producer::released == 1);
}

TEST_CASE("dlpack: NULL and empty inputs are errors, not crashes") {
  bp::runtime rt = cpu_runtime();
  CHECK_THROWS_AS(bp::from_dlpack(rt, nullptr), bp::error);
  bp::tensor empty;
  CHECK_THROWS_AS(bp::to_dlpack(std::move(empty)), bp::error);
}
