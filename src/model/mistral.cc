// Mistral: the Llama layout plus optional sliding-window attention (attention.sliding_window).
#include "model/arch.h"

namespace sangam::model {

const ArchSpec& MistralArch() {
  static const ArchSpec kSpec = [] {
    ArchSpec s = LlamaFamilyLayout("mistral", "Mistral (Llama layout, optional sliding window)");
    s.rope = RopeStyle::kNorm;  // llama.cpp uses NORM for Mistral (converted as "llama"/"mistral3")
    s.sliding_window = true;
    return s;
  }();
  return kSpec;
}

}  // namespace sangam::model
