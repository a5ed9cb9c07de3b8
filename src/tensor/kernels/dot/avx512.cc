// AVX-512 tile kernels (16-lane float accumulators; VNNI vpdpbusd / vpdpwssd for int8 paths).
//
// Per output (row r, token t) there is exactly one accumulator; it sees the same sequence of
// vector operations whatever the micro-tile shape, and ends with the same horizontal reduction,
// so GEMV (one token) and GEMM results are bit-identical.
#include <immintrin.h>

#include <cstring>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/tile_driver.h"

// GCC 12 reports false "maybe-uninitialized" inside its own AVX-512 reduction intrinsics.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace sangam::tensor::kernels {
namespace {

inline float H2F(const void* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline __mmask16 TailMask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }

// ---- Float weights --------------------------------------------------------------------------

struct LoadF32 {
  static __m512 Full(const uint8_t* p, int64_t i) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(p) + i);
  }
  static __m512 Part(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(p) + i);
  }
};
struct LoadF16 {
  static __m512 Full(const uint8_t* p, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
  }
  static __m512 Part(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
  }
};
struct LoadBF16 {
  static __m512 Widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static __m512 Full(const uint8_t* p, int64_t i) {
    return Widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
  }
  static __m512 Part(const uint8_t* p, int64_t i, __mmask16 m) {
    return Widen(_mm256_maskz_loadu_epi16(m, p + 2 * i));
  }
};

template <class L>
struct FloatK {
  static constexpr int kR = 4, kT = 6;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
      __m512 wv[R];
      for (int r = 0; r < R; ++r) wv[r] = L::Full(w + r * ws, i);
      for (int t = 0; t < T; ++t) {
        const __m512 xv = LoadF32::Full(a + t * as, i);
        for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    if (i < k) {
      const __mmask16 m = TailMask(k - i);
      __m512 wv[R];
      for (int r = 0; r < R; ++r) wv[r] = L::Part(w + r * ws, i, m);
      for (int t = 0; t < T; ++t) {
        const __m512 xv = LoadF32::Part(a + t * as, i, m);
        for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
};

// ---- Q8_0 / Q4_0 weights x Q8_0 activations ---------------------------------------------------
// A step covers two 32-element blocks: lanes 0-7 of the int32 sums belong to the first block,
// lanes 8-15 to the second. A missing second block (odd block count) contributes zeros.

inline __m512i Join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
inline __m512 HalfBroadcast(float a, float b) {
  return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

// Activation quants of blocks b, b+1 (second zero when absent).
inline __m512i LoadActPair(const uint8_t* a, int64_t b, bool two) {
  const auto* blk = reinterpret_cast<const BlockQ8_0*>(a);
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
  const __m256i hi = two ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b + 1].qs))
                         : _mm256_setzero_si256();
  return Join(lo, hi);
}

struct Q8_0K {
  static constexpr int kR = 4, kT = 4;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQK;
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const float* dx[T];
    for (int t = 0; t < T; ++t) dx[t] = Q8ActScales(a + t * as, k);
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int64_t b = 0; b < nb; b += 2) {
      const bool two = b + 1 < nb;
      __m512i wq[R], bias[R];
      __m512 dw[R];
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ8_0*>(w + r * ws);
        wq[r] = LoadActPair(w + r * ws, b, two);
        // (q + 128) . w - 128 * sum(w) == q . w
        bias[r] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                   _mm512_dpbusd_epi32(_mm512_setzero_si512(), k80, wq[r]));
        dw[r] = HalfBroadcast(H2F(&blk[b].d), two ? H2F(&blk[b + 1].d) : 0.f);
      }
      for (int t = 0; t < T; ++t) {
        const __m512i au = _mm512_xor_si512(LoadActPair(a + t * as, b, two), k80);
        const __m512 dxv = HalfBroadcast(dx[t][b], two ? dx[t][b + 1] : 0.f);
        for (int r = 0; r < R; ++r) {
          const __m512i s = _mm512_dpbusd_epi32(bias[r], au, wq[r]);
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw[r], dxv), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
};

struct Q4_0K {
  static constexpr int kR = 4, kT = 4;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQK;
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const float* dx[T];
    const int32_t* sx[T];
    for (int t = 0; t < T; ++t) {
      dx[t] = Q8ActScales(a + t * as, k);
      sx[t] = Q8ActSums(a + t * as, k);
    }
    const __m256i k0f = _mm256_set1_epi8(0x0F);
    for (int64_t b = 0; b < nb; b += 2) {
      const bool two = b + 1 < nb;
      __m512i wq[R];
      __m512 dw[R];
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_0*>(w + r * ws);
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[b].qs));
        const __m128i q1 = two ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[b + 1].qs))
                               : _mm_set1_epi8(0x00);
        const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
        const __m256i lo = _mm256_and_si256(v, k0f);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), k0f);
        // [lo0 hi0 | lo1 hi1]: the 32 values of block b, then block b+1 (zeros if absent).
        wq[r] = _mm512_shuffle_i64x2(Join(lo, hi), Join(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
        dw[r] = HalfBroadcast(H2F(&blk[b].d), two ? H2F(&blk[b + 1].d) : 0.f);
      }
      for (int t = 0; t < T; ++t) {
        const __m512i as8 = LoadActPair(a + t * as, b, two);
        const __m512 dxv = HalfBroadcast(dx[t][b], two ? dx[t][b + 1] : 0.f);
        // sum((n - 8) q) = sum(n q) - 8 sum(q): seed lane 0 / lane 8 with -8 sum(q).
        const __m512i bias = _mm512_mask_set1_epi32(
            _mm512_maskz_set1_epi32(0x0001, -8 * sx[t][b]), 0x0100, two ? -8 * sx[t][b + 1] : 0);
        for (int r = 0; r < R; ++r) {
          const __m512i s = _mm512_dpbusd_epi32(bias, wq[r], as8);
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw[r], dxv), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
};

// ---- K-quants x Q8_K ----------------------------------------------------------------------------

// The 12 packed scale bytes -> 8 six-bit scales (bytes 0-7) and 8 mins (bytes 8-15), using
// 32-bit word operations on the GGML packing (see ScaleMinK4).
inline __m128i UnpackScalesMinsK4(const uint8_t* q) {
  uint32_t w[3];
  std::memcpy(w, q, 12);
  const uint32_t k3f = 0x3f3f3f3f, k0f = 0x0f0f0f0f, k03 = 0x03030303;
  const uint32_t sc_lo = w[0] & k3f;
  const uint32_t sc_hi = (w[2] & k0f) | (((w[0] >> 6) & k03) << 4);
  const uint32_t m_lo = w[1] & k3f;
  const uint32_t m_hi = ((w[2] >> 4) & k0f) | (((w[1] >> 6) & k03) << 4);
  return _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(m_lo),
                        static_cast<int>(m_hi));
}

struct Q4_KK {
  static constexpr int kR = 3, kT = 3;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQKK;
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const __m256i k0f = _mm256_set1_epi8(0x0F);
    // 16-bit lane i of step c takes scale 2c + i / 16; the mins vector takes min 8 + i / 2
    // (mins live in 16-bit lanes 8-15 of the unpacked vector).
    __m512i sidx[4];
    for (int c = 0; c < 4; ++c) {
      alignas(64) int16_t idx[32];
      for (int i = 0; i < 32; ++i) idx[i] = static_cast<int16_t>(2 * c + i / 16);
      sidx[c] = _mm512_load_si512(idx);
    }
    alignas(32) int16_t midx_a[16];
    for (int i = 0; i < 16; ++i) midx_a[i] = static_cast<int16_t>(8 + i / 2);
    const __m256i midx = _mm256_load_si256(reinterpret_cast<const __m256i*>(midx_a));
    for (int64_t b = 0; b < nb; ++b) {
      __m512i isum[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) isum[r][t] = _mm512_setzero_si512();
      __m256i sm16[R];  // 16-bit: scales in lanes 0-7, mins in lanes 8-15
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
        sm16[r] = _mm256_cvtepu8_epi16(UnpackScalesMinsK4(blk->scales));
      }
      for (int c = 0; c < 4; ++c) {
        __m512i wq[R], scv[R];
        for (int r = 0; r < R; ++r) {
          const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs + 32 * c));
          wq[r] = Join(_mm256_and_si256(v, k0f), _mm256_and_si256(_mm256_srli_epi16(v, 4), k0f));
          scv[r] = _mm512_permutexvar_epi16(sidx[c], _mm512_castsi256_si512(sm16[r]));
        }
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          const __m512i av = _mm512_loadu_si512(ab->qs + 64 * c);
          for (int r = 0; r < R; ++r) {
            isum[r][t] = _mm512_dpwssd_epi32(isum[r][t], _mm512_maddubs_epi16(wq[r], av), scv[r]);
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        const auto* blk = reinterpret_cast<const BlockQ4_K*>(w + r * ws) + b;
        const float d = H2F(&blk->d), dmin = H2F(&blk->dmin);
        const __m256i mv = _mm256_permutexvar_epi16(midx, sm16[r]);
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->bsums));
          const __m512i msum = _mm512_zextsi256_si512(_mm256_madd_epi16(mv, bs));
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r][t]), _mm512_set1_ps(d * ab->d), acc[r][t]);
          acc[r][t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_set1_ps(dmin * ab->d), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
};

struct Q6_KK {
  static constexpr int kR = 3, kT = 3;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQKK;
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const __m512i k0f = _mm512_set1_epi8(0x0F), k30 = _mm512_set1_epi8(0x30);
    // Per 16-bit lane shift counts for the high bits of the two 32-byte halves of a step.
    const __m512i sh_lo = Join(_mm256_set1_epi16(4), _mm256_set1_epi16(2));  // left shifts
    const __m512i sh_hi = Join(_mm256_set1_epi16(0), _mm256_set1_epi16(2));  // right shifts
    __m512i sidx[2][2];
    for (int h = 0; h < 2; ++h) {
      for (int s = 0; s < 2; ++s) {
        alignas(64) int16_t idx[32];
        for (int i = 0; i < 32; ++i) idx[i] = static_cast<int16_t>(8 * h + 4 * s + i / 8);
        sidx[h][s] = _mm512_load_si512(idx);
      }
    }
    for (int64_t b = 0; b < nb; ++b) {
      __m512i isum[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) isum[r][t] = _mm512_setzero_si512();
      for (int h = 0; h < 2; ++h) {
        __m512i wq[R][2], scv[R][2];
        for (int r = 0; r < R; ++r) {
          const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * ws) + b;
          const __m512i ql = _mm512_loadu_si512(blk->ql + 64 * h);
          const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qh + 32 * h));
          const __m512i qh2 = Join(qh, qh);
          wq[r][0] = _mm512_or_si512(_mm512_and_si512(ql, k0f),
                                     _mm512_and_si512(_mm512_sllv_epi16(qh2, sh_lo), k30));
          wq[r][1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), k0f),
                                     _mm512_and_si512(_mm512_srlv_epi16(qh2, sh_hi), k30));
          // 16-bit lane i of step (h, s) needs scale 8h + 4s + i / 8.
          const __m512i sc16 = _mm512_cvtepi8_epi16(
              _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales))));
          for (int s = 0; s < 2; ++s) scv[r][s] = _mm512_permutexvar_epi16(sidx[h][s], sc16);
        }
        for (int t = 0; t < T; ++t) {
          const auto* ab = reinterpret_cast<const BlockQ8_K*>(a + t * as) + b;
          for (int s = 0; s < 2; ++s) {
            const __m512i av = _mm512_loadu_si512(ab->qs + 128 * h + 64 * s);
            for (int r = 0; r < R; ++r) {
              isum[r][t] =
                  _mm512_dpwssd_epi32(isum[r][t], _mm512_maddubs_epi16(wq[r][s], av), scv[r][s]);
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
          // sum(sc (q - 32) a) = sum(sc q a) - 32 sum(sc * bsum)
          const __m256i corr = _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5);
          const __m512i s = _mm512_sub_epi32(isum[r][t], _mm512_zextsi256_si512(corr));
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(d * ab->d), acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
};

// ---- Activation quantizers (bit-identical to the reference) -----------------------------------

// roundf(): round half away from zero, exactly.
inline __m512 RoundAway(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
  const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 one = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN)),
      _mm512_castps_si512(_mm512_set1_ps(1.0f))));
  return _mm512_mask_add_ps(t, up, t, one);
}

void QuantActQ8_0Avx512(const float* x, uint8_t* dst, int64_t k) {
  const int64_t nb = k / kQK;
  auto* blk = reinterpret_cast<BlockQ8_0*>(dst);
  std::memset(dst + nb * 34, 0, Q8ActScalesOffset(k) - static_cast<size_t>(nb) * 34);
  auto* scales = reinterpret_cast<float*>(dst + Q8ActScalesOffset(k));
  auto* sums = reinterpret_cast<int32_t*>(dst + Q8ActScalesOffset(k) + static_cast<size_t>(nb) * 4);
  for (int64_t i = 0; i < nb; ++i) {
    const __m512 x0 = _mm512_loadu_ps(x + i * kQK), x1 = _mm512_loadu_ps(x + i * kQK + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    const uint16_t d16 = static_cast<uint16_t>(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(&blk[i].d, &d16, 2);
    const __m512 idv = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvttps_epi32(RoundAway(_mm512_mul_ps(x0, idv)));
    const __m512i q1 = _mm512_cvttps_epi32(RoundAway(_mm512_mul_ps(x1, idv)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk[i].qs), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk[i].qs + 16), _mm512_cvtepi32_epi8(q1));
    scales[i] = _cvtsh_ss(d16);
    sums[i] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
  }
}

void QuantActQ8_KAvx512(const float* x, uint8_t* dst, int64_t k) {
  const int64_t nb = k / kQKK;
  auto* blk = reinterpret_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    __m512 m = _mm512_setzero_ps();
    for (int j = 0; j < kQKK; j += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
    const float amax = _mm512_reduce_max_ps(m);
    if (!amax) {
      std::memset(&blk[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    // The reference keeps the sign of the first element reaching amax.
    float max = 0;
    const __m512 av = _mm512_set1_ps(amax);
    for (int j = 0; j < kQKK; j += 16) {
      const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + j)), av, _CMP_EQ_OQ);
      if (hit) {
        max = x[j + __builtin_ctz(hit)];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m512 is = _mm512_set1_ps(iscale);
    for (int j = 0; j < kQKK; j += 16) {
      __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(is, _mm512_loadu_ps(x + j)));
      q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(blk[i].qs + j), _mm512_cvtepi32_epi8(q));
      const int16_t s = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
      std::memcpy(&blk[i].bsums[j / 16], &s, 2);
    }
    const float d = 1 / iscale;
    std::memcpy(&blk[i].d, &d, 4);
  }
}

}  // namespace

void FillAvx512(KernelTable* t) {
  t->isa = Isa::kAvx512;
  t->tile[kWF32] = TileDriver<FloatK<LoadF32>>;
  t->tile[kWF16] = TileDriver<FloatK<LoadF16>>;
  t->tile[kWBF16] = TileDriver<FloatK<LoadBF16>>;
  t->tile[kWQ8_0] = TileDriver<Q8_0K>;
  t->tile[kWQ4_0] = TileDriver<Q4_0K>;
  t->tile[kWQ4_K] = TileDriver<Q4_KK>;
  t->tile[kWQ6_K] = TileDriver<Q6_KK>;
  t->quant_q8_0 = QuantActQ8_0Avx512;
  t->quant_q8_k = QuantActQ8_KAvx512;
}

}  // namespace sangam::tensor::kernels
