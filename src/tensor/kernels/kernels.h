// Internal kernel table: per weight dtype, an activation quantizer and a tile kernel, per ISA.
//
// Every output y[t][r] is computed by exactly one tile-kernel invocation with a per-output
// accumulation order that does not depend on the tile shape, the batch, or the thread count
// (dot-product-style tiles: vectors along k, one accumulator per output, fixed final
// reduction). This is what makes MatMul batch-invariant.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sangam/tensor.h"
#include "tensor/kernels/blocks.h"

namespace sangam::tensor::kernels {

// Dense index of the weight dtypes MatMul supports.
enum WeightKind { kWF32 = 0, kWF16, kWBF16, kWQ8_0, kWQ4_0, kWQ4_K, kWQ6_K, kNumWeightKinds };
// Returns -1 for dtypes that cannot be a weight (Q8_K).
int WeightKindOf(DType t);

// Activation row formats.
//  * float weights: the F32 row itself.
//  * Q8_0 / Q4_0 weights: "Q8_0 activation row": nb BlockQ8_0, then (at a 64-byte aligned offset)
//    nb float scales (F16ToF32 of the block's d) and nb int32 sums of the block's quants.
//    Then (at a 64-byte aligned offset, see Q8ActGroups) the same quants interleaved for
//    16-lane kernels: per group g of 16 blocks, 640 bytes: 512 bytes where bytes
//    [64v + 4l, 64v + 4l + 4) are quants [4v, 4v + 4) of block 16g + Q8LaneOfBlock(l) (v < 8,
//    lane l < 16), then the 16 blocks' float scales, then their 16 int32 sums, in the same lane
//    order. Blocks past nb are all zero. The lane order (a 4x4 transpose: lane 4L + j holds block
//    4j + L) is what an in-lane dword transpose of four 128-bit-lane-per-block vectors yields.
//  * Q4_K / Q6_K weights: nb BlockQ8_K.
size_t ActRowBytes(WeightKind kind, int64_t k);
inline size_t Q8ActScalesOffset(int64_t k) { return (static_cast<size_t>(k / kQK) * 34 + 63) & ~size_t{63}; }
inline const float* Q8ActScales(const uint8_t* row, int64_t k) {
  return reinterpret_cast<const float*>(row + Q8ActScalesOffset(k));
}
inline const int32_t* Q8ActSums(const uint8_t* row, int64_t k) {
  return reinterpret_cast<const int32_t*>(row + Q8ActScalesOffset(k) + static_cast<size_t>(k / kQK) * 4);
}

inline constexpr size_t kQ8GroupBytes = 640;
// Block (within its group of 16) held by lane l, and vice versa (the mapping is an involution).
inline constexpr int Q8LaneOfBlock(int l) { return 4 * (l % 4) + l / 4; }
inline int64_t Q8GroupCount(int64_t k) { return (k / kQK + 15) / 16; }
inline size_t Q8ActGroupsOffset(int64_t k) {
  return (Q8ActScalesOffset(k) + static_cast<size_t>(k / kQK) * 8 + 63) & ~size_t{63};
}
inline const uint8_t* Q8ActGroups(const uint8_t* row, int64_t k) { return row + Q8ActGroupsOffset(k); }
// Writes the interleaved groups of a Q8_0 activation row from its plain blocks, scales and sums
// (every ISA's quant_q8_0 ends with this, so the whole row is bit-identical across ISAs).
void InterleaveQ8Act(uint8_t* row, int64_t k);

// Quantizes one activation row (k floats) into the Q8_0 activation row format / Q8_K blocks.
// Every ISA's version must be bit-identical to the reference quantizer.
using QuantActFn = void (*)(const float* x, uint8_t* dst, int64_t k);

// y[t * y_stride + r] = dot(W row r, activation row t) for r < n_rows, t < n_tok.
// w: first weight row, w_stride bytes apart; a: first activation row, a_stride bytes apart.
using TileFn = void (*)(const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                        size_t a_stride, int64_t n_tok, int64_t k, float* y, int64_t y_stride);

struct KernelTable {
  Isa isa = Isa::kReference;
  TileFn tile[kNumWeightKinds] = {};
  QuantActFn quant_q8_0 = nullptr;
  QuantActFn quant_q8_k = nullptr;
};

// Fill a table with an ISA's kernels (entries they lack stay as they were).
void FillReference(KernelTable* t);
void FillAvx2(KernelTable* t);
void FillAvx512(KernelTable* t);

// The active table (chosen once from CPUID / SANGAM_ISA; changed only by ForceIsa).
const KernelTable& Active();
// A complete table for a given ISA (reference entries where the ISA has no kernel).
const KernelTable& TableFor(Isa isa);

// Reference dot products (scalar oracle). Float types accumulate in double.
float DotF32Ref(const float* w, const float* x, int64_t k);
float DotF16Ref(const uint8_t* w, const float* x, int64_t k);
float DotBF16Ref(const uint8_t* w, const float* x, int64_t k);
float DotQ8_0Q8_0Ref(const uint8_t* w, const uint8_t* a, int64_t k);
float DotQ4_0Q8_0Ref(const uint8_t* w, const uint8_t* a, int64_t k);
float DotQ4_KQ8_KRef(const uint8_t* w, const uint8_t* a, int64_t k);
float DotQ6_KQ8_KRef(const uint8_t* w, const uint8_t* a, int64_t k);

// Reference activation quantizers (Q8_0 activation row, Q8_K blocks).
void QuantActQ8_0Ref(const float* x, uint8_t* dst, int64_t k);
void QuantActQ8_KRef(const float* x, uint8_t* dst, int64_t k);

}  // namespace sangam::tensor::kernels
