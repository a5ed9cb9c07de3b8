// Qwen2 / Qwen2.5: the Llama layout with Q/K/V biases and NEOX-style RoPE (pairs offset n_rot/2).
#include "model/arch.h"

namespace sangam::model {

const ArchSpec& Qwen2Arch() {
  static const ArchSpec kSpec = [] {
    ArchSpec s = LlamaFamilyLayout("qwen2", "Qwen2 / Qwen2.5 (Q/K/V biases, NEOX RoPE)");
    s.rope = RopeStyle::kNeox;  // llama.cpp llama_model_rope_type: LLM_ARCH_QWEN2 -> NEOX
    s.Set(Role::kAttnQBias, Need::kRequired)
        .Set(Role::kAttnKBias, Need::kRequired)
        .Set(Role::kAttnVBias, Need::kRequired);
    return s;
  }();
  return kSpec;
}

}  // namespace sangam::model
