// AVX-512 roofline loops: 12 independent FMA / vpdpbusd chains kept in registers (named
// variables, not an array: an array pinned by the asm barrier is kept in memory and the loop
// becomes store-forwarding bound at ~1/4 of the peak).
#include <immintrin.h>

#include "tensor/kernels/roofline/roofline_kernels.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace sangam::tensor::kernels {

#define SANGAM_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define SANGAM_PIN(c)                                                                              \
  __asm__ volatile("" : "+v"(c##0), "+v"(c##1), "+v"(c##2), "+v"(c##3), "+v"(c##4), "+v"(c##5), \
                   "+v"(c##6), "+v"(c##7), "+v"(c##8), "+v"(c##9), "+v"(c##10), "+v"(c##11))

double FmaChainsAvx512(int64_t iters) {
  constexpr int kChains = 12;
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
#define SANGAM_DECL(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
#define SANGAM_STEP(i) c##i = _mm512_fmadd_ps(c##i, m, a);
  SANGAM_CHAINS(SANGAM_DECL)
  for (int64_t it = 0; it < iters; ++it) {
    SANGAM_CHAINS(SANGAM_STEP)
    SANGAM_PIN(c);
  }
  __m512 s = _mm512_setzero_ps();
#define SANGAM_SUM(i) s = _mm512_add_ps(s, c##i);
  SANGAM_CHAINS(SANGAM_SUM)
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return static_cast<double>(iters) * kChains * 16 * 2;
#undef SANGAM_DECL
#undef SANGAM_STEP
#undef SANGAM_SUM
}

double Int8ChainsAvx512(int64_t iters) {
  constexpr int kChains = 12;
  const __m512i u = _mm512_set1_epi8(3), s8 = _mm512_set1_epi8(-2);
#define SANGAM_DECL(i) __m512i c##i = _mm512_set1_epi32(i);
#define SANGAM_STEP(i) c##i = _mm512_dpbusd_epi32(c##i, u, s8);
  SANGAM_CHAINS(SANGAM_DECL)
  for (int64_t it = 0; it < iters; ++it) {
    SANGAM_CHAINS(SANGAM_STEP)
    SANGAM_PIN(c);
  }
  __m512i s = _mm512_setzero_si512();
#define SANGAM_SUM(i) s = _mm512_add_epi32(s, c##i);
  SANGAM_CHAINS(SANGAM_SUM)
  volatile int sink = _mm_cvtsi128_si32(_mm512_castsi512_si128(s));  // lanes wrap; no reduction
  (void)sink;
  return static_cast<double>(iters) * kChains * 64 * 2;
#undef SANGAM_DECL
#undef SANGAM_STEP
#undef SANGAM_SUM
}

#undef SANGAM_CHAINS
#undef SANGAM_PIN

}  // namespace sangam::tensor::kernels
