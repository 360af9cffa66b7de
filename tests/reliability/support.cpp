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

raw_plugin::raw_plugin(const std::string& path) {
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
  api_ = entry(host_.api());
  if (!api_) load_error_ = "entry returned NULL: " + host_.take_error();
}

raw_plugin::~raw_plugin() {
  if (handle_) dlclose(handle_);
}

std::string raw_plugin::take_error() { return host_.take_error(); }

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
