// Roofline probes: streaming read bandwidth and register-resident FMA / int8 peak rates.
#include "sangam/roofline.h"

#include <emmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "sangam/tensor.h"
#include "tensor/kernels/roofline/roofline_kernels.h"

namespace sangam::tensor {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Sums 64-bit lanes of [p, p + n) with four independent SSE2 streams (baseline ISA is enough
// to saturate memory; the loads, not the adds, are the limit).
uint64_t SumRange(const uint8_t* p, size_t n) {
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm_add_epi64(a0, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i)));
    a1 = _mm_add_epi64(a1, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 16)));
    a2 = _mm_add_epi64(a2, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 32)));
    a3 = _mm_add_epi64(a3, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 48)));
  }
  const __m128i s = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
  uint64_t out[2];
  std::memcpy(out, &s, 16);
  return out[0] + out[1];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs fn(iters) on every thread; returns total ops / wall time of the slowest, best of 3.
double PeakRate(ThreadPool& pool, double (*fn)(int64_t), int64_t iters) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::atomic<int64_t> ops_milli{0};
    const double t0 = Now();
    pool.RunOnAll([&](int, int) {
      ops_milli.fetch_add(static_cast<int64_t>(fn(iters) / 1000), std::memory_order_relaxed);
    });
    const double dt = Now() - t0;
    best = std::max(best, static_cast<double>(ops_milli.load()) * 1000 / dt / 1e9);
  }
  return best;
}

double ScalarFma(int64_t iters) {
  float acc[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  for (int64_t it = 0; it < iters; ++it) {
    for (float& a : acc) a = a * 0.999999f + 1e-7f;
  }
  volatile float sink = acc[0] + acc[7];
  (void)sink;
  return static_cast<double>(iters) * 8 * 2;
}

}  // namespace

double MeasureMemoryBandwidthGBs(ThreadPool& pool) {
  constexpr size_t kBytes = size_t{256} << 20;
  std::unique_ptr<uint8_t, decltype(&std::free)> buf(
      static_cast<uint8_t*>(std::aligned_alloc(4096, kBytes)), &std::free);
  if (!buf) return 0;
  const int n = pool.size();
  const size_t part = kBytes / static_cast<size_t>(n) / 64 * 64;
  // Touch pages on the threads that will read them.
  pool.RunOnAll([&](int t, int) { std::memset(buf.get() + part * static_cast<size_t>(t), 1, part); });
  std::atomic<uint64_t> sink{0};
  std::vector<double> rates;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = Now();
    pool.RunOnAll([&](int t, int) {
      sink.fetch_add(SumRange(buf.get() + part * static_cast<size_t>(t), part),
                     std::memory_order_relaxed);
    });
    const double dt = Now() - t0;
    rates.push_back(static_cast<double>(part) * n / dt / 1e9);
  }
  return Median(rates);
}

double MeasurePeakFp32Gflops(ThreadPool& pool) {
  switch (SelectedIsa()) {
    case Isa::kAvx512:
      return PeakRate(pool, kernels::FmaChainsAvx512, 2'000'000);
    case Isa::kAvx2:
      return PeakRate(pool, kernels::FmaChainsAvx2, 2'000'000);
    case Isa::kReference:
      break;
  }
  return PeakRate(pool, ScalarFma, 4'000'000);
}

double MeasurePeakInt8Gops(ThreadPool& pool) {
  if (SelectedIsa() == Isa::kAvx512) return PeakRate(pool, kernels::Int8ChainsAvx512, 2'000'000);
  if (CpuHasIsa(Isa::kAvx2)) return PeakRate(pool, kernels::Int8ChainsAvx2, 2'000'000);
  return 0;
}

}  // namespace sangam::tensor
