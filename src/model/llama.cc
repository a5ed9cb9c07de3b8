// Llama (1, 2, 3): RMSNorm, RoPE on adjacent pairs (llama.cpp LLAMA_ROPE_TYPE_NORM), GQA, SwiGLU.
#include "model/arch.h"

namespace sangam::model {

const ArchSpec& LlamaArch() {
  static const ArchSpec kSpec = [] {
    ArchSpec s = LlamaFamilyLayout("llama", "Llama 1/2/3 and llama2.c checkpoints");
    s.rope = RopeStyle::kNorm;
    return s;
  }();
  return kSpec;
}

}  // namespace sangam::model
