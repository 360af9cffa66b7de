// backplane/nn/rng.hpp — a seeded host random source whose output is the same
// on every platform and standard library.
//
// std::mt19937's sequence is fixed by the standard, but the distributions
// (std::uniform_real_distribution, std::shuffle, ...) are implementation-
// defined. Initial weights, synthetic data and the epoch shuffle all come
// from here so one seed gives identical numbers on every backend and build.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace bp::nn {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(static_cast<std::mt19937::result_type>(seed ^ (seed >> 32))) {}

  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Uniform integer in [0, bound), unbiased (rejection sampling). bound >= 1.
  uint32_t below(uint32_t bound);
  // Fisher–Yates shuffle of `order` in place.
  void shuffle(std::vector<int64_t>& order);

 private:
  std::mt19937 engine_;
};

}  // namespace bp::nn
