// GGML quantization block layouts (byte-exact, alignment 1) and small shared helpers.
#pragma once

#include <cstdint>
#include <cstring>

namespace sangam::tensor {

inline constexpr int kQK = 32;    // elements per Q4_0 / Q8_0 block
inline constexpr int kQKK = 256;  // elements per K-quant super-block

// All blocks are packed so they can be read from any byte address (GGUF data may be unaligned).
struct __attribute__((packed)) BlockQ4_0 {
  uint16_t d;       // f16 scale
  uint8_t qs[16];   // value j: (qs[j] & 15) - 8, value j+16: (qs[j] >> 4) - 8
};
struct __attribute__((packed)) BlockQ8_0 {
  uint16_t d;       // f16 scale
  int8_t qs[32];
};
struct __attribute__((packed)) BlockQ4_K {
  uint16_t d;           // f16 super-block scale for the 6-bit sub-block scales
  uint16_t dmin;        // f16 super-block scale for the 6-bit sub-block mins
  uint8_t scales[12];   // 8 scales + 8 mins, 6 bits each, packed (see ScaleMinK4)
  uint8_t qs[128];      // 4-bit quants: 64-value chunk c uses qs[32c..32c+31], low nibbles first
};
struct __attribute__((packed)) BlockQ6_K {
  uint8_t ql[128];      // low 4 bits
  uint8_t qh[64];       // high 2 bits
  int8_t scales[16];    // one per 16 values
  uint16_t d;           // f16 super-block scale
};
struct __attribute__((packed)) BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];    // sums of qs in groups of 16
};
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// GGML's nearest_int: round half to even via the 1.5*2^23 trick; valid for |f| <= 4194303.
inline int NearestInt(float f) {
  float v = f + 12582912.f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// Q4_K sub-block j (0..7): 6-bit scale and min from the 12 packed bytes.
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace sangam::tensor
