// sha256.cpp — FIPS 180-4 SHA-256, for the plugin allowlist pins. Small and
// dependency-free so the core links no crypto library.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "discovery.hpp"

namespace bp::core {
namespace {
constexpr uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

struct sha256_state {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  void block(const unsigned char* p) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) w[i] = uint32_t(p[4 * i]) << 24 | uint32_t(p[4 * i + 1]) << 16 | uint32_t(p[4 * i + 2]) << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
};
}  // namespace

std::string sha256_file(const std::string& path, std::string* why) {
  // O_NONBLOCK: a FIFO put in place of the file must not block the open.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return *why = std::string("cannot open it: ") + std::strerror(errno), "";
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return *why = "not a regular file", "";
  }
  if (static_cast<unsigned long long>(st.st_size) > kMaxHashedFileBytes) {
    ::close(fd);
    return *why = "it is " + std::to_string(st.st_size) + " bytes, more than the " +
                  std::to_string(kMaxHashedFileBytes >> 20) + " MiB the allowlist check reads",
           "";
  }
  FILE* f = ::fdopen(fd, "rb");
  if (!f) {
    ::close(fd);
    return *why = "cannot read it", "";
  }
  sha256_state s;
  unsigned char buf[64 * 1024];
  uint64_t total = 0;
  size_t n, partial = 0;
  unsigned char tail[128];
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    total += n;
    if (total > kMaxHashedFileBytes) break;  // it grew while being read
    size_t off = 0;
    if (partial) {
      size_t take = std::min(n, 64 - partial);
      std::copy(buf, buf + take, tail + partial);
      partial += take, off = take;
      if (partial == 64) s.block(tail), partial = 0;
    }
    for (; off + 64 <= n; off += 64) s.block(buf + off);
    std::copy(buf + off, buf + n, tail + partial);
    partial += n - off;
  }
  bool read_error = std::ferror(f);
  std::fclose(f);
  if (read_error) return *why = "read error", "";
  if (total > kMaxHashedFileBytes) return *why = "it grew past the size limit while being read", "";
  tail[partial++] = 0x80;
  if (partial > 56) {
    std::fill(tail + partial, tail + 64, 0);
    s.block(tail), partial = 0;
  }
  std::fill(tail + partial, tail + 56, 0);
  uint64_t bits = total * 8;
  for (int i = 0; i < 8; ++i) tail[56 + i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
  s.block(tail);
  char hex[65];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 8 * i, 9, "%08x", s.h[i]);
  return std::string(hex, 64);
}

}  // namespace bp::core
