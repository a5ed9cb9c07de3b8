// MatMul (GEMV / GEMM driver over the kernel table), MatMulReference and GetRow.
#include <algorithm>
#include <vector>

#include "sangam/log.h"
#include "sangam/tensor.h"
#include "tensor/kernels/kernels.h"

namespace sangam::tensor {
namespace {

using kernels::KernelTable;
using kernels::WeightKind;

// Quantizes the activations for a quantized weight kind into `buf`; returns the row stride.
size_t PrepareActs(ThreadPool* pool, const KernelTable& kt, WeightKind kind, const float* x,
                   int64_t x_stride, int64_t n_tokens, int64_t k, std::vector<uint8_t>* buf) {
  const size_t stride = (kernels::ActRowBytes(kind, k) + 63) & ~size_t{63};
  if (buf->size() < stride * static_cast<size_t>(n_tokens) + 64) {
    buf->resize(stride * static_cast<size_t>(n_tokens) + 64);
  }
  const kernels::QuantActFn q =
      (kind == kernels::kWQ8_0 || kind == kernels::kWQ4_0) ? kt.quant_q8_0 : kt.quant_q8_k;
  uint8_t* base = buf->data() + ((64 - reinterpret_cast<uintptr_t>(buf->data()) % 64) % 64);
  auto one = [&](int64_t t) { q(x + t * x_stride, base + static_cast<size_t>(t) * stride, k); };
  if (pool != nullptr && n_tokens >= 4) {
    pool->ParallelFor(n_tokens, [&](int64_t t, int) { one(t); });
  } else {
    for (int64_t t = 0; t < n_tokens; ++t) one(t);
  }
  return stride;
}

uint8_t* Aligned(std::vector<uint8_t>* buf) {
  return buf->data() + ((64 - reinterpret_cast<uintptr_t>(buf->data()) % 64) % 64);
}

void Run(ThreadPool* pool, const KernelTable& kt, const MatrixView& w, const float* x,
         int64_t x_stride, int64_t n_tokens, float* y, int64_t y_stride) {
  if (w.rows <= 0 || n_tokens <= 0) return;
  const int kind_i = kernels::WeightKindOf(w.type);
  CHECK_MSG(kind_i >= 0, "MatMul: unsupported weight dtype");
  const auto kind = static_cast<WeightKind>(kind_i);
  const int64_t k = w.cols;
  const auto* wp = static_cast<const uint8_t*>(w.data);
  const uint8_t* a;
  size_t a_stride;
  thread_local std::vector<uint8_t> act_buf;
  if (kind == kernels::kWF32 || kind == kernels::kWF16 || kind == kernels::kWBF16) {
    a = reinterpret_cast<const uint8_t*>(x);
    a_stride = static_cast<size_t>(x_stride) * 4;
  } else {
    a_stride = PrepareActs(pool, kt, kind, x, x_stride, n_tokens, k, &act_buf);
    a = Aligned(&act_buf);
  }
  const kernels::TileFn tile = kt.tile[kind];
  if (pool == nullptr || pool->size() == 1) {
    tile(wp, w.row_stride, w.rows, a, a_stride, n_tokens, k, y, y_stride);
    return;
  }
  // Tasks are (row chunk x token chunk). Row chunks keep a chunk of W in L2 while a block of
  // tokens streams over it. For GEMV, two large contiguous chunks per thread (long sequential
  // streams measured best on Zen 4; dynamic hand-out still rebalances when a thread is late).
  const size_t row_bytes = std::max<size_t>(w.row_stride, 1);
  int64_t row_chunk;
  int64_t tok_chunk;
  if (n_tokens == 1) {
    row_chunk = std::max<int64_t>(16, (w.rows / (pool->size() * 2) + 15) & ~int64_t{15});
    tok_chunk = 1;
  } else {
    row_chunk = std::clamp<int64_t>(static_cast<int64_t>((256 << 10) / row_bytes), 16, 256) & ~int64_t{15};
    tok_chunk = 64;
    // Enough tasks for all threads.
    while (row_chunk > 16 && ((w.rows + row_chunk - 1) / row_chunk) *
                                     ((n_tokens + tok_chunk - 1) / tok_chunk) < 4 * pool->size()) {
      row_chunk /= 2;
    }
  }
  const int64_t n_rc = (w.rows + row_chunk - 1) / row_chunk;
  const int64_t n_tc = (n_tokens + tok_chunk - 1) / tok_chunk;
  pool->ParallelFor(n_rc * n_tc, [&](int64_t task, int) {
    const int64_t rc = task % n_rc, tc = task / n_rc;
    const int64_t r0 = rc * row_chunk, t0 = tc * tok_chunk;
    const int64_t nr = std::min(row_chunk, w.rows - r0), nt = std::min(tok_chunk, n_tokens - t0);
    tile(wp + static_cast<size_t>(r0) * w.row_stride, w.row_stride, nr,
         a + static_cast<size_t>(t0) * a_stride, a_stride, nt, k, y + t0 * y_stride + r0, y_stride);
  });
}

}  // namespace

void MatMul(ThreadPool& pool, const MatrixView& w, const float* x, int64_t x_stride,
            int64_t n_tokens, float* y, int64_t y_stride) {
  Run(&pool, kernels::Active(), w, x, x_stride, n_tokens, y, y_stride);
}

void MatMulReference(const MatrixView& w, const float* x, int64_t x_stride, int64_t n_tokens,
                     float* y, int64_t y_stride) {
  Run(nullptr, kernels::TableFor(Isa::kReference), w, x, x_stride, n_tokens, y, y_stride);
}

void GetRow(const MatrixView& w, int64_t r, float* out) {
  DequantizeRow(w.type, static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_stride,
                out, w.cols);
}

}  // namespace sangam::tensor
