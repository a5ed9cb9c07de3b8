// Matrix products of the training graph on the fast, batch-invariant MatMul kernels (internal).
//
// All products have fixed summation orders, so results do not depend on the thread count.
// Frozen weights of any dtype are dequantized kRowBlock rows at a time (never the whole matrix).
#pragma once

#include <cstdint>
#include <vector>

#include "sangam/tensor.h"
#include "sangam/thread_pool.h"

namespace sangam::train {

inline constexpr int64_t kRowBlock = 64;

// Reusable scratch for the products (grows as needed; one per graph, not thread-safe).
struct LinearScratch {
  std::vector<float> a, b, c;
};

// A dense F32 (rows, cols) matrix as a MatrixView.
tensor::MatrixView F32View(const float* w, int64_t rows, int64_t cols);

// y (N, out) = x (N, in) W^T, W (out rows of in) of any dtype (F32 directly, others dequantized
// per row block, exactly). y rows are y_stride floats apart.
void MatMulFwd(ThreadPool& pool, const tensor::MatrixView& w, const float* x, int64_t n_rows,
               float* y, int64_t y_stride, LinearScratch& s);
// dx (N, in) = dy (N, out) W (dy rows dy_stride apart); accumulate adds to dx instead of
// overwriting.
void MatMulBwdX(ThreadPool& pool, const tensor::MatrixView& w, const float* dy, int64_t dy_stride,
                int64_t n_rows, float* dx, bool accumulate, LinearScratch& s);
// dw (out, in) += dy^T x with dy (N, out) rows dy_stride apart, x (N, in).
void MatMulBwdW(ThreadPool& pool, const float* dy, int64_t dy_stride, const float* x,
                int64_t n_rows, int64_t n_in, int64_t n_out, float* dw, LinearScratch& s);

}  // namespace sangam::train
