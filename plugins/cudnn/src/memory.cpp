#include "memory.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "backplane/sdk/plugin.hpp"
#include "errors.hpp"

namespace bp::cudnn {

std::optional<uint64_t> parse_byte_size(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == start) return std::nullopt;
  double value = 0;
  try {
    value = std::stod(text.substr(start, i - start));
  } catch (...) {
    return std::nullopt;
  }
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit;
  for (; i < text.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(text[i]))) unit += static_cast<char>(std::tolower(text[i]));
  static const std::map<std::string, double> units = {
      {"", 1.0},          {"b", 1.0},          {"k", 1024.0},       {"kib", 1024.0},      {"kb", 1e3},
      {"m", 1048576.0},   {"mib", 1048576.0},  {"mb", 1e6},         {"g", 1073741824.0},  {"gib", 1073741824.0},
      {"gb", 1e9},        {"t", 1099511627776.0}, {"tib", 1099511627776.0}, {"tb", 1e12}};
  auto it = units.find(unit);
  if (it == units.end()) return std::nullopt;
  const double bytes = value * it->second;
  if (!(bytes >= 1.0) || bytes > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(std::floor(bytes));
}

memory_settings read_memory_settings(const bp_host_api* host) {
  memory_settings s;
  s.limit_text = bp::sdk::option(host, "GPU_MEMORY_LIMIT");
  if (!s.limit_text.empty()) {
    auto bytes = parse_byte_size(s.limit_text);
    if (!bytes)
      bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: BACKPLANE_GPU_MEMORY_LIMIT='" + s.limit_text +
                                                 "' is not a size (examples: 2GiB, 512MiB, 1000000000)");
    s.limit = *bytes;
  }
  // on (default) or off ("0", "off", "false").
  const std::string caching = bp::sdk::option(host, "GPU_MEMORY_CACHING");
  if (caching == "0" || caching == "off" || caching == "false") {
    s.caching = false;
  } else if (!(caching.empty() || caching == "1" || caching == "on" || caching == "true")) {
    bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: BACKPLANE_GPU_MEMORY_CACHING='" + caching +
                                               "' is not on/off (1/0): it turns the device memory cache on or off");
  }
  return s;
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(bytes) / double(1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  return buf;
}

caching_allocator::~caching_allocator() {
  std::lock_guard<std::mutex> lock(mutex_);
  trim_locked();
  // Blocks the host never freed go back too (the context is still current in shutdown).
  for (auto& [ptr, size] : live_) cu_.cuMemFree(ptr);
  live_.clear();
}

// 512-byte granules below 1 MiB, whole MiB above: few distinct sizes, bounded waste.
uint64_t caching_allocator::round_size(uint64_t bytes) {
  if (bytes == 0) bytes = 1;
  const uint64_t granule = bytes < (1ull << 20) ? 512 : (1ull << 20);
  return (bytes + granule - 1) / granule * granule;
}

CUdeviceptr caching_allocator::allocate(uint64_t bytes) {
  const uint64_t size = caching_ ? round_size(bytes) : (bytes ? bytes : 1);
  std::lock_guard<std::mutex> lock(mutex_);
  // Reuse a cached block no more than twice the request.
  auto it = cache_.lower_bound(size);
  if (caching_ && it != cache_.end() && it->first <= 2 * size) {
    CUdeviceptr p = it->second;
    const uint64_t block = it->first;
    cache_.erase(it);
    cached_ -= block;
    live_[p] = block;
    in_use_ += block;
    return p;
  }
  if (limit_ && in_use_ + cached_ + size > limit_) trim_locked();
  if (limit_ && in_use_ + size > limit_)
    bp::sdk::fail(BP_ERR_OUT_OF_MEMORY, "cudnn plugin: GPU memory limit reached: requested " + format_bytes(bytes) +
                                            ", in use " + format_bytes(in_use_) + ", limit " + format_bytes(limit_) +
                                            " set by BACKPLANE_GPU_MEMORY_LIMIT=" + limit_text_ +
                                            ". Remedy: raise BACKPLANE_GPU_MEMORY_LIMIT (now " + limit_text_ +
                                            ") or unset it; the cap, not the device, refused this allocation");
  CUdeviceptr p = 0;
  CUresult r = CUDA_ERROR_OUT_OF_MEMORY;
  const bool injected = inject_oom_;
  inject_oom_ = false;
  if (!injected) {
    r = cu_.cuMemAlloc(&p, size);
    if (r == CUDA_ERROR_OUT_OF_MEMORY && cached_ > 0) {  // give the cache back and retry once
      trim_locked();
      r = cu_.cuMemAlloc(&p, size);
    }
  }
  if (r != CUDA_SUCCESS) {
    size_t free_bytes = 0, total_bytes = 0;
    if (!injected) cu_.cuMemGetInfo(&free_bytes, &total_bytes);
    std::string msg = "cudnn plugin: device allocation failed: requested " + format_bytes(bytes) + ", in use " +
                      format_bytes(in_use_) + ", limit " + (limit_ ? format_bytes(limit_) : std::string("none")) +
                      (injected ? std::string()
                                : ", device free " + format_bytes(free_bytes) + " of " + format_bytes(total_bytes)) +
                      ": " + describe(r);
    if (injected) msg += " [fault injected: BACKPLANE_FAULT oom_at_init]";
    bp::sdk::fail(status_from(r), msg);
  }
  live_[p] = size;
  in_use_ += size;
  return p;
}

void caching_allocator::release(CUdeviceptr ptr) {
  if (ptr == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end())
    bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, "cudnn plugin: mem_free of a pointer this plugin did not allocate");
  in_use_ -= it->second;
  if (caching_) {
    cached_ += it->second;
    cache_.emplace(it->second, ptr);
  } else {
    cu_.cuMemFree(ptr);  // synchronises: queued work using the block finishes first
  }
  live_.erase(it);
}

void caching_allocator::trim() {
  std::lock_guard<std::mutex> lock(mutex_);
  trim_locked();
}

void caching_allocator::trim_locked() {
  for (auto& [size, ptr] : cache_) cu_.cuMemFree(ptr);
  cache_.clear();
  cached_ = 0;
}

uint64_t caching_allocator::in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}
uint64_t caching_allocator::cached() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

}  // namespace bp::cudnn
