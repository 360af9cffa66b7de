// support.cpp — see support.hpp.
#include "support.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace rel {

std::string openblas_plugin_path() {
#ifdef BACKPLANE_OPENBLAS_PLUGIN
  return BACKPLANE_OPENBLAS_PLUGIN;
#else
  return "";
#endif
}

std::string cudnn_plugin_path() {
#ifdef BACKPLANE_CUDNN_PLUGIN
  return BACKPLANE_CUDNN_PLUGIN;
#else
  return "";
#endif
}

std::string fake_plugin_dir(const std::string& variant) {
#ifdef BACKPLANE_FAKES_DIR
  return std::string(BACKPLANE_FAKES_DIR) + "/" + variant;
#else
  (void)variant;
  return "";
#endif
}

long rss_kib() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n - 1;  // the DIR's own descriptor
}

bool under_valgrind() {
  const char* p = std::getenv("LD_PRELOAD");
  return p && std::strstr(p, "vgpreload") != nullptr;
}

// ---- fake host --------------------------------------------------------------------

namespace {
fake_host_state& host_state(void* ctx) { return *static_cast<fake_host_state*>(ctx); }

void fake_log(void* ctx, bp_log_level, const char* message) {
  auto& s = host_state(ctx);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.logs.push_back(message ? message : "(null)");
}
void fake_set_error(void* ctx, bp_status status, const char* message) {
  auto& s = host_state(ctx);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.last_status = status;
  s.last_error = message ? message : "";
}
void fake_report_probe(void* ctx, const bp_probe_result* r) {
  auto& s = host_state(ctx);
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.probe_reports;
  if (r) {
    s.probe_state = r->state;
    s.probe_cause = r->cause;
    s.probe_message = r->message ? r->message : "";
  }
}
void fake_report_dependency(void* ctx, const bp_dependency_report*) {
  auto& s = host_state(ctx);
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.dependency_reports;
}
const char* fake_get_option(void*, const char*) { return nullptr; }
}  // namespace

raw_plugin::raw_plugin(const std::string& path) {
  host_.struct_size = sizeof host_;
  host_.abi_major = BP_ABI_VERSION_MAJOR;
  host_.abi_minor = BP_ABI_VERSION_MINOR;
  host_.negotiated_minor = BP_ABI_VERSION_MINOR;
  host_.host_context = &state_;
  host_.log = fake_log;
  host_.set_error = fake_set_error;
  host_.report_probe = fake_report_probe;
  host_.report_dependency = fake_report_dependency;
  host_.get_option = fake_get_option;
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* e = dlerror();
    load_error_ = e ? e : "dlopen failed";
    return;
  }
  auto entry = reinterpret_cast<bp_plugin_entry_fn>(dlsym(handle_, BP_PLUGIN_ENTRY_SYMBOL));
  if (!entry) {
    load_error_ = "no entry symbol";
    return;
  }
  api_ = entry(&host_);
  if (!api_) load_error_ = "entry returned NULL: " + state_.last_error;
}

raw_plugin::~raw_plugin() {
  if (handle_) dlclose(handle_);
}

std::string raw_plugin::take_error() {
  std::lock_guard<std::mutex> lock(state_.mutex);
  std::string e = state_.last_error;
  state_.last_error.clear();
  state_.last_status = BP_OK;
  return e;
}

view::view(void* data, std::vector<int64_t> dims, bp_dtype dtype, int32_t device_type) : shape(std::move(dims)) {
  t.data = data;
  t.device = bp_device{device_type, 0};
  t.ndim = static_cast<int32_t>(shape.size());
  t.dtype = dtype;
  t.shape = shape.data();
  t.strides = nullptr;
  t.byte_offset = 0;
}

view::view(const view& other) : shape(other.shape), strides(other.strides), t(other.t) {
  t.shape = shape.data();
  t.strides = strides.empty() ? nullptr : strides.data();
}

void view::set_strides(std::vector<int64_t> s) {
  strides = std::move(s);
  t.strides = strides.data();
}

desc::desc(bp_op_kind kind, const void* attrs, const std::vector<const view*>& inputs,
           const std::vector<const view*>& outputs) {
  for (const view* v : inputs) ins.push_back(v->t);
  for (const view* v : outputs) outs.push_back(v->t);
  d.struct_size = sizeof d;
  d.kind = kind;
  d.attrs = attrs;
  d.inputs = ins.empty() ? nullptr : ins.data();
  d.outputs = outs.empty() ? nullptr : outs.data();
  d.num_inputs = static_cast<uint32_t>(ins.size());
  d.num_outputs = static_cast<uint32_t>(outs.size());
}

}  // namespace rel
