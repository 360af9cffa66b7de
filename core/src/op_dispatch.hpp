// op_dispatch.hpp — per-runtime state of the one op path (op_dispatch.cpp):
// the backend's support verdicts per op signature, and recycled host buffers
// for per-op fallback.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backplane/abi.h"

namespace bp::core {

// What the selected backend said about one op signature (kind, attributes,
// dtypes, shapes, alignment, in-place pattern): op_supports is asked once per
// signature, not once per call — a training loop repeats a handful of them.
class op_verdicts {
 public:
  struct verdict {
    bp_status status = BP_OK;  // BP_OK or BP_ERR_UNSUPPORTED (other answers are not kept)
    std::string reason;
  };
  static std::string signature(const bp_op_desc& op);
  bool find(const std::string& signature, verdict* out) const;
  void keep(const std::string& signature, verdict v);

 private:
  static constexpr size_t kLimit = 4096;  // distinct signatures kept before starting over
  mutable std::mutex mutex_;
  std::map<std::string, verdict> verdicts_;
};

// Host buffers for per-op fallback, 64-byte aligned (the alignment mem_alloc
// promises), recycled across ops so a fallback inside a training loop does
// not allocate and page-fault every step.
class host_buffers {
 public:
  struct freer {
    void operator()(void* p) const { std::free(p); }
  };
  using buffer = std::unique_ptr<unsigned char, freer>;
  struct lease {
    buffer data;
    uint64_t capacity = 0;
  };
  // A buffer of at least `bytes` (nullptr data when out of memory).
  lease take(uint64_t bytes);
  void give_back(lease l);

 private:
  static constexpr uint64_t kSpareLimit = 64ull << 20;
  std::mutex mutex_;
  std::vector<lease> spare_;
  uint64_t spare_bytes_ = 0;
};

struct op_dispatch_state {
  op_verdicts verdicts;
  host_buffers buffers;
};

}  // namespace bp::core
