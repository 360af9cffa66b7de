// dlpack_torch_helper.cpp — a tiny C-callable library for dlpack_torch.py:
// exports a bp tensor as a DLManagedTensor for torch, and imports torch's
// DLManagedTensor into a bp tensor, counting deleter calls on both sides.
#include <dlpack/dlpack.h>

#include <memory>
#include <vector>

#include "backplane/dlpack.hpp"

namespace {

std::unique_ptr<bp::runtime> g_runtime;
bp::tensor g_imported;
int g_export_deleter_calls = 0, g_import_deleter_calls = 0;
void (*g_export_original)(DLManagedTensor*) = nullptr;
void (*g_import_original)(DLManagedTensor*) = nullptr;

bp::runtime& runtime() {
  if (!g_runtime) {
    bp_runtime_options o = bp::runtime::options();
    o.use_environment = 0;
    o.backends = "openblas-cpu";
    g_runtime = std::make_unique<bp::runtime>(o);
  }
  return *g_runtime;
}

void count_export(DLManagedTensor* m) {
  ++g_export_deleter_calls;
  g_export_original(m);
}
void count_import(DLManagedTensor* m) {
  ++g_import_deleter_calls;
  g_import_original(m);
}

}  // namespace

extern "C" {

// A (2,3) float32 tensor holding 0, 0.5, 1, ..., exported zero-copy. *data gets its address.
__attribute__((visibility("default"))) DLManagedTensor* bp_test_export(void** data) {
  try {
    bp::tensor t = runtime().empty({2, 3});
    t.write(std::vector<float>{0.f, 0.5f, 1.f, 1.5f, 2.f, 2.5f});
    *data = t.view().data;
    DLManagedTensor* m = bp::to_dlpack(std::move(t));
    g_export_original = m->deleter;
    m->deleter = &count_export;
    return m;
  } catch (...) {
    return nullptr;
  }
}

// Imports `m` (ownership passes to bp); *data gets the address bp uses, *sum the sum read through bp.
__attribute__((visibility("default"))) int bp_test_import(DLManagedTensor* m, void** data, double* sum) {
  try {
    g_import_original = m->deleter;
    m->deleter = &count_import;
    g_imported = bp::from_dlpack(runtime(), m);
    *data = g_imported.view().data;
    *sum = 0;
    for (float v : g_imported.read<float>()) *sum += v;
    return 0;
  } catch (...) {
    return 1;
  }
}

__attribute__((visibility("default"))) void bp_test_release_import() { g_imported = bp::tensor(); }
__attribute__((visibility("default"))) int bp_test_export_deleter_calls() { return g_export_deleter_calls; }
__attribute__((visibility("default"))) int bp_test_import_deleter_calls() { return g_import_deleter_calls; }
__attribute__((visibility("default"))) void bp_test_shutdown() {
  g_imported = bp::tensor();
  g_runtime.reset();
}
}
