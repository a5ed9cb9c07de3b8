// MatMul and tile kernels: every ISA against the scalar reference, batch and thread invariance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "sangam/tensor.h"
#include "sangam/thread_pool.h"
#include "tensor/kernels/kernels.h"

namespace sangam::tensor {
namespace {

const DType kAllTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                           DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> v;
  for (Isa isa : {Isa::kReference, Isa::kAvx2, Isa::kAvx512}) {
    if (CpuHasIsa(isa)) v.push_back(isa);
  }
  return v;
}

// Restores the start-up ISA when a test ends.
class IsaGuard {
 public:
  IsaGuard() : saved_(SelectedIsa()) {}
  ~IsaGuard() { ForceIsa(saved_); }

 private:
  Isa saved_;
};

struct Weights {
  DType type;
  int64_t rows, cols;
  size_t offset;                 // deliberate misalignment of the first row
  std::vector<uint8_t> storage;
  std::vector<float> dequant;    // rows x cols
  MatrixView view() const {
    return MatrixView{type, storage.data() + offset, rows, cols, RowBytes(type, cols)};
  }
};

Weights MakeWeights(DType t, int64_t rows, int64_t cols, uint32_t seed, size_t offset = 0) {
  Weights w{t, rows, cols, offset, {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 0.05f);
  const size_t rb = RowBytes(t, cols);
  w.storage.assign(rb * static_cast<size_t>(rows) + offset + 64, 0);
  w.dequant.resize(static_cast<size_t>(rows * cols));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(rng);
    if (r % 5 == 1 && cols > 0) row[0] = 0.4f;  // outliers
    QuantizeRow(t, row.data(), w.storage.data() + offset + rb * static_cast<size_t>(r), cols);
    DequantizeRow(t, w.storage.data() + offset + rb * static_cast<size_t>(r),
                  w.dequant.data() + r * cols, cols);
  }
  return w;
}

std::vector<float> MakeActs(int64_t n_tokens, int64_t stride, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(n_tokens * stride + 1));
  for (auto& v : x) v = nd(rng);
  return x;
}

// Tolerance: float kernels differ from the double-accumulating reference only by float
// rounding of the accumulation: |err| <= 1e-5 * sum |w||x| (k <= 4096, eps 6e-8 per step with
// partial sums). Integer kernels compute the same integer block sums; only float rounding of
// scales and the float accumulation of block partials differ: same bound.
double Tol(const Weights& w, const float* x, int64_t r) {
  double s = 0;
  for (int64_t c = 0; c < w.cols; ++c) s += std::fabs(w.dequant[r * w.cols + c] * x[c]);
  return 1e-5 * s + 1e-7;
}

TEST(TileKernelTest, EveryIsaMatchesReferenceAcrossSizes) {
  for (Isa isa : AvailableIsas()) {
    const auto& kt = kernels::TableFor(isa);
    for (DType t : kAllTypes) {
      const int64_t bs = Traits(t).quantized ? Traits(t).block_size : 16;
      // For float types the SIMD tile is 16 lanes; for quantized types sizes are block counts.
      for (int64_t nb : {0, 1, 15, 16, 17, 35}) {
        const int64_t k = Traits(t).quantized ? nb * bs : nb;
        if (Traits(t).block_size == 256 && nb > 8) continue;  // keep K-quant sweeps short
        const size_t off = t == DType::kF32 ? 4 : (t == DType::kF16 || t == DType::kBF16 ? 2 : 1);
        auto w = MakeWeights(t, 7, k, static_cast<uint32_t>(k + 11), off);
        const int64_t n_tok = 5;
        auto x = MakeActs(n_tok, k + 3, static_cast<uint32_t>(k + 12));
        const float* xp = x.data() + 1;  // misaligned activations
        std::vector<float> y(static_cast<size_t>(n_tok * 9), -1.f), yref(y.size(), -1.f);
        MatMulReference(w.view(), xp, k + 3, n_tok, yref.data(), 9);
        IsaGuard guard;
        ASSERT_TRUE(ForceIsa(isa));
        ThreadPool pool(1);
        MatMul(pool, w.view(), xp, k + 3, n_tok, y.data(), 9);
        for (int64_t tt = 0; tt < n_tok; ++tt) {
          for (int64_t r = 0; r < 7; ++r) {
            EXPECT_NEAR(y[tt * 9 + r], yref[tt * 9 + r], Tol(w, xp + tt * (k + 3), r))
                << IsaName(isa) << " " << Traits(t).name << " k=" << k << " t=" << tt << " r=" << r;
          }
          EXPECT_EQ(y[tt * 9 + 7], -1.f);  // untouched padding
        }
        (void)kt;
      }
    }
  }
}

TEST(MatMulTest, MatchesReferenceForTokenCounts) {
  ThreadPool pool(2);
  for (Isa isa : AvailableIsas()) {
    IsaGuard guard;
    ASSERT_TRUE(ForceIsa(isa));
    for (DType t : kAllTypes) {
      const int64_t rows = 37, cols = 512;
      auto w = MakeWeights(t, rows, cols, 21);
      for (int64_t n : {1, 2, 3, 7, 16, 17, 64, 100}) {
        auto x = MakeActs(n, cols, static_cast<uint32_t>(n));
        std::vector<float> y(static_cast<size_t>(n * rows)), yref(y.size());
        MatMul(pool, w.view(), x.data(), cols, n, y.data(), rows);
        MatMulReference(w.view(), x.data(), cols, n, yref.data(), rows);
        for (int64_t tt = 0; tt < n; ++tt) {
          for (int64_t r = 0; r < rows; ++r) {
            ASSERT_NEAR(y[tt * rows + r], yref[tt * rows + r], Tol(w, x.data() + tt * cols, r))
                << IsaName(isa) << " " << Traits(t).name << " n=" << n << " t=" << tt << " r=" << r;
          }
        }
      }
    }
  }
}

// Dequantized-weight check: the reference MatMul agrees with a plain float product of the
// dequantized weights and the (unquantized) activations up to activation quantization error.
TEST(MatMulTest, ReferenceAgreesWithDequantizedProduct) {
  for (DType t : kAllTypes) {
    const int64_t rows = 9, cols = 512;
    auto w = MakeWeights(t, rows, cols, 31);
    auto x = MakeActs(2, cols, 32);
    std::vector<float> y(2 * rows);
    MatMulReference(w.view(), x.data(), cols, 2, y.data(), rows);
    for (int64_t tt = 0; tt < 2; ++tt) {
      for (int64_t r = 0; r < rows; ++r) {
        double s = 0, a = 0;
        for (int64_t c = 0; c < cols; ++c) {
          s += static_cast<double>(w.dequant[r * cols + c]) * x[tt * cols + c];
          a += std::fabs(w.dequant[r * cols + c] * x[tt * cols + c]);
        }
        // Q8 activations: relative error per element <= 1/254 of the block max: allow 1%.
        const double tol = Traits(t).quantized ? 0.01 * a : 1e-5 * a;
        EXPECT_NEAR(y[tt * rows + r], s, tol + 1e-6) << Traits(t).name;
      }
    }
  }
}

// Hard requirement: token t's output is bit-identical regardless of batch size, batch
// neighbours, position in a tile, thread count and run.
TEST(MatMulTest, BatchAndThreadInvariance) {
  ThreadPool pool1(1), pool2(2), pool3(3);
  for (Isa isa : AvailableIsas()) {
    IsaGuard guard;
    ASSERT_TRUE(ForceIsa(isa));
    for (DType t : kAllTypes) {
      const int64_t rows = 45, cols = 768 - (Traits(t).block_size == 256 ? 0 : 32);
      auto w = MakeWeights(t, rows, cols, 41);
      const int64_t n = 100;
      auto x = MakeActs(n, cols, 42);
      std::vector<float> full(static_cast<size_t>(n * rows));
      MatMul(pool2, w.view(), x.data(), cols, n, full.data(), rows);
      std::vector<float> again(full.size());
      MatMul(pool3, w.view(), x.data(), cols, n, again.data(), rows);
      EXPECT_EQ(0, std::memcmp(full.data(), again.data(), full.size() * 4))
          << IsaName(isa) << " " << Traits(t).name << " threads 2 vs 3";
      // One token at a time (GEMV path), with different thread counts.
      for (int64_t tt : {0, 1, 5, 63, 64, 99}) {
        std::vector<float> one(static_cast<size_t>(rows));
        MatMul(tt % 2 ? pool1 : pool2, w.view(), x.data() + tt * cols, cols, 1, one.data(), rows);
        EXPECT_EQ(0, std::memcmp(one.data(), full.data() + tt * rows, rows * 4))
            << IsaName(isa) << " " << Traits(t).name << " token " << tt << " alone";
      }
      // A different batch: tokens in reverse order, odd sizes, so every token lands at another
      // position within a tile.
      for (int64_t m : {3, 7, 17}) {
        std::vector<float> xs(static_cast<size_t>(m * cols));
        for (int64_t i = 0; i < m; ++i) {
          std::memcpy(&xs[i * cols], x.data() + (n - 1 - 2 * i) * cols, cols * 4);
        }
        std::vector<float> ys(static_cast<size_t>(m * rows));
        MatMul(pool3, w.view(), xs.data(), cols, m, ys.data(), rows);
        for (int64_t i = 0; i < m; ++i) {
          EXPECT_EQ(0, std::memcmp(&ys[i * rows], full.data() + (n - 1 - 2 * i) * rows, rows * 4))
              << IsaName(isa) << " " << Traits(t).name << " batch " << m << " pos " << i;
        }
      }
    }
  }
}

TEST(MatMulTest, StridedOutputsAndGetRow) {
  ThreadPool pool(2);
  for (DType t : kAllTypes) {
    auto w = MakeWeights(t, 20, 256, 51);
    std::vector<float> row(256);
    GetRow(w.view(), 13, row.data());
    EXPECT_EQ(0, std::memcmp(row.data(), &w.dequant[13 * 256], 256 * 4)) << Traits(t).name;
    auto x = MakeActs(3, 300, 52);
    std::vector<float> y(3 * 25, 7.f), yref(3 * 25, 7.f);
    MatMul(pool, w.view(), x.data(), 300, 3, y.data(), 25);
    MatMulReference(w.view(), x.data(), 300, 3, yref.data(), 25);
    for (int tt = 0; tt < 3; ++tt) {
      for (int r = 20; r < 25; ++r) EXPECT_EQ(y[tt * 25 + r], 7.f);
      for (int r = 0; r < 20; ++r) EXPECT_NEAR(y[tt * 25 + r], yref[tt * 25 + r], Tol(w, &x[tt * 300], r));
    }
  }
}

TEST(DispatchTest, ForceIsaAndNames) {
  IsaGuard guard;
  EXPECT_TRUE(CpuHasIsa(Isa::kReference));
  EXPECT_TRUE(ForceIsa(Isa::kReference));
  EXPECT_EQ(SelectedIsa(), Isa::kReference);
  EXPECT_STREQ(IsaName(Isa::kAvx512), "avx512");
  if (CpuHasIsa(Isa::kAvx512)) {
    EXPECT_TRUE(ForceIsa(Isa::kAvx512));
    EXPECT_EQ(SelectedIsa(), Isa::kAvx512);
  } else {
    EXPECT_FALSE(ForceIsa(Isa::kAvx512));
  }
}

}  // namespace
}  // namespace sangam::tensor
