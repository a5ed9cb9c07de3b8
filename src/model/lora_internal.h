// Internal helpers shared by the LoRA files: projection shapes, per-format loaders, Q/K row order.
#pragma once

#include <cstdint>
#include <string>

#include "sangam/lora.h"

namespace sangam::model {

inline constexpr int kNumLoraTargets = 7;

// Input and output sizes of projection `t` under `hp` (W has n_out rows of n_in).
struct LoraDims {
  int64_t n_in = 0, n_out = 0;
};
LoraDims LoraTargetDims(LoraTarget t, const Hparams& hp);

// Hugging Face module name of a target: "q_proj", ..., "down_proj".
const char* LoraTargetHfName(LoraTarget t);

// llama.cpp GGUF adapter / PEFT directory readers (lora.cc / lora_peft.cc); `path` is the file
// (GGUF) or the directory (PEFT). Both validate against `hp`.
Result<LoraAdapter> LoadLoraGguf(const std::string& path, const Hparams& hp);
Result<LoraAdapter> LoadPeftAdapter(const std::string& dir, const Hparams& hp);

// Whether B of q/k is stored in a different row order in PEFT (Hugging Face) than in GGUF:
// true for rope style "norm" (llama, mistral: convert_hf_to_gguf.py permutes attn_q/attn_k),
// false for NeoX-style rope (qwen2 keeps Hugging Face order).
inline bool LoraPermutesQk(const Hparams& hp) { return !hp.rope_neox; }

// Reorders the rows of a (n_heads * head_dim, cols) matrix between Hugging Face and GGUF order.
// Within each head of d rows: gguf row 2i+a = hf row a*d/2+i (a in {0,1}, i < d/2), which is
// convert_hf_to_gguf.py's LlamaModel.permute (reshape (H, 2, d/2, cols), swap axes 1 and 2).
// `dst` and `src` must not overlap.
void HfToGgufRows(const float* src, float* dst, int64_t n_heads, int64_t head_dim, int64_t cols);
void GgufToHfRows(const float* src, float* dst, int64_t n_heads, int64_t head_dim, int64_t cols);

}  // namespace sangam::model
