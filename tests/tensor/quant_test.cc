// Quantization formats: F16/BF16 conversions, hand-built GGML blocks, quantize->dequantize bounds.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "sangam/tensor.h"
#include "tensor/kernels/blocks.h"
#include "tensor/kernels/kernels.h"

namespace sangam::tensor {
namespace {

__attribute__((target("f16c"))) float HwF16ToF32(uint16_t h) { return _cvtsh_ss(h); }
__attribute__((target("f16c"))) uint16_t HwF32ToF16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}

bool SameFloat(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

TEST(F16Test, AllHalvesMatchF16cHardware) {
  if (!CpuHasIsa(Isa::kAvx2)) GTEST_SKIP() << "CPU lacks AVX2/F16C";
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours = F16ToF32(static_cast<uint16_t>(h));
    ASSERT_TRUE(SameFloat(ours, HwF16ToF32(static_cast<uint16_t>(h)))) << "half 0x" << std::hex << h;
    if (!std::isnan(ours)) {
      ASSERT_EQ(F32ToF16(ours), h) << "round trip of half 0x" << std::hex << h;
    }
  }
}

TEST(F16Test, RandomFloatsRoundLikeHardware) {
  if (!CpuHasIsa(Isa::kAvx2)) GTEST_SKIP() << "CPU lacks AVX2/F16C";
  std::mt19937 rng(1);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(F32ToF16(f), HwF32ToF16(f)) << "float bits 0x" << std::hex << bits;
  }
  // Exact halfway cases round to even, including into and out of the subnormal range.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const double mid = (static_cast<double>(F16ToF32(static_cast<uint16_t>(h))) +
                        F16ToF32(static_cast<uint16_t>(h + 1))) / 2;
    const float f = static_cast<float>(mid);
    if (static_cast<double>(f) != mid) continue;
    ASSERT_EQ(F32ToF16(f), HwF32ToF16(f)) << "midpoint above half 0x" << std::hex << h;
  }
}

TEST(BF16Test, ConversionsRoundToNearestEven) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = BF16ToF32(static_cast<uint16_t>(h));
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    ASSERT_EQ(bits, h << 16);
    if (!std::isnan(f)) {
      ASSERT_EQ(F32ToBF16(f), h);
    }
  }
  std::mt19937 rng(2);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    const uint16_t b = F32ToBF16(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(BF16ToF32(b)));
      continue;
    }
    // The result is the nearer of the two bfloat16 neighbours; ties go to the even one.
    const uint16_t lo = static_cast<uint16_t>(bits >> 16);
    const uint32_t rem = bits & 0xffff;
    uint16_t expect = lo;
    if (rem > 0x8000 || (rem == 0x8000 && (lo & 1))) expect = static_cast<uint16_t>(lo + 1);
    ASSERT_EQ(b, expect) << std::hex << bits;
  }
}

TEST(TraitsTest, BlockSizesAndNames) {
  EXPECT_EQ(RowBytes(DType::kQ4_0, 64), 36u);
  EXPECT_EQ(RowBytes(DType::kQ8_0, 64), 68u);
  EXPECT_EQ(RowBytes(DType::kQ4_K, 512), 288u);
  EXPECT_EQ(RowBytes(DType::kQ6_K, 256), 210u);
  EXPECT_EQ(RowBytes(DType::kQ8_K, 256), 292u);
  EXPECT_EQ(RowBytes(DType::kF16, 10), 20u);
  EXPECT_EQ(std::string(Traits(DType::kQ6_K).name), "Q6_K");
  EXPECT_TRUE(ParseDType("q4_k").ok());
  EXPECT_FALSE(ParseDType("q5_k").ok());
}

// ---- Hand-built blocks: bytes written out here, values computed from the GGML layout by hand.

TEST(DequantTest, HandBuiltQ4_0) {
  uint8_t b[18];
  b[0] = 0x00;  // d = f16 0x3800 = 0.5 (little endian)
  b[1] = 0x38;
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  DequantizeRow(DType::kQ4_0, b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (15 - j - 8) * 0.5f);
  }
}

TEST(DequantTest, HandBuiltQ8_0) {
  uint8_t b[34];
  b[0] = 0x00;  // d = f16 0xC000 = -2
  b[1] = 0xC0;
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
  float y[32];
  DequantizeRow(DType::kQ8_0, b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], -2.0f * (j * 8 - 128));
}

TEST(DequantTest, HandBuiltQ4_K) {
  uint8_t b[144] = {};
  b[0] = 0x00;  // d = 1.0 (0x3C00)
  b[1] = 0x3C;
  b[2] = 0x00;  // dmin = 0.5 (0x3800)
  b[3] = 0x38;
  // Sub-block scales sc[j] and mins m[j] (6 bits). Packing (12 bytes):
  //  bytes 0..3 : sc[0..3] low 6 bits, top 2 bits = sc[4..7] >> 4
  //  bytes 4..7 : m[0..3]  low 6 bits, top 2 bits = m[4..7] >> 4
  //  bytes 8..11: low nibble sc[4..7] & 15, high nibble m[4..7] & 15
  const int sc[8] = {1, 2, 3, 63, 17, 33, 48, 5};
  const int m[8] = {0, 7, 63, 1, 20, 40, 9, 62};
  uint8_t* s = b + 4;
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
  uint8_t* qs = b + 16;
  for (int i = 0; i < 128; ++i) qs[i] = static_cast<uint8_t>((i * 7) & 0xFF);
  float y[256];
  DequantizeRow(DType::kQ4_K, b, y, 256);
  for (int v = 0; v < 256; ++v) {
    const int chunk = v / 64, within = v % 64, sub = v / 32;
    const uint8_t byte = qs[chunk * 32 + within % 32];
    const int q = within < 32 ? (byte & 15) : (byte >> 4);
    EXPECT_EQ(y[v], 1.0f * sc[sub] * q - 0.5f * m[sub]) << v;
  }
}

TEST(DequantTest, HandBuiltQ6_K) {
  uint8_t b[210] = {};
  uint8_t* ql = b;
  uint8_t* qh = b + 128;
  int8_t* scales = reinterpret_cast<int8_t*>(b + 192);
  b[208] = 0x00;  // d = 0.25 (0x3400)
  b[209] = 0x34;
  // Choose the 6-bit value of element v as (v * 5 + 3) % 64, then pack per GGML layout:
  // half h = v/128, l = v%32, group g = (v%128)/32: low nibble in ql[64h + l + 32*(g&1)]
  // (low half for g<2, high half for g>=2), high 2 bits in qh[32h + l] at bits 2g.
  int val[256];
  for (int v = 0; v < 256; ++v) {
    val[v] = (v * 5 + 3) % 64;
    const int h = v / 128, g = (v % 128) / 32, l = v % 32;
    uint8_t& lo = ql[64 * h + l + 32 * (g & 1)];
    lo = static_cast<uint8_t>(lo | ((val[v] & 15) << (g >= 2 ? 4 : 0)));
    qh[32 * h + l] = static_cast<uint8_t>(qh[32 * h + l] | ((val[v] >> 4) << (2 * g)));
  }
  for (int j = 0; j < 16; ++j) scales[j] = static_cast<int8_t>(j * 9 - 70);
  float y[256];
  DequantizeRow(DType::kQ6_K, b, y, 256);
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(y[v], 0.25f * scales[v / 16] * (val[v] - 32)) << v;
  }
}

std::vector<float> Gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = nd(rng);
  return v;
}

// Q8_0: q = round(x/d) with d = amax/127, stored d16 = f16(d): |x - q*d16| <= d/2 + 127|d - d16|.
TEST(QuantTest, Q8_0ErrorWithinHalfStep) {
  const int64_t n = 32 * 64;
  auto x = Gaussian(n, 3);
  x[5] = 0;  // a zero block would be all-zero; mix a few exact values in
  std::vector<uint8_t> q(RowBytes(DType::kQ8_0, n));
  std::vector<float> y(n);
  QuantizeRow(DType::kQ8_0, x.data(), q.data(), n);
  DequantizeRow(DType::kQ8_0, q.data(), y.data(), n);
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float d = amax / 127, d16 = F16ToF32(F32ToF16(d));
    for (int j = 0; j < 32; ++j) {
      const int64_t i = b * 32 + j;
      EXPECT_LE(std::fabs(x[i] - y[i]), d / 2 + 127 * std::fabs(d - d16) + 1e-7f) << i;
    }
  }
}

// Q4_0: d = max/-8 (max = the signed value of largest magnitude); grid -8..7 steps of |d|:
// |err| <= |d|/2 except values clamped at index 15 (x/d > 7.5), where |err| <= |d|.
TEST(QuantTest, Q4_0ErrorWithinHalfStep) {
  const int64_t n = 32 * 64;
  auto x = Gaussian(n, 4);
  std::vector<uint8_t> q(RowBytes(DType::kQ4_0, n));
  std::vector<float> y(n);
  QuantizeRow(DType::kQ4_0, x.data(), q.data(), n);
  DequantizeRow(DType::kQ4_0, q.data(), y.data(), n);
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[b * 32 + j]) > amax) {
        amax = std::fabs(x[b * 32 + j]);
        max = x[b * 32 + j];
      }
    }
    const float d = max / -8, d16 = F16ToF32(F32ToF16(d));
    for (int j = 0; j < 32; ++j) {
      const int64_t i = b * 32 + j;
      const bool clamped = x[i] / d > 7.5f;
      const float bound = (clamped ? std::fabs(d) : std::fabs(d) / 2) + 8 * std::fabs(d - d16) + 1e-6f;
      EXPECT_LE(std::fabs(x[i] - y[i]), bound) << i;
    }
  }
}

double RelRms(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0, s = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    e += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
    s += x[i] * static_cast<double>(x[i]);
  }
  return std::sqrt(e / s);
}

// K-quants: RMS bound relative to the data's RMS on Gaussian data. A uniform grid with step s has
// RMS error s/sqrt(12). Q4_K: 15 steps over a 32-value sub-block's range (~4.1 sigma) gives
// ~0.08; we allow 0.12 for scale/min quantization. Q6_K: 63 steps over ~2*2.2 sigma (16 values)
// gives ~0.02; we allow 0.035. Q8_K: 254 steps over 2*max of 256 values: ~0.005; allow 0.01.
TEST(QuantTest, KQuantRmsBounds) {
  struct Case {
    DType t;
    double bound;
  } cases[] = {{DType::kQ4_K, 0.12}, {DType::kQ6_K, 0.035}, {DType::kQ8_K, 0.01}};
  for (const auto& c : cases) {
    const int64_t n = 256 * 32;
    auto x = Gaussian(n, 5, 0.02f);
    std::vector<uint8_t> q(RowBytes(c.t, n));
    std::vector<float> y(n);
    QuantizeRow(c.t, x.data(), q.data(), n);
    DequantizeRow(c.t, q.data(), y.data(), n);
    const double rms = RelRms(x, y);
    EXPECT_LT(rms, c.bound) << Traits(c.t).name;
    EXPECT_GT(rms, 0.0) << Traits(c.t).name;
  }
}

// Q4_K handles asymmetric data through the per-sub-block min: all-positive data still fits.
TEST(QuantTest, Q4_KAsymmetricAndZero) {
  const int64_t n = 512;
  std::vector<float> x(n);
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> u(1.0f, 2.0f);
  for (auto& v : x) v = u(rng);
  std::vector<uint8_t> q(RowBytes(DType::kQ4_K, n));
  std::vector<float> y(n);
  QuantizeRow(DType::kQ4_K, x.data(), q.data(), n);
  DequantizeRow(DType::kQ4_K, q.data(), y.data(), n);
  EXPECT_LT(RelRms(x, y), 0.05);
  std::vector<float> z(n, 0.f);
  for (DType t : {DType::kQ4_K, DType::kQ6_K, DType::kQ8_K, DType::kQ4_0, DType::kQ8_0}) {
    std::vector<uint8_t> qz(RowBytes(t, n), 0xAB);
    QuantizeRow(t, z.data(), qz.data(), n);
    DequantizeRow(t, qz.data(), y.data(), n);
    for (float v : y) ASSERT_EQ(v, 0.f) << Traits(t).name;
  }
}

// Q8_K: block sums equal the sums of the quants; d * q reconstructs within d/2.
TEST(QuantTest, Q8_KBlockSums) {
  const int64_t n = 512;
  auto x = Gaussian(n, 7);
  std::vector<BlockQ8_K> b(2);
  QuantizeRow(DType::kQ8_K, x.data(), b.data(), n);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b[i].qs[16 * j + l];
      EXPECT_EQ(s, b[i].bsums[j]);
    }
    for (int l = 0; l < 256; ++l) {
      EXPECT_LE(std::fabs(x[i * 256 + l] - b[i].d * b[i].qs[l]), std::fabs(b[i].d) / 2 * 1.0001f);
    }
  }
}

// GGML's Q6_K reference is deterministic and idempotent on its own grid: re-quantizing the
// dequantized values reproduces the same quants' values.
TEST(QuantTest, QuantizeDequantizeIsStableOnGrid) {
  for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ6_K}) {
    const int64_t n = 1024;
    auto x = Gaussian(n, 8);
    std::vector<uint8_t> q(RowBytes(t, n)), q2(RowBytes(t, n));
    std::vector<float> y(n), y2(n);
    QuantizeRow(t, x.data(), q.data(), n);
    DequantizeRow(t, q.data(), y.data(), n);
    QuantizeRow(t, y.data(), q2.data(), n);
    DequantizeRow(t, q2.data(), y2.data(), n);
    EXPECT_LT(RelRms(y, y2), 1e-2) << Traits(t).name;
  }
}

// Every ISA's activation quantizer is bit-identical to the reference quantizer.
TEST(QuantTest, SimdActivationQuantizersMatchReference) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!CpuHasIsa(isa)) continue;
    const auto& kt = kernels::TableFor(isa);
    for (int64_t k : {256, 1024, 2816}) {
      auto x = Gaussian(k, static_cast<uint32_t>(k));
      x[3] = 0.5f;  // exact halfway cases after scaling are likely somewhere; include zeros too
      x[7] = 0.f;
      for (int variant = 0; variant < 2; ++variant) {
        const auto kind = variant == 0 ? kernels::kWQ8_0 : kernels::kWQ4_K;
        const size_t bytes = kernels::ActRowBytes(kind, k);
        std::vector<uint8_t> a(bytes, 0x11), b(bytes, 0x22);
        if (variant == 0) {
          kernels::QuantActQ8_0Ref(x.data(), a.data(), k);
          kt.quant_q8_0(x.data(), b.data(), k);
        } else {
          kernels::QuantActQ8_KRef(x.data(), a.data(), k);
          kt.quant_q8_k(x.data(), b.data(), k);
        }
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), bytes)) << IsaName(isa) << " k=" << k;
      }
    }
  }
}

}  // namespace
}  // namespace sangam::tensor
