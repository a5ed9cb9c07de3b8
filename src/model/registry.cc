// The architecture registry: general.architecture -> ArchSpec, and the shared tensor-role table.
#include "model/arch.h"
#include "sangam/model.h"

namespace sangam::model {
namespace {

// GGUF names and shapes (ne0 = row length, ne1 = rows) of every role.
constexpr RoleInfo kRoles[kNumRoles] = {
    {Role::kTokEmbd, "token_embd.weight", false, Dim::kEmbd, Dim::kVocab},
    {Role::kOutputNorm, "output_norm.weight", false, Dim::kEmbd, Dim::kNone},
    {Role::kOutput, "output.weight", false, Dim::kEmbd, Dim::kVocab},
    {Role::kRopeFreqs, "rope_freqs.weight", false, Dim::kRotHalf, Dim::kNone},
    {Role::kAttnNorm, "attn_norm.weight", true, Dim::kEmbd, Dim::kNone},
    {Role::kAttnQ, "attn_q.weight", true, Dim::kEmbd, Dim::kEmbdQ},
    {Role::kAttnK, "attn_k.weight", true, Dim::kEmbd, Dim::kEmbdKv},
    {Role::kAttnV, "attn_v.weight", true, Dim::kEmbd, Dim::kEmbdKv},
    {Role::kAttnOut, "attn_output.weight", true, Dim::kEmbdQ, Dim::kEmbd},
    {Role::kAttnQBias, "attn_q.bias", true, Dim::kEmbdQ, Dim::kNone},
    {Role::kAttnKBias, "attn_k.bias", true, Dim::kEmbdKv, Dim::kNone},
    {Role::kAttnVBias, "attn_v.bias", true, Dim::kEmbdKv, Dim::kNone},
    {Role::kFfnNorm, "ffn_norm.weight", true, Dim::kEmbd, Dim::kNone},
    {Role::kFfnGate, "ffn_gate.weight", true, Dim::kEmbd, Dim::kFf},
    {Role::kFfnUp, "ffn_up.weight", true, Dim::kEmbd, Dim::kFf},
    {Role::kFfnDown, "ffn_down.weight", true, Dim::kFf, Dim::kEmbd},
};

// The registry table: one line per architecture.
const ArchSpec* const* Table(size_t* n) {
  static const ArchSpec* const kTable[] = {
      &LlamaArch(),
      &MistralArch(),
      &Qwen2Arch(),
  };
  *n = sizeof(kTable) / sizeof(kTable[0]);
  return kTable;
}

}  // namespace

const RoleInfo& GetRoleInfo(Role r) { return kRoles[static_cast<int>(r)]; }

ArchSpec LlamaFamilyLayout(std::string name, std::string description) {
  ArchSpec s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.Set(Role::kTokEmbd, Need::kRequired)
      .Set(Role::kOutputNorm, Need::kRequired)
      .Set(Role::kOutput, Need::kOptional)
      .Set(Role::kRopeFreqs, Need::kOptional)
      .Set(Role::kAttnNorm, Need::kRequired)
      .Set(Role::kAttnQ, Need::kRequired)
      .Set(Role::kAttnK, Need::kRequired)
      .Set(Role::kAttnV, Need::kRequired)
      .Set(Role::kAttnOut, Need::kRequired)
      .Set(Role::kFfnNorm, Need::kRequired)
      .Set(Role::kFfnGate, Need::kRequired)
      .Set(Role::kFfnUp, Need::kRequired)
      .Set(Role::kFfnDown, Need::kRequired);
  return s;
}

const ArchSpec* FindArch(const std::string& name) {
  size_t n = 0;
  const ArchSpec* const* t = Table(&n);
  for (size_t i = 0; i < n; ++i) {
    if (t[i]->name == name) return t[i];
  }
  return nullptr;
}

std::vector<const ArchSpec*> AllArchs() {
  size_t n = 0;
  const ArchSpec* const* t = Table(&n);
  return std::vector<const ArchSpec*>(t, t + n);
}

std::vector<std::string> SupportedArchitectures() {
  std::vector<std::string> out;
  for (const ArchSpec* a : AllArchs()) out.push_back(a->name);
  return out;
}

}  // namespace sangam::model
