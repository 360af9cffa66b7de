#include "upload_staging.hpp"

#include <cstring>

namespace bp::core {

namespace {
constexpr uint64_t kSpareLimit = 64ull << 20;
}  // namespace

upload_staging::handle upload_staging::keep(const void* src, uint64_t bytes) {
  staged_bytes copy;
  {
    // The smallest spare buffer that holds `bytes`, if any.
    std::lock_guard<std::mutex> lock(mutex_);
    size_t best = spare_.size();
    for (size_t i = 0; i < spare_.size(); ++i)
      if (spare_[i].capacity() >= bytes && (best == spare_.size() || spare_[i].capacity() < spare_[best].capacity()))
        best = i;
    if (best != spare_.size()) {
      spare_bytes_ -= spare_[best].capacity();
      copy.bytes = std::move(spare_[best]);
      spare_[best] = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  const auto* first = static_cast<const unsigned char*>(src);
  copy.bytes.assign(first, first + bytes);  // one pass, no zero-fill; no reallocation when reused
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
      if (spare_bytes_ + it->bytes.capacity() <= kSpareLimit) {
        spare_bytes_ += it->bytes.capacity();
        spare_.push_back(std::move(it->bytes));
      }
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
