#include "upload_staging.hpp"

#include <cstring>

namespace bp::core {

upload_staging::handle upload_staging::keep(const void* src, uint64_t bytes) {
  staged_bytes copy;
  copy.bytes.resize(bytes);
  if (bytes) std::memcpy(copy.bytes.data(), src, bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  bytes_ += bytes;
  kept_.push_back(std::move(copy));
  return std::prev(kept_.end());
}

const void* upload_staging::data(handle h) const { return h->bytes.data(); }

void upload_staging::commit(handle h) {
  std::lock_guard<std::mutex> lock(mutex_);
  h->committed = next_++;
}

void upload_staging::drop(handle h) {
  std::lock_guard<std::mutex> lock(mutex_);
  bytes_ -= h->bytes.size();
  kept_.erase(h);
}

uint64_t upload_staging::mark() {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_;
}

void upload_staging::release_covered(uint64_t mark) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (it->committed != 0 && it->committed < mark) {
      bytes_ -= it->bytes.size();
      it = kept_.erase(it);
    } else {
      ++it;
    }
  }
}

uint64_t upload_staging::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace bp::core
