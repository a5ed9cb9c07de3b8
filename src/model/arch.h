// Architecture specifications: which tensors and features a model family uses (internal).
//
// Every family shares GGUF's tensor naming (token_embd, blk.N.attn_q, ...). An ArchSpec says
// which of those roles the family requires, allows or forbids, and which features (RoPE style,
// sliding window) its forward pass uses. registry.cc maps general.architecture to an ArchSpec;
// nothing else in sangam switches on the architecture name.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sangam::model {

enum class RopeStyle {
  kNorm,  // llama.cpp LLAMA_ROPE_TYPE_NORM: rotates adjacent pairs (2i, 2i+1)
  kNeox,  // llama.cpp LLAMA_ROPE_TYPE_NEOX: rotates (i, i + n_rot/2)
};

// Tensor roles of a Llama-style decoder. The GGUF name and expected shape of each role are
// fixed (see RoleInfo); per-layer roles are named "blk.<i>.<suffix>".
enum class Role : int {
  kTokEmbd = 0,
  kOutputNorm,
  kOutput,
  kRopeFreqs,
  kAttnNorm,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnOut,
  kAttnQBias,
  kAttnKBias,
  kAttnVBias,
  kFfnNorm,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kCount,
};
constexpr int kNumRoles = static_cast<int>(Role::kCount);

// Symbolic dimensions, resolved from Hparams.
enum class Dim { kNone, kEmbd, kVocab, kEmbdQ, kEmbdKv, kFf, kRotHalf };
// The size a Dim stands for under these hyperparameters (model.cc).
struct Hparams;
int64_t Resolve(Dim d, const Hparams& hp);

struct RoleInfo {
  Role role;
  const char* name;  // "token_embd.weight", or the suffix after "blk.<i>." for per-layer roles
  bool per_layer;
  Dim ne0, ne1;      // ne1 == kNone: a 1-D tensor
};
const RoleInfo& GetRoleInfo(Role r);

enum class Need : uint8_t { kUnused = 0, kOptional, kRequired };

struct ArchSpec {
  std::string name;         // general.architecture, also the hyperparameter key prefix
  std::string description;  // one line for --help and docs
  RopeStyle rope = RopeStyle::kNorm;
  bool sliding_window = false;  // reads <arch>.attention.sliding_window (optional)
  float default_rope_freq_base = 10000.0f;
  std::array<Need, kNumRoles> need{};

  Need Get(Role r) const { return need[static_cast<int>(r)]; }
  ArchSpec& Set(Role r, Need n) {
    need[static_cast<int>(r)] = n;
    return *this;
  }
};

// The tensor layout shared by Llama-family decoders: embeddings, optional output (tied when
// absent), optional rope_freqs, per-layer norms, Q/K/V/O and SwiGLU FFN; no biases.
ArchSpec LlamaFamilyLayout(std::string name, std::string description);

// One function per architecture file (llama.cc, mistral.cc, qwen2.cc, ...).
const ArchSpec& LlamaArch();
const ArchSpec& MistralArch();
const ArchSpec& Qwen2Arch();

// The registry (registry.cc): nullptr when the architecture is unknown.
const ArchSpec* FindArch(const std::string& name);
std::vector<const ArchSpec*> AllArchs();

}  // namespace sangam::model
