// AVX2 roofline loops: 12 independent FMA chains; int8 via vpmaddubsw + vpmaddwd + vpaddd.
#include <immintrin.h>

#include "tensor/kernels/roofline/roofline_kernels.h"

namespace sangam::tensor::kernels {

// Named variables, not an array (an array pinned by the asm barrier would live in memory).
#define SANGAM_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define SANGAM_PIN(c)                                                                              \
  __asm__ volatile("" : "+x"(c##0), "+x"(c##1), "+x"(c##2), "+x"(c##3), "+x"(c##4), "+x"(c##5), \
                   "+x"(c##6), "+x"(c##7), "+x"(c##8), "+x"(c##9), "+x"(c##10), "+x"(c##11))

double FmaChainsAvx2(int64_t iters) {
  constexpr int kChains = 12;
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
#define SANGAM_DECL(i) __m256 c##i = _mm256_set1_ps(static_cast<float>(i));
#define SANGAM_STEP(i) c##i = _mm256_fmadd_ps(c##i, m, a);
  SANGAM_CHAINS(SANGAM_DECL)
  for (int64_t it = 0; it < iters; ++it) {
    SANGAM_CHAINS(SANGAM_STEP)
    SANGAM_PIN(c);
  }
  __m256 s = _mm256_setzero_ps();
#define SANGAM_SUM(i) s = _mm256_add_ps(s, c##i);
  SANGAM_CHAINS(SANGAM_SUM)
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return static_cast<double>(iters) * kChains * 8 * 2;
#undef SANGAM_DECL
#undef SANGAM_STEP
#undef SANGAM_SUM
}

// AVX2 has no vpdpbusd: one int8 multiply-add step is maddubs + madd + add.
double Int8ChainsAvx2(int64_t iters) {
  constexpr int kChains = 12;
  __m256i u = _mm256_set1_epi8(3);
  const __m256i s8 = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
#define SANGAM_DECL(i) __m256i c##i = _mm256_set1_epi32(i);
#define SANGAM_STEP(i) c##i = _mm256_add_epi32(c##i, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s8), ones));
  SANGAM_CHAINS(SANGAM_DECL)
  for (int64_t it = 0; it < iters; ++it) {
    __asm__ volatile("" : "+x"(u));  // keep the multiplies in the loop
    SANGAM_CHAINS(SANGAM_STEP)
    SANGAM_PIN(c);
  }
  __m256i s = _mm256_setzero_si256();
#define SANGAM_SUM(i) s = _mm256_add_epi32(s, c##i);
  SANGAM_CHAINS(SANGAM_SUM)
  alignas(32) int out[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(out), s);
  volatile int sink = out[0];
  (void)sink;
  return static_cast<double>(iters) * kChains * 32 * 2;
#undef SANGAM_DECL
#undef SANGAM_STEP
#undef SANGAM_SUM
}

#undef SANGAM_CHAINS
#undef SANGAM_PIN

}  // namespace sangam::tensor::kernels
