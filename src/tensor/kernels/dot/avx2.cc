// AVX2+FMA tile kernels (8-lane float accumulators; vpmaddubsw/vpmaddwd for int8 paths).
//
// Same contract as the AVX-512 kernels: one accumulator per output, the same operation sequence
// for every micro-tile shape, a fixed final reduction, so GEMV and GEMM agree bit for bit.
// Activations are quantized by the reference quantizers (the table keeps those entries).
#include <immintrin.h>

#include <cstring>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/tile_driver.h"

namespace sangam::tensor::kernels {
namespace {

inline float H2F(const void* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline float HSum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// ---- Float weights --------------------------------------------------------------------------

struct LoadF32 {
  static __m256 Full(const uint8_t* p, int64_t i) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(p) + i);
  }
  static float One(const uint8_t* p, int64_t i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
};
struct LoadF16 {
  static __m256 Full(const uint8_t* p, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i)));
  }
  static float One(const uint8_t* p, int64_t i) { return H2F(p + 2 * i); }
};
struct LoadBF16 {
  static __m256 Full(const uint8_t* p, int64_t i) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float One(const uint8_t* p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    const uint32_t b = static_cast<uint32_t>(h) << 16;
    float v;
    std::memcpy(&v, &b, 4);
    return v;
  }
};

template <class L>
struct FloatK {
  static constexpr int kR = 4, kT = 3, kGemvRows = 0;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
      __m256 wv[R];
      for (int r = 0; r < R; ++r) wv[r] = L::Full(w + r * ws, i);
      for (int t = 0; t < T; ++t) {
        const __m256 xv = LoadF32::Full(a + t * as, i);
        for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    if (i < k) {  // tail: zero-padded copies, one more vector step
      alignas(32) float wb[R][8] = {}, xb[T][8] = {};
      for (int64_t j = i; j < k; ++j) {
        for (int r = 0; r < R; ++r) wb[r][j - i] = L::One(w + r * ws, j);
        for (int t = 0; t < T; ++t) xb[t][j - i] = LoadF32::One(a + t * as, j);
      }
      for (int t = 0; t < T; ++t) {
        const __m256 xv = _mm256_load_ps(xb[t]);
        for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(_mm256_load_ps(wb[r]), xv, acc[r][t]);
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = HSum(acc[r][t]);
  }
};

// ---- Q8_0 / Q4_0 weights x Q8_0 activations (one 32-element block per step) -------------------

struct Q8_0K {
  static constexpr int kR = 4, kT = 3, kGemvRows = 0;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQK;
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    const float* dx[T];
    for (int t = 0; t < T; ++t) dx[t] = Q8ActScales(a + t * as, k);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < nb; ++b) {
      __m256i wq[R], wabs[R];
      float dw[R];
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ8_0*>(w + r * ws) + b;
        wq[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs));
        wabs[r] = _mm256_sign_epi8(wq[r], wq[r]);
        dw[r] = H2F(&blk->d);
      }
      for (int t = 0; t < T; ++t) {
        const auto* ab = reinterpret_cast<const BlockQ8_0*>(a + t * as) + b;
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->qs));
        for (int r = 0; r < R; ++r) {
          // |w| * (a * sign(w)) == w * a; pairs fit int16 (2 * 127 * 127).
          const __m256i p = _mm256_maddubs_epi16(wabs[r], _mm256_sign_epi8(av, wq[r]));
          const __m256i s = _mm256_madd_epi16(p, ones);
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw[r] * dx[t][b]), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = HSum(acc[r][t]);
  }
};

struct Q4_0K {
  static constexpr int kR = 4, kT = 3, kGemvRows = 0;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQK;
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    const float* dx[T];
    const int32_t* sx[T];
    for (int t = 0; t < T; ++t) {
      dx[t] = Q8ActScales(a + t * as, k);
      sx[t] = Q8ActSums(a + t * as, k);
    }
    const __m256i ones = _mm256_set1_epi16(1);
    const __m128i k0f = _mm_set1_epi8(0x0F);
    for (int64_t b = 0; b < nb; ++b) {
      __m256i wq[R];
      float dw[R];
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_0*>(w + r * ws) + b;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->qs));
        wq[r] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), k0f), _mm_and_si128(v, k0f));
        dw[r] = H2F(&blk->d);
      }
      for (int t = 0; t < T; ++t) {
        const auto* ab = reinterpret_cast<const BlockQ8_0*>(a + t * as) + b;
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->qs));
        const __m256i bias = _mm256_setr_epi32(-8 * sx[t][b], 0, 0, 0, 0, 0, 0, 0);
        for (int r = 0; r < R; ++r) {
          const __m256i s = _mm256_add_epi32(
              _mm256_madd_epi16(_mm256_maddubs_epi16(wq[r], av), ones), bias);
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw[r] * dx[t][b]), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = HSum(acc[r][t]);
  }
};

// ---- K-quants x Q8_K ----------------------------------------------------------------------------

struct Q4_KK {
  static constexpr int kR = 2, kT = 3, kGemvRows = 0;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQKK;
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    const __m256i k0f = _mm256_set1_epi8(0x0F);
    for (int64_t b = 0; b < nb; ++b) {
      __m256i isum[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) isum[r][t] = _mm256_setzero_si256();
      uint8_t sc[R][8], mn[R][8];
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
        for (int j = 0; j < 8; ++j) ScaleMinK4(j, blk->scales, &sc[r][j], &mn[r][j]);
      }
      for (int c = 0; c < 4; ++c) {
        __m256i wlo[R], whi[R];
        for (int r = 0; r < R; ++r) {
          const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs + 32 * c));
          wlo[r] = _mm256_and_si256(v, k0f);
          whi[r] = _mm256_and_si256(_mm256_srli_epi16(v, 4), k0f);
        }
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          const __m256i alo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->qs + 64 * c));
          const __m256i ahi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->qs + 64 * c + 32));
          for (int r = 0; r < R; ++r) {
            const __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(wlo[r], alo),
                                                  _mm256_set1_epi16(sc[r][2 * c]));
            const __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(whi[r], ahi),
                                                  _mm256_set1_epi16(sc[r][2 * c + 1]));
            isum[r][t] = _mm256_add_epi32(isum[r][t], _mm256_add_epi32(plo, phi));
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
        const float d = H2F(&blk->d), dmin = H2F(&blk->dmin);
        alignas(32) int16_t m16[16];
        for (int i = 0; i < 16; ++i) m16[i] = mn[r][i / 2];
        const __m256i mv = _mm256_load_si256(reinterpret_cast<const __m256i*>(m16));
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->bsums));
          const __m256i msum = _mm256_madd_epi16(mv, bs);
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r][t]), _mm256_set1_ps(d * ab->d), acc[r][t]);
          acc[r][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * ab->d), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = HSum(acc[r][t]);
  }
};

struct Q6_KK {
  static constexpr int kR = 2, kT = 3, kGemvRows = 0;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQKK;
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    const __m256i k0f = _mm256_set1_epi8(0x0F), k30 = _mm256_set1_epi8(0x30);
    for (int64_t b = 0; b < nb; ++b) {
      __m256i isum[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) isum[r][t] = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h) {
        // Four 32-value groups g: value 128h + 32g + l.
        __m256i wq[R][4];
        for (int r = 0; r < R; ++r) {
          const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * ws) + b;
          const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h));
          const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h + 32));
          const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qh + 32 * h));
          wq[r][0] = _mm256_or_si256(_mm256_and_si256(ql0, k0f), _mm256_and_si256(_mm256_slli_epi16(qh, 4), k30));
          wq[r][1] = _mm256_or_si256(_mm256_and_si256(ql1, k0f), _mm256_and_si256(_mm256_slli_epi16(qh, 2), k30));
          wq[r][2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), k0f), _mm256_and_si256(qh, k30));
          wq[r][3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), k0f),
                                     _mm256_and_si256(_mm256_srli_epi16(qh, 2), k30));
        }
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          for (int g = 0; g < 4; ++g) {
            const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->qs + 128 * h + 32 * g));
            for (int r = 0; r < R; ++r) {
              const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * ws) + b;
              const int8_t* scp = blk->scales + 8 * h + 2 * g;
              const __m256i scv = _mm256_set_m128i(_mm_set1_epi16(scp[1]), _mm_set1_epi16(scp[0]));
              isum[r][t] = _mm256_add_epi32(
                  isum[r][t], _mm256_madd_epi16(_mm256_maddubs_epi16(wq[r][g], av), scv));
            }
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * ws) + b;
        const float d = H2F(&blk->d);
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales)));
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->bsums));
          const __m256i corr = _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5);
          const __m256i s = _mm256_sub_epi32(isum[r][t], corr);
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * ab->d), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = HSum(acc[r][t]);
  }
};

}  // namespace

void FillAvx2(KernelTable* t) {
  t->isa = Isa::kAvx2;
  t->tile[kWF32] = TileDriver<FloatK<LoadF32>>;
  t->tile[kWF16] = TileDriver<FloatK<LoadF16>>;
  t->tile[kWBF16] = TileDriver<FloatK<LoadBF16>>;
  t->tile[kWQ8_0] = TileDriver<Q8_0K>;
  t->tile[kWQ4_0] = TileDriver<Q4_0K>;
  t->tile[kWQ4_K] = TileDriver<Q4_KK>;
  t->tile[kWQ6_K] = TileDriver<Q6_KK>;
}

}  // namespace sangam::tensor::kernels
