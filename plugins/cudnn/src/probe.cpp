// probe.cpp — the per-dependency report of the cudnn plugin.
//
// Dependencies, in report order (every one is loaded and reported even when
// an earlier one failed; the verdict names the first REQUIRED failure):
//   CUDA driver   libcuda.so.1     required  driver version >= toolkit CUDA_VERSION
//   CUDA runtime  libcudart.so.13  optional  same major (only read for reports)
//   cuBLAS        libcublas.so.13  required  same major (+ libcublasLt.so.13 first)
//   cuDNN         libcudnn.so.9    required  same major, minor >= build minor,
//                                            built for the same CUDA major
//                                            (+ its libcudnn_*.so.9 sub-libraries first)
// Search (bp::sdk::dep_plan_search, backplane/sdk/dep_search.hpp):
// BACKPLANE_CUDA_PATH / BACKPLANE_CUDNN_PATH, the active Python environments'
// nvidia/*/lib wheel folders, conda's lib, the compile-time toolkit folder
// (never for the driver, which wheels do not ship and the toolkit only as a
// link stub), then the linker default. BACKPLANE_DEP_SEARCH turns locations
// off. In secure mode nothing from the environment is searched, and every
// dependency's report says so. A failure names a usable copy found elsewhere
// and ends its remedy with one fix line (pip package, BACKPLANE_*_PATH=...).
#include "probe.hpp"

#include <cstdlib>
#include <string>

#include "backplane/sdk/plugin.hpp"

#ifndef BP_CUDNN_BUILD_CUDA_LIBDIR
#define BP_CUDNN_BUILD_CUDA_LIBDIR ""
#endif
#ifndef BP_CUDNN_BUILD_CUDNN_LIBDIR
#define BP_CUDNN_BUILD_CUDNN_LIBDIR ""
#endif

namespace bp::cudnn {

using bp::sdk::dep_fault_plan;
using bp::sdk::dep_result;
using bp::sdk::dep_rule_result;
using bp::sdk::dep_spec;
using bp::sdk::dep_version;

vendor_state& vendor() {
  static vendor_state state;
  return state;
}

namespace {

constexpr int kCudaMajor = CUDA_VERSION / 1000;
constexpr int kCudaMinor = (CUDA_VERSION % 1000) / 10;
const std::string kCudaText = std::to_string(kCudaMajor) + "." + std::to_string(kCudaMinor);
const std::string kCudnnMajor = std::to_string(CUDNN_MAJOR);
const std::string kCudnnBuild = kCudnnMajor + "." + std::to_string(CUDNN_MINOR);

// "9.19.0" from cudnnGetVersion(). cuDNN 9 encodes major*10000 + minor*100 +
// patch (91900); cuDNN 8 and older major*1000 + minor*100 + patch (8907 for
// 8.9.7). Values >= 10000 use the first form, so 80907 also reads as 8.9.7.
dep_version decode_cudnn_version(size_t v) {
  dep_version out;
  if (v >= 10000) {
    out.major = static_cast<int>(v / 10000), out.minor = static_cast<int>((v % 10000) / 100);
  } else {
    out.major = static_cast<int>(v / 1000), out.minor = static_cast<int>((v % 1000) / 100);
  }
  out.patch = static_cast<int>(v % 100);
  return out;
}

// 13000 -> 13.0.0 (CUDA driver/runtime encoding: major*1000 + minor*10).
dep_version decode_cuda_version(int v) {
  dep_version out;
  out.major = v / 1000, out.minor = (v % 1000) / 10, out.patch = 0;
  return out;
}

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(::dlsym(handle, name));
}

struct search_settings {
  bp::sdk::setting cuda_path, cudnn_path, mode;
};

search_settings read_search_settings(const bp_host_api* host) {
  search_settings s;
  s.cuda_path = bp::sdk::read_setting(host, "CUDA_PATH");
  s.cudnn_path = bp::sdk::read_setting(host, "CUDNN_PATH");
  s.mode = bp::sdk::read_setting(host, "DEP_SEARCH");
  // The core refuses a bad value first; a host that passes one anyway gets the same error here.
  const std::string error = bp::sdk::dep_search_mode::parse(s.mode.value).error;
  if (!error.empty()) bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: " + error);
  return s;
}

// The folders of one dependency (wheels and conda environments hold all but the driver).
void set_search(dep_spec& d, const bp::sdk::setting& override_path, const search_settings& s, const char* build_dir,
                bool environments) {
  bp::sdk::dep_search_request q;
  q.override_setting = override_path;
  q.mode = s.mode;
  q.build_dir = build_dir;
  q.soname = d.soname;
  q.environments = environments;
  d.search = bp::sdk::dep_plan_search(q);
}

const char* kSymbolRemedyTail = " (the file is truncated or from an unexpected build)";
const char* kDamagedRemedyTail = ": the file named above is damaged (empty, cut short or not a shared library)";

dep_spec driver_spec(const search_settings& s) {
  dep_spec d;
  d.name = "CUDA driver";
  d.soname = "libcuda.so.1";
  d.absent_cause = BP_CAUSE_DRIVER_MISSING;
  d.required_symbols = driver_symbols();
  d.version_required = ">= " + kCudaText + " (" + std::to_string(CUDA_VERSION) + ")";
  d.rule = "the driver must support at least the CUDA version the plugin was built with (CUDA " + kCudaText + ")";
  // The toolkit's link stub (lib64/stubs/libcuda.so) exports every symbol but
  // answers CUDA_ERROR_STUB_LIBRARY to every call: it was loaded, it is no driver.
  d.check_loaded = [](void* h) {
    auto get = symbol<CUresult (*)(int*)>(h, "cuDriverGetVersion");
    int v = 0;
    if (get && get(&v) == CUDA_ERROR_STUB_LIBRARY)
      return dep_rule_result{false, BP_CAUSE_DRIVER_MISSING,
                             "it is the CUDA toolkit's link stub (a stand-in for linking only), not the NVIDIA "
                             "driver: cuDriverGetVersion returned CUDA_ERROR_STUB_LIBRARY"};
    return dep_rule_result{};
  };
  d.query_version = [](void* h, std::string* err) -> std::optional<dep_version> {
    auto get = symbol<CUresult (*)(int*)>(h, "cuDriverGetVersion");
    int v = 0;
    if (!get) return *err = "cuDriverGetVersion is not exported", std::nullopt;
    if (CUresult r = get(&v); r != CUDA_SUCCESS)
      return *err = "cuDriverGetVersion failed with CUresult " + std::to_string(static_cast<int>(r)), std::nullopt;
    return decode_cuda_version(v);
  };
  d.check_version = [](const dep_version& found, void*) {
    const int encoded = found.major * 1000 + found.minor * 10;
    if (encoded >= CUDA_VERSION) return dep_rule_result{};
    return dep_rule_result{false, BP_CAUSE_DRIVER_TOO_OLD,
                           "the driver supports CUDA " + std::to_string(found.major) + "." +
                               std::to_string(found.minor) + " but the plugin needs CUDA " + kCudaText};
  };
  d.remedies[BP_CAUSE_DRIVER_MISSING] =
      "install the NVIDIA driver (libcuda.so.1 comes with it; nvidia-smi should list the GPU), or run on the CPU; "
      "a toolkit link stub (stubs/libcuda.so) named libcuda.so.1 on the search path is no driver: remove it";
  d.remedies[BP_CAUSE_DRIVER_TOO_OLD] = "update the NVIDIA driver to one that supports CUDA " + kCudaText +
                                        " (R580 or newer for CUDA 13), or install the cuda-compat package";
  d.remedies[BP_CAUSE_SYMBOL_MISSING] = "reinstall the NVIDIA driver" + std::string(kSymbolRemedyTail);
  d.remedies[BP_CAUSE_DAMAGED_FILE] = "reinstall the NVIDIA driver" + std::string(kDamagedRemedyTail);
  d.default_remedy = "reinstall the NVIDIA driver so libcuda.so.1 loads, or run on the CPU";
  d.system_package = "cuda-drivers";  // NVIDIA's CUDA repository; no wheel ships the driver
  set_search(d, s.cuda_path, s, "", false);
  return d;
}

dep_spec runtime_spec(const search_settings& s) {
  dep_spec d;
  d.name = "CUDA runtime";
  d.soname = "libcudart.so." + std::to_string(kCudaMajor);
  d.required = false;  // the plugin uses the driver API; the runtime's version is reported only
  d.version_required = std::to_string(kCudaMajor) + ".x";
  d.rule = "same major as the toolkit the plugin was built with (informational: the plugin calls the driver API)";
  d.query_version = [](void* h, std::string* err) -> std::optional<dep_version> {
    auto get = symbol<int (*)(int*)>(h, "cudaRuntimeGetVersion");
    int v = 0;
    if (!get) return *err = "cudaRuntimeGetVersion is not exported", std::nullopt;
    if (get(&v) != 0 || v == 0) return *err = "cudaRuntimeGetVersion failed", std::nullopt;
    return decode_cuda_version(v);
  };
  d.check_version = [](const dep_version& found, void*) {
    if (found.major == kCudaMajor) return dep_rule_result{};
    return dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH, "major " + std::to_string(found.major) + " != " +
                                                                 std::to_string(kCudaMajor)};
  };
  d.default_remedy = "install the CUDA " + std::to_string(kCudaMajor) +
                     " runtime (package cuda-cudart-" + std::to_string(kCudaMajor) +
                     "-0) or set BACKPLANE_CUDA_PATH to its lib folder (optional for this plugin)";
  d.remedies[BP_CAUSE_DAMAGED_FILE] = "reinstall the CUDA " + std::to_string(kCudaMajor) + " runtime (package cuda-cudart-" +
                                      std::to_string(kCudaMajor) + "-0)" + kDamagedRemedyTail;
  d.pip_package = "nvidia-cuda-runtime" + std::string(kCudaMajor >= 13 ? "" : "-cu" + std::to_string(kCudaMajor));
  d.system_package = "cuda-cudart-" + std::to_string(kCudaMajor) + "-0";
  set_search(d, s.cuda_path, s, BP_CUDNN_BUILD_CUDA_LIBDIR, true);
  return d;
}

dep_spec cublas_spec(const search_settings& s) {
  dep_spec d;
  d.name = "cuBLAS";
  d.soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  d.sublibraries = {{"libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR), true}};
  d.required_symbols = cublas_symbols();
  d.version_required = std::to_string(CUBLAS_VER_MAJOR) + ".x";
  d.rule = "same major as the cuBLAS headers the plugin was built with (" + std::to_string(CUBLAS_VER_MAJOR) + "." +
           std::to_string(CUBLAS_VER_MINOR) + ")";
  d.query_version = [](void* h, std::string* err) -> std::optional<dep_version> {
    auto get = symbol<cublasStatus_t (*)(libraryPropertyType, int*)>(h, "cublasGetProperty");
    if (!get) return *err = "cublasGetProperty is not exported", std::nullopt;
    dep_version v;
    if (get(MAJOR_VERSION, &v.major) != CUBLAS_STATUS_SUCCESS || get(MINOR_VERSION, &v.minor) != CUBLAS_STATUS_SUCCESS ||
        get(PATCH_LEVEL, &v.patch) != CUBLAS_STATUS_SUCCESS)
      return *err = "cublasGetProperty failed", std::nullopt;
    return v;
  };
  d.check_version = [](const dep_version& found, void*) {
    if (found.major == CUBLAS_VER_MAJOR) return dep_rule_result{};
    return dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH,
                           "major " + std::to_string(found.major) + " != " + std::to_string(CUBLAS_VER_MAJOR)};
  };
  const std::string pkg = "libcublas-" + std::to_string(kCudaMajor) + "-0";
  d.remedies[BP_CAUSE_NOT_FOUND] = "install cuBLAS for CUDA " + std::to_string(kCudaMajor) + " (package " + pkg +
                                   ") or set BACKPLANE_CUDA_PATH to its lib folder";
  d.remedies[BP_CAUSE_VERSION_MISMATCH] = "install cuBLAS " + std::to_string(CUBLAS_VER_MAJOR) + ".x (package " + pkg +
                                          ") or point BACKPLANE_CUDA_PATH at such a copy";
  d.remedies[BP_CAUSE_MISSING_DEPENDENCY] =
      "install the missing library named above; libcublas and libcublasLt must sit in one folder (package " + pkg + ")";
  d.remedies[BP_CAUSE_SYMBOL_MISSING] = "reinstall cuBLAS (package " + pkg + ")" + kSymbolRemedyTail;
  d.remedies[BP_CAUSE_DAMAGED_FILE] = "reinstall cuBLAS (package " + pkg + ")" + kDamagedRemedyTail;
  d.default_remedy = "reinstall cuBLAS (package " + pkg + ") or set BACKPLANE_CUDA_PATH to a working copy";
  // CUDA 13 wheels dropped the -cuXX suffix (nvidia-cublas ships nvidia/cu13/lib).
  d.pip_package = "nvidia-cublas" + std::string(kCudaMajor >= 13 ? "" : "-cu" + std::to_string(kCudaMajor));
  d.system_package = pkg;
  set_search(d, s.cuda_path, s, BP_CUDNN_BUILD_CUDA_LIBDIR, true);
  return d;
}

dep_spec cudnn_spec(const search_settings& s) {
  dep_spec d;
  d.name = "cuDNN";
  d.soname = "libcudnn.so." + kCudnnMajor;
  // Leaf-first: graph has no cuDNN dependency; ops and the engines need graph; cnn/adv need ops.
  // adv (RNN/attention) and the runtime-compiled engines (need NVRTC) are not used by this plugin.
  const std::string sfx = ".so." + kCudnnMajor;
  d.sublibraries = {{"libcudnn_graph" + sfx, true},           {"libcudnn_engines_precompiled" + sfx, true},
                    {"libcudnn_engines_runtime_compiled" + sfx, false}, {"libcudnn_heuristic" + sfx, false},
                    {"libcudnn_ops" + sfx, true},             {"libcudnn_cnn" + sfx, true},
                    {"libcudnn_adv" + sfx, false}};
  d.required_symbols = cudnn_symbols();
  d.version_required = kCudnnMajor + ".x, minor >= " + std::to_string(CUDNN_MINOR) + ", built for CUDA " +
                       std::to_string(kCudaMajor);
  d.rule = "same major as the build (" + kCudnnBuild + "), runtime minor >= build minor, and a cuDNN built for CUDA " +
           std::to_string(kCudaMajor) + " (cudnnGetCudartVersion)";
  d.query_version = [](void* h, std::string* err) -> std::optional<dep_version> {
    auto get = symbol<size_t (*)()>(h, "cudnnGetVersion");
    if (!get) return *err = "cudnnGetVersion is not exported", std::nullopt;
    return decode_cudnn_version(get());
  };
  d.check_version = [](const dep_version& found, void* h) {
    if (found.major != CUDNN_MAJOR)
      return dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH,
                             "major " + std::to_string(found.major) + " != " + kCudnnMajor + " (majors are incompatible)"};
    if (found.minor < CUDNN_MINOR)
      return dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH,
                             "minor " + std::to_string(found.minor) + " < build minor " + std::to_string(CUDNN_MINOR)};
    // h is null for a copy only seen on disk (the "found elsewhere" diagnosis): no symbol to ask.
    if (auto cudart = h ? symbol<size_t (*)()>(h, "cudnnGetCudartVersion") : nullptr) {
      const size_t built_for = cudart();
      if (static_cast<int>(built_for / 1000) != kCudaMajor)
        return dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH,
                               "this cuDNN was built for CUDA " + std::to_string(built_for / 1000) + "." +
                                   std::to_string((built_for % 1000) / 10) + ", the plugin for CUDA " + kCudaText};
    }
    return dep_rule_result{};
  };
  const std::string pkg = "libcudnn" + kCudnnMajor + "-cuda-" + std::to_string(kCudaMajor);
  d.remedies[BP_CAUSE_NOT_FOUND] = "install cuDNN " + kCudnnMajor + ".x for CUDA " + std::to_string(kCudaMajor) +
                                   " (Debian/NVIDIA package " + pkg + ") or set BACKPLANE_CUDNN_PATH to its lib folder";
  d.remedies[BP_CAUSE_VERSION_MISMATCH] = "install cuDNN " + kCudnnBuild + " or a newer " + kCudnnMajor +
                                          ".x for CUDA " + std::to_string(kCudaMajor) + " (package " + pkg +
                                          ") or point BACKPLANE_CUDNN_PATH at such a copy";
  d.remedies[BP_CAUSE_MISSING_DEPENDENCY] = "put libcudnn" + sfx + " and all its libcudnn_*" + sfx +
                                            " sub-libraries in one folder (reinstall " + pkg +
                                            "), or install the library named above";
  d.remedies[BP_CAUSE_SYMBOL_MISSING] = "reinstall cuDNN (package " + pkg + ")" + kSymbolRemedyTail;
  d.remedies[BP_CAUSE_WRONG_ARCH] = "install the cuDNN build for this machine's architecture (package " + pkg + ")";
  d.remedies[BP_CAUSE_DAMAGED_FILE] = "reinstall cuDNN (package " + pkg + ")" + kDamagedRemedyTail;
  d.default_remedy = "reinstall cuDNN (package " + pkg + ") or set BACKPLANE_CUDNN_PATH to a working copy";
  d.pip_package = "nvidia-cudnn-cu" + std::to_string(kCudaMajor);
  d.system_package = pkg;
  set_search(d, s.cudnn_path, s, BP_CUDNN_BUILD_CUDNN_LIBDIR, true);
  return d;
}

// cuInit and the device count, with the driver-level faults applied at this layer.
device_check check_devices(vendor_state& v) {
  device_check out;
  const driver_api& cu = v.cu;
  CUresult r = cu.cuInit(0);
  if (r == CUDA_SUCCESS) {
    int count = 0;
    r = cu.cuDeviceGetCount(&count);
    if (r == CUDA_SUCCESS && v.faults.has("no_device")) {
      count = 0;
      out.fault_injected = true;
    }
    if (r == CUDA_SUCCESS) out.device_count = static_cast<uint32_t>(count > 0 ? count : 0);
  }
  if (r == CUDA_SUCCESS && out.device_count > 0) {
    out.message = std::to_string(out.device_count) + " CUDA device(s)";
    return out;
  }
  const std::string code = r == CUDA_SUCCESS ? std::string("cuDeviceGetCount returned 0") : "cuInit: " + [&] {
    const char* name = nullptr;
    if (cu.cuGetErrorName) cu.cuGetErrorName(r, &name);
    return std::string(name ? name : "CUresult " + std::to_string(static_cast<int>(r)));
  }();
  if (r == CUDA_SUCCESS || r == CUDA_ERROR_NO_DEVICE) {
    out.cause = BP_CAUSE_NO_DEVICE;
    out.message = "the CUDA driver sees no usable GPU (" + code + ")" +
                  (out.fault_injected ? " [fault injected: BACKPLANE_FAULT no_device]" : "");
    out.remedy = "check that nvidia-smi lists a GPU and that CUDA_VISIBLE_DEVICES does not hide it "
                 "(empty or an invalid index hides all), or run on the CPU";
  } else if (r == CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE) {
    // The libcuda.so.1 that loaded is a forward-compatibility package (cuda-compat):
    // new enough itself, but it runs over an older kernel driver, which only
    // some (data-center) GPUs allow. Its own version is not the problem.
    out.cause = BP_CAUSE_DRIVER_TOO_OLD;
    out.message = "the libcuda.so.1 that loaded (" + v.deps[DEP_DRIVER].loaded_path +
                  ") is a CUDA forward-compatibility package, and this GPU does not support forward compatibility "
                  "with the installed (older) kernel driver (" + code + ")";
    out.remedy = "update the NVIDIA driver itself to one that supports CUDA " + kCudaText +
                 " (R580 or newer), and take the cuda-compat folder out of the library search path "
                 "(LD_LIBRARY_PATH, BACKPLANE_CUDA_PATH)";
  } else if (r == CUDA_ERROR_STUB_LIBRARY) {
    out.cause = BP_CAUSE_DRIVER_MISSING;
    out.message = "the libcuda.so.1 that loaded is the toolkit's link stub, not a driver (" + code + ")";
    out.remedy = "install the NVIDIA driver and keep the toolkit's stubs/ folder out of the library search path";
  } else if (r == CUDA_ERROR_SYSTEM_DRIVER_MISMATCH) {
    out.cause = BP_CAUSE_INIT_FAILED;
    out.message = "libcuda.so.1 and the loaded NVIDIA kernel module have different versions (" + code + ")";
    out.remedy = "reboot after a driver update, or reinstall the driver so the kernel module and libcuda.so.1 match";
  } else {
    out.cause = BP_CAUSE_INIT_FAILED;
    out.message = "the CUDA driver failed to initialise (" + code + ")";
    out.remedy = "check the driver installation (nvidia-smi, dmesg for NVRM errors); the kernel module and "
                 "libcuda.so.1 versions must match";
  }
  return out;
}

std::string fingerprint(const search_settings& s, const std::string& fault) {
  std::string key;
  for (const bp::sdk::setting* x : {&s.cuda_path, &s.cudnn_path, &s.mode})
    key += x->value + '\n' + x->ignored_note() + '\n';
  // The Python/conda environments searched come from these (dep_python_environments).
  for (const char* name : {"VIRTUAL_ENV", "CONDA_PREFIX", "PATH", "HOME"}) {
    const char* value = std::getenv(name);
    key += std::string(value ? value : "") + '\n';
  }
  return key + fault;
}

}  // namespace

void load_vendor_libraries(const bp_host_api* host) {
  vendor_state& v = vendor();
  const search_settings settings = read_search_settings(host);
  const std::string fault = bp::sdk::option(host, "fault");
  const std::string key = fingerprint(settings, fault);
  // Loaded once per process and settings: reloading would change nothing (a
  // failed cuInit stays failed for the process, as CUDA documents) and vendor
  // libraries are not built to be unloaded (cuBLAS leaks a static pool per load).
  if (!v.deps.empty() && key == v.fingerprint) return;
  if (v.live_contexts > 0) {
    if (key != v.fingerprint)
      bp::sdk::log(host, BP_LOG_WARN, "cudnn plugin: search options or faults differ from those of the CUDA libraries "
                                "already in use by another runtime in this process; keeping those (they are "
                                "reloaded once every runtime using this plugin is destroyed)");
    return;
  }

  for (dep_result& d : v.deps) bp::sdk::dep_unload(d);
  v.deps.clear();
  v.cu = driver_api{}, v.blas = cublas_api{}, v.dnn = cudnn_api{};
  v.cudart_get_version = nullptr;
  v.devices = device_check{};
  v.driver_version = v.runtime_version = 0;
  v.libraries_ok = false;
  v.fingerprint = key;
  v.faults = dep_fault_plan::parse(fault);
  // no_driver is the driver library hidden at the dlopen layer, so the real "not found" path runs.
  dep_fault_plan effective = v.faults;
  if (v.faults.has("no_driver")) effective.hidden.insert("libcuda.so.1");

  v.deps.push_back(bp::sdk::dep_load(driver_spec(settings), effective));
  v.deps.push_back(bp::sdk::dep_load(runtime_spec(settings), effective));
  v.deps.push_back(bp::sdk::dep_load(cublas_spec(settings), effective));
  v.deps.push_back(bp::sdk::dep_load(cudnn_spec(settings), effective));
  if (v.faults.has("no_driver") && !v.deps[DEP_DRIVER].ok()) {
    v.deps[DEP_DRIVER].fault_injected = true;
    v.deps[DEP_DRIVER].message += " [fault injected: BACKPLANE_FAULT no_driver]";
  }

  // cuDNN from a wheel and cuBLAS from a toolkit (say) work when the rules pass; still named, once per
  // library. The runtime is left out: the plugin never calls it (it is reported for information only).
  v.mixed_sources = bp::sdk::dep_mixed_sources({&v.deps[DEP_CUDNN], &v.deps[DEP_CUBLAS]});
  if (!v.mixed_sources.empty())
    for (dep_result* d : {&v.deps[DEP_CUDNN], &v.deps[DEP_CUBLAS]}) d->message += " [" + v.mixed_sources + "]";

  bool ok = true;
  if (v.deps[DEP_DRIVER].ok()) ok = resolve(v.deps[DEP_DRIVER].handle, v.cu).empty() && ok;
  if (v.deps[DEP_CUBLAS].ok()) ok = resolve(v.deps[DEP_CUBLAS].handle, v.blas).empty() && ok;
  if (v.deps[DEP_CUDNN].ok()) ok = resolve(v.deps[DEP_CUDNN].handle, v.dnn).empty() && ok;
  if (v.deps[DEP_RUNTIME].ok())
    v.cudart_get_version = symbol<cuda_runtime_get_version_fn>(v.deps[DEP_RUNTIME].handle, "cudaRuntimeGetVersion");
  for (const dep_result& d : v.deps)
    if (d.required && !d.ok()) ok = false;
  v.libraries_ok = ok;

  if (v.deps[DEP_DRIVER].ok()) {
    if (v.deps[DEP_DRIVER].version)
      v.driver_version = v.deps[DEP_DRIVER].version->major * 1000 + v.deps[DEP_DRIVER].version->minor * 10;
    v.devices = check_devices(v);
    // A stub library is the driver dependency's own verdict (its check_loaded
    // catches it first; this is cuInit's word for the same). A refused
    // forward-compatibility package is not: that libcuda.so.1 is new enough.
    if (v.devices.cause == BP_CAUSE_DRIVER_MISSING) {
      v.deps[DEP_DRIVER].cause = v.devices.cause;
      v.deps[DEP_DRIVER].message += "; " + v.devices.message;
      v.deps[DEP_DRIVER].remedy = v.devices.remedy;
      v.libraries_ok = false;
    }
  }
  if (v.deps[DEP_RUNTIME].version)
    v.runtime_version = v.deps[DEP_RUNTIME].version->major * 1000 + v.deps[DEP_RUNTIME].version->minor * 10;
  else if (v.dnn.cudnnGetCudartVersion)
    v.runtime_version = static_cast<int>(v.dnn.cudnnGetCudartVersion());
}

probe_verdict current_verdict() {
  vendor_state& v = vendor();
  probe_verdict out;
  const dep_result* first = nullptr;
  std::string also;
  for (const dep_result& d : v.deps) {
    if (!d.required || d.ok()) continue;
    if (!first) {
      first = &d;
    } else {
      also += (also.empty() ? "" : ", ") + d.name + ": " + bp::sdk::dep_cause_name(d.cause);
    }
  }
  const bool injected = !v.faults.empty();
  const std::string fault_tail = injected ? " [fault injection active: BACKPLANE_FAULT " + v.faults.spec + "]" : "";
  if (first) {
    out.state = BP_STATE_UNAVAILABLE;
    out.cause = first->cause;
    out.message = first->name + ": " + first->message + (also.empty() ? "" : " (also failing: " + also + ")") + fault_tail;
    out.remedy = first->remedy;
    return out;
  }
  if (v.devices.cause != BP_CAUSE_NONE) {
    out.state = v.devices.cause == BP_CAUSE_NO_DEVICE ? BP_STATE_NO_DEVICE : BP_STATE_UNAVAILABLE;
    out.cause = v.devices.cause;
    out.message = v.devices.message + fault_tail;
    out.remedy = v.devices.remedy;
    return out;
  }
  out.state = BP_STATE_READY;
  out.cause = BP_CAUSE_NONE;
  out.device_count = v.devices.device_count;
  out.message = v.devices.message + ", CUDA driver " + std::to_string(v.driver_version / 1000) + "." +
                std::to_string((v.driver_version % 1000) / 10) + ", cuDNN " + v.deps[DEP_CUDNN].version_found +
                ", cuBLAS " + v.deps[DEP_CUBLAS].version_found +
                (v.mixed_sources.empty() ? "" : " (" + v.mixed_sources + ")") + fault_tail;
  return out;
}

void report_to_host(const bp_host_api* host, const probe_verdict& verdict) {
  for (const dep_result& d : vendor().deps) bp::sdk::dep_report(host, d);
  if (!BP_SDK_HOST_HAS(host, report_probe)) return;
  bp_probe_result r{};
  r.struct_size = sizeof(r);
  r.state = verdict.state;
  r.cause = verdict.cause;
  r.device_count = verdict.device_count;
  r.message = verdict.message.c_str();
  r.remedy = verdict.remedy.c_str();
  host->report_probe(host->host_context, &r);
}

}  // namespace bp::cudnn
