// Training matrix products routed through tensor::MatMul (fast, batch-invariant kernels).
#include "train/linear.h"

#include <algorithm>

namespace sangam::train {
namespace {

void Grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

// dst (cols, rows) = src (rows, cols)^T, src rows `src_stride` floats apart.
void Transpose(ThreadPool& pool, const float* src, int64_t rows, int64_t cols, int64_t src_stride,
               float* dst) {
  constexpr int64_t kTile = 32;
  const int64_t col_tiles = (cols + kTile - 1) / kTile;
  pool.ParallelFor(col_tiles, [&](int64_t ct, int) {
    const int64_t c0 = ct * kTile, c1 = std::min(cols, c0 + kTile);
    for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
      const int64_t r1 = std::min(rows, r0 + kTile);
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * src_stride + c];
      }
    }
  });
}

void DequantizeRows(ThreadPool& pool, const tensor::MatrixView& w, int64_t r0, int64_t nr,
                    float* out) {
  pool.ParallelFor(nr, [&](int64_t r, int) {
    const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r0 + r) * w.row_stride;
    tensor::DequantizeRow(w.type, src, out + r * w.cols, w.cols);
  });
}

bool DenseF32(const tensor::MatrixView& w) {
  return w.type == tensor::DType::kF32 &&
         w.row_stride == static_cast<size_t>(w.cols) * sizeof(float);
}

}  // namespace

tensor::MatrixView F32View(const float* w, int64_t rows, int64_t cols) {
  tensor::MatrixView v;
  v.type = tensor::DType::kF32;
  v.data = w;
  v.rows = rows;
  v.cols = cols;
  v.row_stride = static_cast<size_t>(cols) * sizeof(float);
  return v;
}

void MatMulFwd(ThreadPool& pool, const tensor::MatrixView& w, const float* x, int64_t n_rows,
               float* y, int64_t y_stride, LinearScratch& s) {
  const int64_t n_out = w.rows, n_in = w.cols;
  if (n_rows == 0 || w.rows == 0) return;
  if (DenseF32(w)) {
    tensor::MatMul(pool, w, x, n_in, n_rows, y, y_stride);
    return;
  }
  Grow(s.a, kRowBlock * n_in);
  for (int64_t r0 = 0; r0 < n_out; r0 += kRowBlock) {
    const int64_t nr = std::min(kRowBlock, n_out - r0);
    DequantizeRows(pool, w, r0, nr, s.a.data());
    tensor::MatMul(pool, F32View(s.a.data(), nr, n_in), x, n_in, n_rows, y + r0, y_stride);
  }
}

void MatMulBwdX(ThreadPool& pool, const tensor::MatrixView& w, const float* dy, int64_t dy_stride,
                int64_t n_rows, float* dx, bool accumulate, LinearScratch& s) {
  const int64_t n_out = w.rows, n_in = w.cols;
  if (n_rows == 0) return;
  if (!accumulate) std::fill(dx, dx + n_rows * n_in, 0.0f);
  // Blocks of output rows: dx += dy[:, r0:r0+nr] Wblock = (WblockT)^T products on MatMul.
  constexpr int64_t kBlock = 256;
  Grow(s.a, kBlock * n_in);
  Grow(s.b, kBlock * n_in);
  Grow(s.c, n_rows * n_in);
  const bool dense = DenseF32(w);
  for (int64_t r0 = 0; r0 < n_out; r0 += kBlock) {
    const int64_t nr = std::min(kBlock, n_out - r0);
    const float* block;
    if (dense) {
      block = static_cast<const float*>(w.data) + r0 * n_in;
    } else {
      for (int64_t q0 = 0; q0 < nr; q0 += kRowBlock) {
        DequantizeRows(pool, w, r0 + q0, std::min(kRowBlock, nr - q0), s.a.data() + q0 * n_in);
      }
      block = s.a.data();
    }
    Transpose(pool, block, nr, n_in, n_in, s.b.data());  // (n_in, nr)
    tensor::MatMul(pool, F32View(s.b.data(), n_in, nr), dy + r0, dy_stride, n_rows, s.c.data(), n_in);
    float* c = s.c.data();
    pool.ParallelFor(n_rows, [&](int64_t t, int) {
      float* d = dx + t * n_in;
      const float* src = c + t * n_in;
      for (int64_t i = 0; i < n_in; ++i) d[i] += src[i];
    });
  }
}

void MatMulBwdW(ThreadPool& pool, const float* dy, int64_t dy_stride, const float* x,
                int64_t n_rows, int64_t n_in, int64_t n_out, float* dw, LinearScratch& s) {
  if (n_rows == 0) return;
  Grow(s.a, n_in * n_rows);
  Grow(s.b, n_out * n_rows);
  Grow(s.c, n_out * n_in);
  Transpose(pool, x, n_rows, n_in, n_in, s.a.data());     // xT (n_in, N)
  Transpose(pool, dy, n_rows, n_out, dy_stride, s.b.data());  // dyT (n_out, N)
  // tmp[o][i] = sum_t xT[i][t] dyT[o][t]
  tensor::MatMul(pool, F32View(s.a.data(), n_in, n_rows), s.b.data(), n_rows, n_out, s.c.data(),
                 n_in);
  const float* c = s.c.data();
  pool.ParallelFor(n_out, [&](int64_t o, int) {
    float* d = dw + o * n_in;
    const float* src = c + o * n_in;
    for (int64_t i = 0; i < n_in; ++i) d[i] += src[i];
  });
}

}  // namespace sangam::train
