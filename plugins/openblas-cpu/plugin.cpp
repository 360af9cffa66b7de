// openblas-cpu: the CPU backend of Backplane. The plugin class (probe/init,
// device properties, trivial streams, op dispatch) from which
// backplane/sdk/table.hpp builds the guarded table; host memory is the SDK's
// host_memory_device.
//
// Execution is synchronous on the calling thread (helped by the plugin's own
// worker pool), so streams are only ordering tokens and synchronize is a
// no-op. OpenBLAS is forced to one thread at init: its own splitting of the
// small, tall-skinny GEMMs of a CNN is erratic, so the plugin parallelises
// across images / row blocks itself and calls single-threaded sgemm.
#include <cblas.h>
#include <dlfcn.h>
#include <sys/sysinfo.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "activation.hpp"
#include "backplane/sdk/table.hpp"
#include "bias.hpp"
#include "common.hpp"
#include "conv.hpp"
#include "elementwise.hpp"
#include "gemm.hpp"
#include "optimizer.hpp"
#include "pool.hpp"
#include "reduce.hpp"
#include "softmax_loss.hpp"

namespace bp::openblas_cpu {
namespace {

using bp::sdk::fail;

constexpr const char* kOpenBlasSoname = "libopenblas.so.0";

struct plugin_context {
  int threads = 1;
};

// ---- machine description -------------------------------------------------------

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
      }
    }
  }
  return "unknown CPU";
}

// The ISA extensions that matter to the kernels we call, in a fixed order.
std::string cpu_isa_flags() {
  static const char* const interesting[] = {"sse4_2",     "avx",         "avx2",         "fma",
                                            "f16c",       "avx512f",     "avx512bw",     "avx512vl",
                                            "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile"};
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> present;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::string w;
      while (words >> w) present.insert(w);
      break;
    }
  }
  std::string out;
  for (const char* f : interesting)
    if (present.count(f)) out += (out.empty() ? "" : " ") + std::string(f);
  return out;
}

std::string openblas_config() {
  const char* c = openblas_get_config();
  return c ? std::string(c) : std::string();
}

// "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." -> "0.3.21"
std::string openblas_version(const std::string& config) {
  std::istringstream words(config);
  std::string first, second;
  words >> first >> second;
  return first == "OpenBLAS" ? second : std::string();
}

std::string openblas_loaded_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cblas_sgemm), &info) && info.dli_fname) {
    char resolved[4096];
    if (realpath(info.dli_fname, resolved)) return resolved;
    return info.dli_fname;
  }
  return {};
}

// Limits of this backend beyond the shared validator. Returns BP_OK or
// BP_ERR_UNSUPPORTED with `why` filled.
bp_status backend_limits(const bp_op_desc& op, std::string* why) {
  for (int side = 0; side < 2; ++side) {
    const bp_tensor* ts = side == 0 ? op.inputs : op.outputs;
    const uint32_t count = side == 0 ? op.num_inputs : op.num_outputs;
    for (uint32_t i = 0; i < count; ++i) {
      const int32_t type = ts[i].device.device_type;
      if (type != BP_DEVICE_CPU && type != BP_DEVICE_CUDA_HOST) {
        *why = bp::sdk::tensor_label(op.kind, side == 0, i) + ": memory on device type " + std::to_string(type) +
               " is not host memory (openblas-cpu reads tensors directly)";
        return BP_ERR_UNSUPPORTED;
      }
    }
  }
  switch (op.kind) {
    case BP_OP_CONV2D_FWD:
    case BP_OP_CONV2D_BWD_DATA:
    case BP_OP_CONV2D_BWD_FILTER:
      return conv_supported(op, why) ? BP_OK : BP_ERR_UNSUPPORTED;
    case BP_OP_GEMM:
      return gemm_supported(op, why) ? BP_OK : BP_ERR_UNSUPPORTED;
    case BP_OP_POOL2D_BWD: {
      const auto& a = *static_cast<const bp_pool2d_attrs*>(op.attrs);
      const bp::sdk::pool_geometry g = bp::sdk::make_pool_geometry(a, op.inputs[0].shape);
      if (g.h * g.w > INT32_MAX) {
        *why = "POOL2D_BWD input 0 (x): " + std::to_string(g.h) + "x" + std::to_string(g.w) +
               " images exceed the int32 window positions of the max-pool gradient";
        return BP_ERR_UNSUPPORTED;
      }
      return BP_OK;
    }
    case BP_OP_ARGMAX: {
      const bp_tensor& x = op.inputs[0];
      if (x.shape[x.ndim - 1] > INT32_MAX) {
        *why = "ARGMAX input 0 (x): last axis " + std::to_string(x.shape[x.ndim - 1]) +
               " is longer than an int32 index can address";
        return BP_ERR_UNSUPPORTED;
      }
      return BP_OK;
    }
    default:
      return BP_OK;
  }
}

void dispatch(const bp_op_desc& op) {
  switch (op.kind) {
    case BP_OP_CONV2D_FWD: return execute_conv_fwd(op);
    case BP_OP_CONV2D_BWD_DATA: return execute_conv_bwd_data(op);
    case BP_OP_CONV2D_BWD_FILTER: return execute_conv_bwd_filter(op);
    case BP_OP_BIAS_ADD: return execute_bias_add(op);
    case BP_OP_BIAS_GRAD: return execute_bias_grad(op);
    case BP_OP_ACTIVATION_FWD: return execute_activation_fwd(op);
    case BP_OP_ACTIVATION_BWD: return execute_activation_bwd(op);
    case BP_OP_POOL2D_FWD: return execute_pool_fwd(op);
    case BP_OP_POOL2D_BWD: return execute_pool_bwd(op);
    case BP_OP_GEMM: return execute_gemm(op);
    case BP_OP_SOFTMAX: return execute_softmax(op);
    case BP_OP_SOFTMAX_BWD: return execute_softmax_bwd(op);
    case BP_OP_SOFTMAX_XENT_FWD: return execute_xent_fwd(op);
    case BP_OP_SOFTMAX_XENT_BWD: return execute_xent_bwd(op);
    case BP_OP_ADAM_UPDATE: return execute_adam(op);
    case BP_OP_SGD_UPDATE: return execute_sgd(op);
    case BP_OP_ADD:
    case BP_OP_SUB:
    case BP_OP_MUL: return execute_binary(op);
    case BP_OP_SCALE: return execute_scale(op);
    case BP_OP_FILL: return execute_fill(op);
    case BP_OP_COPY: return execute_copy(op);
    case BP_OP_REDUCE: return execute_reduce(op);
    case BP_OP_ARGMAX: return execute_argmax(op);
    default:
      fail(BP_ERR_UNSUPPORTED, std::string("openblas-cpu: no kernel for op kind ") + std::to_string(op.kind));
  }
}

// ---- the plugin class (backplane/sdk/table.hpp builds and guards the table) ----------

// Streams are ordering tokens only: every op completes before op_execute returns.
bp_stream_t dummy_stream() {
  static char token;
  return reinterpret_cast<bp_stream_t>(&token);
}

struct plugin : bp::sdk::host_memory_device<plugin> {
  static constexpr const char* name = "openblas-cpu";
  static constexpr const char* description =
      "CPU backend: OpenBLAS sgemm (single-threaded) + own worker pool and kernels";
  static constexpr int32_t priority = 10;
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_CPU;

  // probe and init use the host table they are given, never the library-wide
  // one: several runtimes may load this library and come and go concurrently.
  static void probe(const bp_host_api* host) {
    const std::string config = openblas_config();
    const std::string version = openblas_version(config);
    const std::string path = openblas_loaded_path();
    const std::string message = "linked; core: " + std::string(openblas_get_corename()) + "; config: " + config;
    if (BP_SDK_HOST_HAS(host, report_dependency)) {
      bp_dependency_report dep{};
      dep.struct_size = sizeof(dep);
      dep.cause = BP_CAUSE_NONE;
      dep.name = "OpenBLAS";
      dep.soname = kOpenBlasSoname;
      dep.loaded_path = path.c_str();
      dep.version_found = version.c_str();
      dep.version_required = "any 0.3.x with the CBLAS interface";
      dep.rule = "linked at build time (DT_NEEDED); the dynamic linker resolves it when the plugin loads";
      dep.message = message.c_str();
      dep.remedy = "";
      dep.required = 1;
      host->report_dependency(host->host_context, &dep);
    }
    const std::string verdict = cpu_model_name() + ", " + std::to_string(configured_threads(host)) +
                                " threads, OpenBLAS " + (version.empty() ? "(unknown version)" : version);
    bp::sdk::report_ready(host, 1, verdict);
  }

  static void* init(const bp_host_api* host) {
    auto* ctx = new plugin_context;
    ctx->threads = configured_threads(host);
    openblas_set_num_threads(1);
    read_conv_kernel_option(host);
    create_pool(ctx->threads);
    host_log(host, BP_LOG_INFO, "openblas-cpu: " + std::to_string(ctx->threads) +
                                  " worker threads, OpenBLAS single-threaded (" + openblas_config() + ")");
    return ctx;
  }

  static void shutdown(void* context) {
    if (!context) return;
    destroy_pool();
    delete static_cast<plugin_context*>(context);
  }

  static uint32_t device_count(void*) { return 1; }

  static void device_props(void* context, uint32_t index, bp_device_props& p) {
    check_device(index, "device_props");
    p.device = bp_device{BP_DEVICE_CPU, 0};
    const int threads = context ? static_cast<plugin_context*>(context)->threads : configured_threads();
    bp::sdk::copy_string(p.name, sizeof(p.name), cpu_model_name() + " (" + std::to_string(threads) + " threads)");
    bp::sdk::copy_string(p.capability, sizeof(p.capability), cpu_isa_flags());
    struct sysinfo si{};
    if (sysinfo(&si) == 0) {
      p.memory_total = uint64_t(si.totalram) * si.mem_unit;
      p.memory_free = uint64_t(si.freeram) * si.mem_unit;
    }
    p.threads = threads;
  }

  static bp_stream_t stream_create(void*, uint32_t device) {
    check_device(device, "stream_create");
    return dummy_stream();
  }
  static void stream_destroy(void*, uint32_t device, bp_stream_t) { check_device(device, "stream_destroy"); }

  static bp_status op_supports(void*, uint32_t device, const bp_op_desc& op, std::string& why) {
    check_device(device, "op_supports");
    return backend_limits(op, &why);
  }
  static void op_execute(void*, uint32_t device, bp_stream_t, const bp_op_desc& op) {
    check_device(device, "op_execute");
    dispatch(op);
  }
};

}  // namespace
}  // namespace bp::openblas_cpu

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  return bp::sdk::plugin_table<bp::openblas_cpu::plugin>(host);
}
