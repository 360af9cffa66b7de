// upload_staging.hpp — host copies of bytes on their way to a device.
//
// Why: the ABI lets a plugin read the source of a host-to-device mem_copy
// until its stream is synchronised, so bp_tensor_write used to wait for the
// device after every upload — a training loop's two uploads per step then
// stalled the host until the previous step had finished on the GPU, and host
// and device never overlapped. Instead the core copies the bytes here, hands
// the copy to mem_copy and returns; a copy is freed once a synchronisation
// of the same stream that began after it was enqueued has finished.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <vector>

namespace bp::core {

struct staged_bytes {
  std::vector<unsigned char> bytes;
  uint64_t committed = 0;  // commit order; 0 = mem_copy not enqueued yet
};

class upload_staging {
 public:
  using handle = std::list<staged_bytes>::iterator;

  // A private copy of src (not yet freeable: commit() once mem_copy has enqueued it, or drop()).
  handle keep(const void* src, uint64_t bytes);
  const void* data(handle h) const;
  // The copy's mem_copy has been enqueued: a synchronisation started from now on covers it.
  void commit(handle h);
  // mem_copy failed: nothing reads the copy.
  void drop(handle h);
  // Take before a synchronisation starts; pass to release_covered() once it has finished.
  uint64_t mark();
  void release_covered(uint64_t mark);
  uint64_t bytes() const;

 private:
  mutable std::mutex mutex_;
  std::list<staged_bytes> kept_;
  // Freed buffers kept for reuse (a training loop uploads the same sizes every
  // step; fresh multi-MiB buffers would page-fault on every copy), up to kSpareLimit bytes.
  std::vector<std::vector<unsigned char>> spare_;
  uint64_t spare_bytes_ = 0;
  uint64_t next_ = 1;  // commit order; 0 = not committed
  uint64_t bytes_ = 0;
};

}  // namespace bp::core
