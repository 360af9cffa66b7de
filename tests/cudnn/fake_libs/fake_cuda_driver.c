/* A fake libcuda.so.1 for exercising the plugin's driver checks on machines
 * without a GPU: cuInit succeeds, cuDriverGetVersion reports
 * $BP_FAKE_CUDA_DRIVER_VERSION (default 13000), cuDeviceGetCount reports
 * $BP_FAKE_CUDA_DEVICES (default 1), a primary context can be retained (a
 * dummy handle) and every call that would touch a GPU fails with
 * CUDA_ERROR_NOT_SUPPORTED (801). It exports every symbol the plugin's
 * driver table needs (vendor_api.hpp), so the symbol check passes.
 * $BP_FAKE_CUDA_STUB=1 makes it answer like the toolkit's link stub
 * (CUDA_ERROR_STUB_LIBRARY to cuDriverGetVersion and cuInit);
 * $BP_FAKE_CUDA_INIT_RESULT=N makes cuInit return N (e.g. 804,
 * CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE). */
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))
enum { OK = 0, OUT_OF_MEMORY = 2, STUB_LIBRARY = 34, NOT_SUPPORTED = 801, COMPAT_NOT_SUPPORTED_ON_DEVICE = 804 };

static int env_int(const char* name, int fallback) {
  const char* v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

static int stub(void) { return env_int("BP_FAKE_CUDA_STUB", 0) == 1; }

EXPORT int cuInit(unsigned flags) { (void)flags; return stub() ? STUB_LIBRARY : env_int("BP_FAKE_CUDA_INIT_RESULT", OK); }
EXPORT int cuDriverGetVersion(int* v) {
  if (stub()) return STUB_LIBRARY;
  *v = env_int("BP_FAKE_CUDA_DRIVER_VERSION", 13000);
  return OK;
}
EXPORT int cuGetErrorString(int e, const char** s) { (void)e; *s = "error from the fake driver (tests/cudnn)"; return OK; }
EXPORT int cuGetErrorName(int e, const char** s) {
  *s = e == OUT_OF_MEMORY                    ? "CUDA_ERROR_OUT_OF_MEMORY"
       : e == NOT_SUPPORTED                  ? "CUDA_ERROR_NOT_SUPPORTED"
       : e == STUB_LIBRARY                   ? "CUDA_ERROR_STUB_LIBRARY"
       : e == COMPAT_NOT_SUPPORTED_ON_DEVICE ? "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"
                                             : "CUDA_ERROR_FAKE";
  return OK;
}
EXPORT int cuDeviceGetCount(int* c) { *c = env_int("BP_FAKE_CUDA_DEVICES", 1); return OK; }
EXPORT int cuDeviceGet(int* d, int ordinal) { *d = ordinal; return OK; }
EXPORT int cuDevicePrimaryCtxRetain(void** ctx, int dev) { (void)dev; *ctx = (void*)0x1000; return OK; }
EXPORT int cuDevicePrimaryCtxRelease_v2(int dev) { (void)dev; return OK; }
EXPORT int cuCtxSetCurrent(void* ctx) { (void)ctx; return OK; }
EXPORT int cuCtxSynchronize(void) { return OK; }
EXPORT int cuMemFree_v2(unsigned long long p) { (void)p; return OK; }
EXPORT int cuMemAlloc_v2(unsigned long long* p, size_t n) { (void)p; (void)n; return OUT_OF_MEMORY; }
EXPORT int cuMemGetInfo_v2(size_t* f, size_t* t) { *f = 0; *t = 0; return OK; }

#define UNSUPPORTED(name) EXPORT int name(void) { return NOT_SUPPORTED; }
UNSUPPORTED(cuDeviceGetName)
UNSUPPORTED(cuDeviceGetAttribute)
UNSUPPORTED(cuDeviceTotalMem_v2)
UNSUPPORTED(cuMemcpyHtoDAsync_v2)
UNSUPPORTED(cuMemcpyDtoHAsync_v2)
UNSUPPORTED(cuMemcpyDtoDAsync_v2)
UNSUPPORTED(cuMemsetD32Async)
UNSUPPORTED(cuStreamCreate)
UNSUPPORTED(cuStreamDestroy_v2)
UNSUPPORTED(cuStreamSynchronize)
UNSUPPORTED(cuModuleLoadData)
UNSUPPORTED(cuModuleUnload)
UNSUPPORTED(cuModuleGetFunction)
UNSUPPORTED(cuLaunchKernel)
