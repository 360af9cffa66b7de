// fuzz_input.hpp — a tiny reader over the fuzzer's bytes (no dependency on
// libFuzzer's FuzzedDataProvider, so the replay build compiles with g++ too).
// Reading past the end yields zeros: every input maps to SOME structure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace fuzz {

class input {
 public:
  input(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  size_t remaining() const { return n_; }
  uint8_t byte() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  template <typename T>
  T raw() {
    T v{};
    size_t k = n_ < sizeof(T) ? n_ : sizeof(T);
    std::memcpy(&v, p_, k);
    p_ += k, n_ -= k;
    return v;
  }
  // A value in [0, n).
  uint32_t below(uint32_t n) { return n ? byte() % n : 0; }
  bool flag(uint32_t one_in = 2) { return below(one_in) == 0; }
  // Up to `max` bytes, stopping after a '\n' separator (not included).
  std::string line(size_t max = 256) {
    std::string s;
    while (n_ && s.size() < max) {
      char c = static_cast<char>(byte());
      if (c == '\n') break;
      if (c != '\0') s += c;
    }
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace fuzz
