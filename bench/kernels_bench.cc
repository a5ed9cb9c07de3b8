// Kernel benchmarks: GEMV / GEMM per weight type at Llama-like shapes, plus the roofline probes.
//
// Counters: bytes_per_second = weight bytes streamed, FLOP/s = 2 * rows * cols * tokens.
// GEMV_Model streams a stack of (2816 x 1024) matrices totalling >= 256 MiB (8x L3), like a
// model's weights during generation; compare it with Roofline's mem_GBs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "sangam/roofline.h"
#include "sangam/tensor.h"
#include "sangam/thread_pool.h"

namespace sangam::tensor {
namespace {

ThreadPool& Pool() {
  static ThreadPool pool(PhysicalCoreCount());
  return pool;
}

const DType kTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                        DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};

// rows x cols weights built from 64 really-quantized template rows (fast to make, realistic).
std::vector<uint8_t> MakeWeights(DType t, int64_t rows, int64_t cols) {
  const size_t rb = RowBytes(t, cols);
  std::vector<uint8_t> templ(rb * 64);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 0.05f);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int i = 0; i < 64; ++i) {
    for (auto& v : row) v = nd(rng);
    QuantizeRow(t, row.data(), templ.data() + rb * i, cols);
  }
  std::vector<uint8_t> w(rb * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) std::memcpy(w.data() + rb * r, templ.data() + rb * (r % 64), rb);
  return w;
}

std::vector<float> MakeActs(int64_t n) {
  std::mt19937 rng(8);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = nd(rng);
  return x;
}

void BM_MatMul(benchmark::State& state) {
  const DType t = kTypes[state.range(0)];
  const int64_t rows = state.range(1), cols = state.range(2), n_tok = state.range(3);
  auto w = MakeWeights(t, rows, cols);
  auto x = MakeActs(cols * n_tok);
  std::vector<float> y(static_cast<size_t>(rows * n_tok));
  const MatrixView mv{t, w.data(), rows, cols, RowBytes(t, cols)};
  for (auto _ : state) {
    MatMul(Pool(), mv, x.data(), cols, n_tok, y.data(), rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(Traits(t).name) + " " + IsaName(SelectedIsa()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.size()));
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * rows * cols * n_tok * state.iterations(),
                                                benchmark::Counter::kIsRate);
}

void BM_GEMV_Model(benchmark::State& state) {
  const DType t = kTypes[state.range(0)];
  const int64_t rows = 2816, cols = 1024;
  const size_t mat_bytes = RowBytes(t, cols) * rows;
  const size_t n_mats = std::max<size_t>(2, ((size_t{256} << 20) + mat_bytes - 1) / mat_bytes);
  auto one = MakeWeights(t, rows, cols);
  std::vector<uint8_t> w(mat_bytes * n_mats);
  for (size_t i = 0; i < n_mats; ++i) std::memcpy(w.data() + i * mat_bytes, one.data(), mat_bytes);
  auto x = MakeActs(cols);
  std::vector<float> y(static_cast<size_t>(rows));
  size_t i = 0;
  for (auto _ : state) {
    const MatrixView mv{t, w.data() + (i++ % n_mats) * mat_bytes, rows, cols, RowBytes(t, cols)};
    MatMul(Pool(), mv, x.data(), cols, 1, y.data(), rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(Traits(t).name) + " " + IsaName(SelectedIsa()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * mat_bytes));
}

void BM_Roofline(benchmark::State& state) {
  double bw = 0, fl = 0, i8 = 0;
  for (auto _ : state) {
    bw = MeasureMemoryBandwidthGBs(Pool());
    fl = MeasurePeakFp32Gflops(Pool());
    i8 = MeasurePeakInt8Gops(Pool());
  }
  state.counters["mem_GBs"] = bw;
  state.counters["fp32_GFLOPs"] = fl;
  state.counters["int8_GOPs"] = i8;
}

void BM_ThreadPoolRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    Pool().ParallelFor(Pool().size(), [](int64_t, int) {});
  }
}

void Shapes(benchmark::internal::Benchmark* b, int64_t n_tok) {
  const int64_t shapes[][2] = {{1024, 1024}, {256, 1024}, {2816, 1024}, {1024, 2816}, {32000, 1024}};
  for (int ti = 0; ti < 7; ++ti) {
    for (const auto& s : shapes) b->Args({ti, s[0], s[1], n_tok});
  }
}

BENCHMARK(BM_Roofline)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ThreadPoolRoundTrip)->UseRealTime();
BENCHMARK(BM_GEMV_Model)->DenseRange(0, 6)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MatMul)->Apply([](auto* b) { Shapes(b, 1); })->Unit(benchmark::kMicrosecond)->UseRealTime()->Name("GEMV");
BENCHMARK(BM_MatMul)->Apply([](auto* b) { Shapes(b, 512); })->Unit(benchmark::kMillisecond)->UseRealTime()->Name("GEMM512");

}  // namespace
}  // namespace sangam::tensor

BENCHMARK_MAIN();
