// memory.hpp — the per-device caching allocator.
//
// Blocks freed by the host go to a size-keyed cache and are reused by later
// requests (stream-ordered reuse is safe on one stream; with several streams
// mem_free synchronises the context first, see device_context::release).
// The cache grows as needed; GPU_MEMORY_LIMIT (BACKPLANE_GPU_MEMORY_LIMIT,
// "2GiB", "512MiB", "1500000000") caps memory held from the driver (in use +
// cached); GPU_MEMORY_CACHING=0 turns the cache off. Exceeding the cap, or the device running out, is a clean
// BP_ERR_OUT_OF_MEMORY naming the request, what is in use and the limit.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "backplane/abi.h"
#include "vendor_api.hpp"

namespace bp::cudnn {

// Parses "2GiB", "512MiB", "64KiB", "1.5GB", "1000000" (bytes). nullopt if malformed.
std::optional<uint64_t> parse_byte_size(const std::string& text);
std::string format_bytes(uint64_t bytes);

// BACKPLANE_GPU_MEMORY_LIMIT and BACKPLANE_GPU_MEMORY_CACHING, validated.
struct memory_settings {
  uint64_t limit = 0;      // 0: no cap
  std::string limit_text;  // as the user wrote it (named in the remedy when the cap is the cause)
  bool caching = true;
};

// Reads and checks both settings, whatever the hardware (probe calls it before
// any driver is loaded, so a typo is a configuration error on every machine).
// Throws bp::sdk::failure(BP_ERR_INVALID_ARGUMENT) naming the setting and value.
memory_settings read_memory_settings(const bp_host_api* host);

class caching_allocator {
 public:
  // limit 0 = no cap beyond the device's memory. caching false: exact sizes,
  // every release goes straight back to the driver (BACKPLANE_GPU_MEMORY_CACHING=0,
  // for memory checkers: a rounded or reused block hides small overruns).
  caching_allocator(const driver_api& cu, const memory_settings& settings)
      : cu_(cu), limit_(settings.limit), limit_text_(settings.limit_text), caching_(settings.caching) {}
  ~caching_allocator();
  caching_allocator(const caching_allocator&) = delete;
  caching_allocator& operator=(const caching_allocator&) = delete;

  // Throws bp::sdk::failure(BP_ERR_OUT_OF_MEMORY) with sizes on failure. bytes 0 => a small unique block.
  CUdeviceptr allocate(uint64_t bytes);
  // Returns a block to the cache; unknown pointers are BP_ERR_INVALID_ARGUMENT.
  void release(CUdeviceptr ptr);
  // Hands every cached block back to the driver.
  void trim();
  // Makes the next driver allocation fail as CUDA_ERROR_OUT_OF_MEMORY (fault oom_at_init).
  void inject_oom_once() { inject_oom_ = true; }

  uint64_t in_use() const;
  uint64_t cached() const;
  uint64_t limit() const { return limit_; }

 private:
  static uint64_t round_size(uint64_t bytes);
  void trim_locked();

  const driver_api& cu_;
  uint64_t limit_ = 0;
  std::string limit_text_;
  bool caching_ = true;
  mutable std::mutex mutex_;
  std::unordered_map<CUdeviceptr, uint64_t> live_;  // pointer -> block size
  std::multimap<uint64_t, CUdeviceptr> cache_;      // block size -> pointer
  uint64_t in_use_ = 0, cached_ = 0;
  bool inject_oom_ = false;
};

}  // namespace bp::cudnn
