// SHA-256 (FIPS 180-4): corpus file checksums, policy hashes, audit-log text digests.
#include "sangam/sha256.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace sangam {
namespace {

// The round constants and initial hash are the first 32 fractional bits of the cube roots of the
// first 64 primes and the square roots of the first 8 (FIPS 180-4 section 4.2.2 / 5.3.3); they
// are derived here rather than typed in, and the tests check the digests of the FIPS examples.
struct Sha256Constants {
  std::array<uint32_t, 64> k{};
  std::array<uint32_t, 8> h0{};
  Sha256Constants() {
    int found = 0;
    for (int p = 2; found < 64; ++p) {
      bool prime = true;
      for (int d = 2; d * d <= p; ++d) {
        if (p % d == 0) {
          prime = false;
          break;
        }
      }
      if (!prime) continue;
      const long double c = cbrtl(static_cast<long double>(p));
      k[found] = static_cast<uint32_t>((c - floorl(c)) * 4294967296.0L);
      if (found < 8) {
        const long double s = sqrtl(static_cast<long double>(p));
        h0[found] = static_cast<uint32_t>((s - floorl(s)) * 4294967296.0L);
      }
      ++found;
    }
  }
};

const Sha256Constants& Constants() {
  static const Sha256Constants c;
  return c;
}

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void Compress(std::array<uint32_t, 8>& h, const uint8_t* block, const std::array<uint32_t, 64>& k) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t(block[4 * i]) << 24) | (uint32_t(block[4 * i + 1]) << 16) | (uint32_t(block[4 * i + 2]) << 8) |
           uint32_t(block[4 * i + 3]);
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
    const uint32_t ch = (e & f) ^ (~e & g);
    const uint32_t t1 = hh + s1 + ch + k[i] + w[i];
    const uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
    const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = s0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  const Sha256Constants& c = Constants();
  std::array<uint32_t, 8> h = c.h0;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  size_t full = n / 64;
  for (size_t i = 0; i < full; ++i) Compress(h, p + 64 * i, c.k);
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
  uint8_t tail[128] = {};
  const size_t rem = n % 64;
  if (rem) std::memcpy(tail, p + 64 * full, rem);
  tail[rem] = 0x80;
  const size_t tail_len = rem + 9 <= 64 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t off = 0; off < tail_len; off += 64) Compress(h, tail + off, c.k);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint32_t v : h) {
    for (int s = 28; s >= 0; s -= 4) out += kHex[(v >> s) & 0xf];
  }
  return out;
}

}  // namespace sangam
