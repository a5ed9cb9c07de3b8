// Tensor element types (GGML block layouts), quantization, and the matrix-multiply contract.
//
// Weights are stored row-major as in GGUF: a 2-D weight W with ne = {n_in, n_out} has n_out rows
// of n_in elements, each row a sequence of blocks of the row's dtype. Activations are F32.
// All functions here are thread-safe (pure) unless stated otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sangam/status.h"
#include "sangam/thread_pool.h"

namespace sangam::tensor {

// Values equal GGML's ggml_type ids so GGUF files map directly.
enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kQ8_K = 15,  // activation-side format for K-quant dot products (not a weight storage type)
  kBF16 = 30,
};

struct DTypeTraits {
  DType type;
  const char* name;      // "F32", "Q4_K", ... as GGML spells it
  int64_t block_size;    // elements per block (1 for float types)
  size_t block_bytes;    // bytes per block
  bool quantized;
};

// Traits for a supported dtype id; nullptr when the id is not one sangam supports.
const DTypeTraits* FindDTypeTraits(uint32_t ggml_type);
const DTypeTraits& Traits(DType t);
// Name of any GGML type id, including ones sangam cannot compute with ("Q5_K", ...), or "type#N".
std::string GgmlTypeName(uint32_t ggml_type);
// Parses "f32", "F16", "bf16", "q8_0", "Q4_K", "q6_k" (case-insensitive); error lists valid names.
Result<DType> ParseDType(const std::string& name);

// Bytes of a row of n elements; n must be a multiple of the block size.
size_t RowBytes(DType t, int64_t n);

// Half and bfloat16 conversions (round-to-nearest-even; NaN preserved).
float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);
float BF16ToF32(uint16_t h);
uint16_t F32ToBF16(float f);

// Quantize / dequantize one row of n elements (n a multiple of the block size) with the
// scalar reference; bit-compatible with GGML's reference quantizers.
void QuantizeRow(DType t, const float* src, void* dst, int64_t n);
void DequantizeRow(DType t, const void* src, float* dst, int64_t n);

// A 2-D weight matrix view: rows x cols elements of `type`, row r at data + r * row_stride bytes.
// Does not own the data (usually points into a memory-mapped file).
struct MatrixView {
  DType type = DType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;        // n_out
  int64_t cols = 0;        // n_in
  size_t row_stride = 0;   // bytes; RowBytes(type, cols) for dense matrices
};

// y[t * y_stride + r] = sum_c W[r][c] * x[t * x_stride + c] for t < n_tokens, r < W.rows.
// n_tokens == 1 is the matrix-vector path (generation), larger n_tokens the blocked GEMM path
// (prompt processing). Activations are quantized internally (Q8_0 / Q8_K) for quantized W.
// Uses the best kernel set for this CPU (see SelectedIsa()).
// Batch invariance: for a given ISA, row y[t] is bit-identical whatever n_tokens, the other
// tokens in the batch, t's position, the pool's thread count, and the run (one accumulator per
// output with a fixed order; activations are quantized per token). Different ISAs may differ
// in the last bits (float accumulation order); all agree with MatMulReference to ~1e-5
// relative to sum |w*x|. Not reentrant on one pool (see ThreadPool).
void MatMul(ThreadPool& pool, const MatrixView& w, const float* x, int64_t x_stride,
            int64_t n_tokens, float* y, int64_t y_stride);

// Same contract, single-threaded scalar reference (the oracle for tests): activations are
// quantized with the reference quantizers, integer block sums are exact, float sums use double.
void MatMulReference(const MatrixView& w, const float* x, int64_t x_stride, int64_t n_tokens,
                     float* y, int64_t y_stride);

// Copies row `r` of W dequantized into out[0..cols) (embedding lookup).
void GetRow(const MatrixView& w, int64_t r, float* out);

enum class Isa { kReference = 0, kAvx2 = 1, kAvx512 = 2 };
const char* IsaName(Isa isa);
// The ISA chosen at start-up from CPUID (overridable with env SANGAM_ISA=ref|avx2|avx512, capped
// at what the CPU supports).
Isa SelectedIsa();
// Forces an ISA (for tests and benchmarks); returns false if the CPU lacks it. Not thread-safe:
// call when no kernel is running.
bool ForceIsa(Isa isa);
bool CpuHasIsa(Isa isa);

}  // namespace sangam::tensor
