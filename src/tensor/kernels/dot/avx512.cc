// AVX-512 tile kernels (16-lane float accumulators; VNNI vpdpbusd / vpdpwssd for int8 paths).
//
// Per output (row r, token t) there is exactly one accumulator; it sees the same sequence of
// vector operations whatever the micro-tile shape, and ends with the same horizontal reduction,
// so GEMV (one token) and GEMM results are bit-identical.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

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
  static constexpr int64_t kBytes = 4;
  static __m512 Full(const uint8_t* p, int64_t i) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(p) + i);
  }
  static __m512 Part(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(p) + i);
  }
};
struct LoadF16 {
  static constexpr int64_t kBytes = 2;
  static __m512 Full(const uint8_t* p, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
  }
  static __m512 Part(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
  }
};
struct LoadBF16 {
  static constexpr int64_t kBytes = 2;
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

// One accumulator per output, k-steps of 16 in order, one final reduction.
template <class L>
struct FloatK {
  // GEMV: F32 rows are 4 KiB pages, best streamed four at a time; F16/BF16 one row at a time
  // (measured on Zen 4).
  static constexpr int kR = 4, kT = 6, kGemvRows = L::kBytes == 4 ? 4 : 1;
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

// ---- Q8_0 / Q4_0 weights x Q8_0 activations: 16 blocks across the 16 lanes ----------------
// Per output and group g of 16 blocks, int32 lane i holds the exact integer dot product of block
// 16g + i: vpdpbusd of the weights as unsigned bytes (Q4_0 nibble n = q + 8, Q8_0 byte q + 128)
// with the signed activation quants (interleaved layout, see kernels.h), minus offset * sum(a).
// Then acc = fma(float(isum), dw * dx, acc) for all 16 blocks at once, and one final reduction.
// The integer sums are exact, so the GEMV path (weights gathered straight into registers) and the
// GEMM path (weights packed once per row panel, reused for all tokens) are bit-identical.

inline __m512i Join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

constexpr size_t kPackedGroupBytes = 576;  // 8 x 64 bytes of weights, 16 float scales

template <bool kQ4>
struct Q8Lanes {
  static constexpr int kBlockBytes = kQ4 ? 18 : 34;
  static constexpr int kShift = kQ4 ? 3 : 7;  // log2 of the weight offset (8 or 128)
  static constexpr int kR = 4, kT = 3;        // packed micro-tile

  // Four 128-bit lanes <- 16 bytes at base + off of blocks 4j .. 4j + 3.
  static inline __m512i Load4(const uint8_t* base, int j, int off) {
    const auto* p0 = base + kBlockBytes * 4 * j + off;
    __m512i q = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p0)));
    q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + kBlockBytes)), 1);
    q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + 2 * kBlockBytes)), 2);
    q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + 3 * kBlockBytes)), 3);
    return q;
  }
  // In-lane 4x4 dword transpose: x[v] lane 4L + j = dword v of q[j] lane L.
  static inline void Transpose4(const __m512i* q, __m512i* x) {
    const __m512i t0 = _mm512_unpacklo_epi32(q[0], q[1]), t1 = _mm512_unpackhi_epi32(q[0], q[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(q[2], q[3]), t3 = _mm512_unpackhi_epi32(q[2], q[3]);
    x[0] = _mm512_unpacklo_epi64(t0, t2);
    x[1] = _mm512_unpackhi_epi64(t0, t2);
    x[2] = _mm512_unpacklo_epi64(t1, t3);
    x[3] = _mm512_unpackhi_epi64(t1, t3);
  }
  // The 16 f16 block scales of a full group in 16-bit lanes 0-15 (lane l: block
  // Q8LaneOfBlock(l)): each 128-byte window [o, o + 128) holds the scales of kPer consecutive
  // blocks as whole words; one vpermt2w per window, then masked merges.
  static inline __m512i Scales(const uint8_t* base) {
    constexpr int kPer = kQ4 ? 8 : 4;  // blocks whose scale lies in one 128-byte window
    __m512i out = _mm512_setzero_si512();
    for (int w0 = 0; w0 < 16; w0 += kPer) {
      const uint8_t* p = base + kBlockBytes * w0;
      const __m512i lo = _mm512_loadu_si512(p), hi = _mm512_loadu_si512(p + 64);
      alignas(64) int16_t idx[32] = {};
      __mmask32 m = 0;
      for (int l = 0; l < 16; ++l) {
        const int b = Q8LaneOfBlock(l);
        if (b >= w0 && b < w0 + kPer) {
          idx[l] = static_cast<int16_t>((b - w0) * kBlockBytes / 2);
          m |= __mmask32{1} << l;
        }
      }
      out = _mm512_mask_mov_epi16(out, m, _mm512_permutex2var_epi16(lo, _mm512_load_si512(idx), hi));
    }
    return out;
  }
  // One full group of 16 blocks at `base` -> 8 vectors of unsigned weight bytes and 16 scales,
  // lane l holding block Q8LaneOfBlock(l) (see kernels.h).
  static inline void LoadFullGroup(const uint8_t* base, __m512i* wq, __m512* dw) {
    *dw = _mm512_cvtph_ps(_mm512_castsi512_si256(Scales(base)));
    __m512i q[4], x[4];
    for (int j = 0; j < 4; ++j) q[j] = Load4(base, j, 2);
    Transpose4(q, x);
    if constexpr (kQ4) {
      const __m512i k0f = _mm512_set1_epi8(0x0F);
      for (int v = 0; v < 4; ++v) {
        wq[v] = _mm512_and_si512(x[v], k0f);
        wq[v + 4] = _mm512_and_si512(_mm512_srli_epi32(x[v], 4), k0f);
      }
    } else {
      const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
      for (int v = 0; v < 4; ++v) wq[v] = _mm512_xor_si512(x[v], k80);
      for (int j = 0; j < 4; ++j) q[j] = Load4(base, j, 18);
      Transpose4(q, x);
      for (int v = 0; v < 4; ++v) wq[v + 4] = _mm512_xor_si512(x[v], k80);
    }
  }
  // Row's group g (blocks past nb read as zero blocks: zero scale).
  static inline void LoadGroup(const uint8_t* row, int64_t g, int64_t nb, __m512i* wq, __m512* dw) {
    const int64_t left = nb - 16 * g;
    const uint8_t* base = row + g * 16 * kBlockBytes;
    if (left >= 16) {
      LoadFullGroup(base, wq, dw);
      return;
    }
    alignas(64) uint8_t tmp[16 * kBlockBytes] = {};
    std::memcpy(tmp, base, static_cast<size_t>(left) * kBlockBytes);
    LoadFullGroup(tmp, wq, dw);
  }
  // The per-group float step shared by both paths (ag: the token's interleaved group).
  static inline __m512 Finish(__m512i isum, const uint8_t* ag, __m512 dw, __m512 acc) {
    const __m512i sa = _mm512_load_si512(ag + 576);
    const __m512i s = _mm512_sub_epi32(isum, _mm512_slli_epi32(sa, kShift));
    const __m512 dx = _mm512_load_ps(reinterpret_cast<const float*>(ag + 512));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, dx), acc);
  }

  // GEMV path: one row at a time, weights gathered into registers, T <= 3 tokens.
  template <int T>
  static void Direct(const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* a, size_t as,
                     int64_t k, float* y, int64_t ys) {
    const int64_t nb = k / kQK, ng = Q8GroupCount(k);
    const uint8_t* ag0[T];
    for (int t = 0; t < T; ++t) ag0[t] = Q8ActGroups(a + t * as, k);
    for (int64_t r = 0; r < n_rows; ++r) {
      const uint8_t* row = w + r * ws;
      __m512 acc[T];
      for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
      for (int64_t g = 0; g < ng; ++g) {
        // Prefetch two groups ahead (past the row end: the next row).
        const char* pf = reinterpret_cast<const char*>(row + (g + 2) * 16 * kBlockBytes);
        for (int o = 0; o < 16 * kBlockBytes; o += 64) _mm_prefetch(pf + o, _MM_HINT_T0);
        __m512i wq[8];
        __m512 dw;
        LoadGroup(row, g, nb, wq, &dw);
        for (int t = 0; t < T; ++t) {
          const uint8_t* ag = ag0[t] + g * kQ8GroupBytes;
          __m512i isum = _mm512_setzero_si512();
          for (int v = 0; v < 8; ++v) {
            isum = _mm512_dpbusd_epi32(isum, wq[v], _mm512_load_si512(ag + 64 * v));
          }
          acc[t] = Finish(isum, ag, dw, acc[t]);
        }
      }
      for (int t = 0; t < T; ++t) y[t * ys + r] = _mm512_reduce_add_ps(acc[t]);
    }
  }

  // GEMM micro-tile over packed weights: w = R packed rows (ws bytes apart), T tokens.
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t ng = Q8GroupCount(k);
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const uint8_t* ag0[T];
    for (int t = 0; t < T; ++t) ag0[t] = Q8ActGroups(a + t * as, k);
    for (int64_t g = 0; g < ng; ++g) {
      __m512i isum[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) isum[r][t] = _mm512_setzero_si512();
      const uint8_t* pg = w + g * kPackedGroupBytes;
      for (int v = 0; v < 8; ++v) {
        __m512i av[T];
        for (int t = 0; t < T; ++t) av[t] = _mm512_load_si512(ag0[t] + g * kQ8GroupBytes + 64 * v);
        for (int r = 0; r < R; ++r) {
          const __m512i wv = _mm512_load_si512(pg + r * ws + 64 * v);
          for (int t = 0; t < T; ++t) isum[r][t] = _mm512_dpbusd_epi32(isum[r][t], wv, av[t]);
        }
      }
      for (int r = 0; r < R; ++r) {
        const __m512 dw = _mm512_load_ps(reinterpret_cast<const float*>(pg + r * ws + 512));
        for (int t = 0; t < T; ++t) {
          acc[r][t] = Finish(isum[r][t], ag0[t] + g * kQ8GroupBytes, dw, acc[r][t]);
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < R; ++r) y[t * ys + r] = _mm512_reduce_add_ps(acc[r][t]);
  }

  static void Tile(const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* a, size_t as,
                   int64_t n_tok, int64_t k, float* y, int64_t ys) {
    if (n_rows <= 0 || n_tok <= 0) return;
    if (n_tok <= 3) {
      if (n_tok == 1) Direct<1>(w, ws, n_rows, a, as, k, y, ys);
      if (n_tok == 2) Direct<2>(w, ws, n_rows, a, as, k, y, ys);
      if (n_tok == 3) Direct<3>(w, ws, n_rows, a, as, k, y, ys);
      return;
    }
    static constexpr auto kTable = MakeMicroTable<Q8Lanes>(std::make_index_sequence<kR * kT>());
    const int64_t nb = k / kQK, ng = Q8GroupCount(k);
    const size_t prow = static_cast<size_t>(ng) * kPackedGroupBytes;
    thread_local std::vector<uint8_t> buf;
    if (buf.size() < prow * kR + 64) buf.resize(prow * kR + 64);
    uint8_t* pk = buf.data() + ((64 - reinterpret_cast<uintptr_t>(buf.data()) % 64) % 64);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kR) {
      const int rn = static_cast<int>(std::min<int64_t>(kR, n_rows - r0));
      for (int r = 0; r < rn; ++r) {
        for (int64_t g = 0; g < ng; ++g) {
          __m512i wq[8];
          __m512 dw;
          LoadGroup(w + (r0 + r) * ws, g, nb, wq, &dw);
          uint8_t* dst = pk + r * prow + g * kPackedGroupBytes;
          for (int v = 0; v < 8; ++v) _mm512_store_si512(dst + 64 * v, wq[v]);
          _mm512_store_ps(reinterpret_cast<float*>(dst + 512), dw);
        }
      }
      for (int64_t t0 = 0; t0 < n_tok; t0 += kT) {
        const int tn = static_cast<int>(std::min<int64_t>(kT, n_tok - t0));
        kTable[(rn - 1) * kT + (tn - 1)](pk, prow, a + t0 * as, as, k, y + t0 * ys + r0, ys);
      }
    }
  }
};

// Software prefetch of super-block b + kAhead of each of the R weight rows (the hardware
// prefetcher alone does not keep several interleaved row streams far enough ahead).
template <size_t kBytes>
inline void PrefetchBlock(const uint8_t* w, size_t ws, int rows, int64_t b) {
  constexpr int64_t kAhead = 12;
  for (int r = 0; r < rows; ++r) {
    const char* p = reinterpret_cast<const char*>(w + r * ws + (b + kAhead) * static_cast<int64_t>(kBytes));
    for (size_t o = 0; o < kBytes; o += 64) _mm_prefetch(p + o, _MM_HINT_T0);
  }
}

// ---- K-quants x Q8_K ----------------------------------------------------------------------------

// The 12 packed scale bytes -> 8 six-bit scales (bytes 0-7) and 8 mins (bytes 8-15), with
// 32-bit word operations on the GGML packing (see ScaleMinK4). Reads 16 bytes at q (the 4 bytes
// past the scales are the block's quants, so this stays inside the block).
inline __m128i UnpackScalesMinsK4(const uint8_t* q) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));  // words w0 w1 w2 -
  const __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0));          // w0 w2 w1 w2
  const __m128i b = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));          // w0 w0 w1 w1
  // lanes 0, 2: w & 0x3f; lanes 1, 3: ((w2 >> 0 / 4) & 0x0f) | (((w0 / w1) >> 6) & 3) << 4.
  const __m128i lo = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                   _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  const __m128i hi = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
  return _mm_or_si128(lo, hi);
}

struct Q4_KK {
  static constexpr int kR = 3, kT = 3, kGemvRows = 1;
  template <int R, int T>
  static void Run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                  int64_t ys) {
    const int64_t nb = k / kQKK;
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    const __m512i k0f = _mm512_set1_epi8(0x0F);
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
      if constexpr (T == 1) PrefetchBlock<sizeof(BlockQ4_K)>(w, ws, R, b);  // GEMV only
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
          // [low nibbles | high nibbles] of the 32 bytes: broadcast, shift the upper half, mask.
          __m512i v = _mm512_broadcast_i64x4(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs + 32 * c)));
          v = _mm512_mask_srli_epi16(v, 0xFFFF0000u, v, 4);
          wq[r] = _mm512_and_si512(v, k0f);
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
  static constexpr int kR = 3, kT = 3, kGemvRows = 1;
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
      if constexpr (T == 1) PrefetchBlock<sizeof(BlockQ6_K)>(w, ws, R, b);  // GEMV only
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
  InterleaveQ8Act(dst, k);
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
  t->tile[kWQ8_0] = Q8Lanes<false>::Tile;
  t->tile[kWQ4_0] = Q8Lanes<true>::Tile;
  t->tile[kWQ4_K] = TileDriver<Q4_KK>;
  t->tile[kWQ6_K] = TileDriver<Q6_KK>;
  t->quant_q8_0 = QuantActQ8_0Avx512;
  t->quant_q8_k = QuantActQ8_KAvx512;
}

}  // namespace sangam::tensor::kernels
