// Weight storage types when writing models: block-size fallbacks and GGML's llama_ftype ids.
#pragma once

#include <cstdint>

#include "sangam/tensor.h"

namespace sangam::model {

// True for types a weight matrix can be stored in (every supported type except Q8_K).
bool IsWeightType(tensor::DType t);

// `want` when rows of `ne0` elements fit its block size, else the nearest type that fits:
// Q4_K -> Q4_0, Q6_K -> Q8_0, then F16 (like llama.cpp's fallbacks for odd shapes).
tensor::DType StorageTypeFor(tensor::DType want, int64_t ne0);

// GGML's llama_ftype number for a model whose matrices are mostly `t`
// (ALL_F32 = 0, MOSTLY_F16 = 1, Q4_0 = 2, Q8_0 = 7, Q4_K_S = 14, Q6_K = 18, BF16 = 32).
uint32_t LlamaFileType(tensor::DType t);

}  // namespace sangam::model
