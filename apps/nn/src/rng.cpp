#include "backplane/nn/rng.hpp"

#include <utility>

namespace bp::nn {

double Rng::uniform() {
  // Two 32-bit draws -> 27 + 26 = 53 bits (the same recipe as genrand_res53).
  const uint64_t high = engine_() >> 5;
  const uint64_t low = engine_() >> 6;
  return static_cast<double>((high << 26) | low) * (1.0 / 9007199254740992.0);
}

uint32_t Rng::below(uint32_t bound) {
  if (bound <= 1) return 0;
  // Reject the top sliver of the 32-bit range that would bias small values.
  const uint32_t limit = static_cast<uint32_t>((uint64_t{1} << 32) - ((uint64_t{1} << 32) % bound));
  for (;;) {
    const uint32_t draw = engine_();
    if (limit == 0 || draw < limit) return draw % bound;
  }
}

void Rng::shuffle(std::vector<int64_t>& order) {
  for (size_t i = order.size(); i > 1; --i) {
    const size_t j = below(static_cast<uint32_t>(i));
    std::swap(order[i - 1], order[j]);
  }
}

}  // namespace bp::nn
