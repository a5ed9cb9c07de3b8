// LoRA adapters: targets, validation, loading dispatch and the llama.cpp GGUF adapter format.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "model/lora_internal.h"
#include "sangam/gguf.h"

namespace sangam::model {
namespace {

constexpr LoraTarget kAllTargets[kNumLoraTargets] = {
    LoraTarget::kQ,    LoraTarget::kK,  LoraTarget::kV,   LoraTarget::kO,
    LoraTarget::kGate, LoraTarget::kUp, LoraTarget::kDown};

// GGUF per-layer suffix of each target's base weight.
const char* GgufSuffix(LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ:
      return "attn_q";
    case LoraTarget::kK:
      return "attn_k";
    case LoraTarget::kV:
      return "attn_v";
    case LoraTarget::kO:
      return "attn_output";
    case LoraTarget::kGate:
      return "ffn_gate";
    case LoraTarget::kUp:
      return "ffn_up";
    case LoraTarget::kDown:
      return "ffn_down";
  }
  return "?";
}

// Parses "blk.<layer>.<suffix>.weight" into (layer, target); false when it is not one.
bool ParseBaseName(const std::string& name, int64_t* layer, LoraTarget* target) {
  if (name.rfind("blk.", 0) != 0) return false;
  size_t p = 4, q = p;
  while (q < name.size() && name[q] >= '0' && name[q] <= '9') ++q;
  if (q == p || q - p > 9 || q >= name.size() || name[q] != '.') return false;
  const int64_t l = std::stoll(name.substr(p, q - p));
  const std::string rest = name.substr(q + 1);
  for (LoraTarget t : kAllTargets) {
    if (rest == std::string(GgufSuffix(t)) + ".weight") {
      *layer = l;
      *target = t;
      return true;
    }
  }
  return false;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// GGUF tensor (F32/F16/BF16/any supported type) to a row-major F32 vector.
std::vector<float> TensorToF32(const gguf::TensorInfo& t) {
  const int64_t cols = t.ne[0];
  const int64_t rows = t.n_elements() / cols;
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  const size_t row_bytes = tensor::RowBytes(t.type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    tensor::DequantizeRow(t.type, t.data + static_cast<size_t>(r) * row_bytes,
                          out.data() + static_cast<size_t>(r * cols), cols);
  }
  return out;
}

// Keys sangam adds to llama.cpp's so an rsLoRA adapter (and its dropout) reads back exactly.
constexpr const char* kKeyRslora = "adapter.lora.sangam.rslora";
constexpr const char* kKeyAlpha = "adapter.lora.sangam.alpha";
constexpr const char* kKeyDropout = "adapter.lora.sangam.dropout";

}  // namespace

const char* LoraTargetName(LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ:
      return "q";
    case LoraTarget::kK:
      return "k";
    case LoraTarget::kV:
      return "v";
    case LoraTarget::kO:
      return "o";
    case LoraTarget::kGate:
      return "gate";
    case LoraTarget::kUp:
      return "up";
    case LoraTarget::kDown:
      return "down";
  }
  return "?";
}

const char* LoraTargetHfName(LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ:
      return "q_proj";
    case LoraTarget::kK:
      return "k_proj";
    case LoraTarget::kV:
      return "v_proj";
    case LoraTarget::kO:
      return "o_proj";
    case LoraTarget::kGate:
      return "gate_proj";
    case LoraTarget::kUp:
      return "up_proj";
    case LoraTarget::kDown:
      return "down_proj";
  }
  return "?";
}

std::string LoraTargetTensorName(LoraTarget t, int64_t layer) {
  return "blk." + std::to_string(layer) + "." + GgufSuffix(t) + ".weight";
}

LoraDims LoraTargetDims(LoraTarget t, const Hparams& hp) {
  switch (t) {
    case LoraTarget::kQ:
      return {hp.n_embd, hp.n_embd_q()};
    case LoraTarget::kK:
    case LoraTarget::kV:
      return {hp.n_embd, hp.n_embd_kv()};
    case LoraTarget::kO:
      return {hp.n_embd_q(), hp.n_embd};
    case LoraTarget::kGate:
    case LoraTarget::kUp:
      return {hp.n_embd, hp.n_ff};
    case LoraTarget::kDown:
      return {hp.n_ff, hp.n_embd};
  }
  return {};
}

Result<std::vector<LoraTarget>> ParseLoraTargets(const std::string& list) {
  std::vector<LoraTarget> out;
  auto add = [&out](LoraTarget t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(start, end - start);
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : Lower(item.substr(b, e - b + 1));
    bool found = false;
    if (item == "all" || item == "all-linear") {
      for (LoraTarget t : kAllTargets) add(t);
      found = true;
    }
    for (LoraTarget t : kAllTargets) {
      if (!found && (item == LoraTargetName(t) || item == LoraTargetHfName(t))) {
        add(t);
        found = true;
      }
    }
    if (!found) {
      return InvalidArgumentError(
          "lora: unknown target '" + item + "' in '" + list +
          "'; valid targets: q,k,v,o,gate,up,down (or all; Hugging Face names "
          "q_proj ... down_proj are accepted too)");
    }
    start = end + 1;
  }
  return out;
}

float LoraAdapter::scale() const {
  if (rank <= 0) return 0.0f;
  const double r = static_cast<double>(rank);
  return static_cast<float>(static_cast<double>(alpha) / (rslora ? std::sqrt(r) : r));
}

Status ValidateLoraAdapter(const LoraAdapter& adapter, const Hparams& hp) {
  if (!adapter.arch.empty() && adapter.arch != hp.arch) {
    return InvalidArgumentError("lora: the adapter is for architecture '" + adapter.arch +
                                "', but the model is '" + hp.arch + "'");
  }
  if (adapter.rank < 1 || adapter.rank > (int64_t{1} << 20)) {
    return InvalidArgumentError(
        StrFormat("lora: rank must be >= 1, got %lld", static_cast<long long>(adapter.rank)));
  }
  if (!std::isfinite(adapter.alpha)) return InvalidArgumentError("lora: alpha is not finite");
  std::set<std::pair<int64_t, int>> seen;
  const auto r = static_cast<size_t>(adapter.rank);
  for (const LoraPair& p : adapter.pairs) {
    if (p.layer < 0 || p.layer >= hp.n_layer) {
      return InvalidArgumentError(
          StrFormat("lora: a pair targets layer %lld (%s), but the model has %lld layers",
                    static_cast<long long>(p.layer), LoraTargetName(p.target),
                    static_cast<long long>(hp.n_layer)));
    }
    const std::string name = LoraTargetTensorName(p.target, p.layer);
    if (!seen.insert({p.layer, static_cast<int>(p.target)}).second) {
      return InvalidArgumentError("lora: " + name + ": more than one pair for this weight");
    }
    const LoraDims d = LoraTargetDims(p.target, hp);
    if (p.n_in != d.n_in) {
      return InvalidArgumentError(StrFormat("lora: %s: lora_a has %lld columns, model has %lld",
                                            name.c_str(), static_cast<long long>(p.n_in),
                                            static_cast<long long>(d.n_in)));
    }
    if (p.n_out != d.n_out) {
      return InvalidArgumentError(StrFormat("lora: %s: lora_b has %lld rows, model has %lld",
                                            name.c_str(), static_cast<long long>(p.n_out),
                                            static_cast<long long>(d.n_out)));
    }
    if (p.a.size() != r * static_cast<size_t>(p.n_in)) {
      return InvalidArgumentError(StrFormat(
          "lora: %s: lora_a holds %zu values, expected rank %lld x %lld", name.c_str(), p.a.size(),
          static_cast<long long>(adapter.rank), static_cast<long long>(p.n_in)));
    }
    if (p.b.size() != r * static_cast<size_t>(p.n_out)) {
      return InvalidArgumentError(StrFormat(
          "lora: %s: lora_b holds %zu values, expected %lld x rank %lld", name.c_str(), p.b.size(),
          static_cast<long long>(p.n_out), static_cast<long long>(adapter.rank)));
    }
  }
  return Status::Ok();
}

Result<LoraAdapter> LoadLoraGguf(const std::string& path, const Hparams& hp) {
  ASSIGN_OR_RETURN(auto f, gguf::File::Open(path));
  auto err = [&path](const std::string& msg) {
    return InvalidArgumentError("lora: " + path + ": " + msg);
  };
  ASSIGN_OR_RETURN(std::string type, f->GetStringOr("general.type", ""));
  if (type != "adapter") {
    return err("general.type is '" + type +
               "', expected 'adapter' (is this a model, not a LoRA "
               "adapter?)");
  }
  ASSIGN_OR_RETURN(std::string atype, f->GetStringOr("adapter.type", ""));
  if (atype != "lora") return err("adapter.type is '" + atype + "', expected 'lora'");
  LoraAdapter ad;
  ASSIGN_OR_RETURN(ad.arch, f->GetStringOr("general.architecture", ""));
  if (ad.arch != hp.arch) {
    return err("the adapter is for architecture '" + ad.arch + "', but the model is '" + hp.arch +
               "'");
  }
  ASSIGN_OR_RETURN(ad.base_name, f->GetStringOr("general.base_model.0.name", ""));
  ASSIGN_OR_RETURN(const float file_alpha, f->GetF32Or("adapter.lora.alpha", 0.0f));
  ASSIGN_OR_RETURN(ad.rslora, f->GetBoolOr(kKeyRslora, false));
  ASSIGN_OR_RETURN(ad.alpha, f->GetF32Or(kKeyAlpha, file_alpha));
  ASSIGN_OR_RETURN(ad.dropout, f->GetF32Or(kKeyDropout, 0.0f));

  // Bundle "<base>.lora_a" / "<base>.lora_b" by base name, in file order.
  struct Ab {
    const gguf::TensorInfo* a = nullptr;
    const gguf::TensorInfo* b = nullptr;
  };
  std::vector<std::string> order;
  std::map<std::string, Ab> ab;
  for (const gguf::TensorInfo& t : f->tensors()) {
    const bool is_a = EndsWith(t.name, ".lora_a"), is_b = EndsWith(t.name, ".lora_b");
    if (!is_a && !is_b) {
      // llama.cpp ignores norm vectors that mergekit adds; so does sangam.
      if (EndsWith(t.name, "_norm.weight")) continue;
      return err("tensor '" + t.name + "' is neither a .lora_a nor a .lora_b tensor");
    }
    const std::string base = t.name.substr(0, t.name.size() - 7);
    if (ab.find(base) == ab.end()) order.push_back(base);
    (is_a ? ab[base].a : ab[base].b) = &t;
  }
  for (const std::string& base : order) {
    const Ab& w = ab[base];
    if (w.a == nullptr || w.b == nullptr) {
      return err("LoRA pair for '" + base + "' is missing its " +
                 (w.a == nullptr ? "lora_a" : "lora_b") + " tensor");
    }
    LoraPair p;
    if (!ParseBaseName(base, &p.layer, &p.target)) {
      return UnimplementedError(
          "lora: " + path + ": tensor '" + base +
          "' is not supported: sangam applies LoRA to the "
          "attention and FFN projections only (attn_q, attn_k, attn_v, attn_output, ffn_gate, "
          "ffn_up, ffn_down)");
    }
    const LoraDims d = LoraTargetDims(p.target, hp);
    if (w.a->n_dims != 2 || w.b->n_dims != 2) return err("'" + base + "' lora tensors must be 2-D");
    const int64_t rank = w.a->ne[1];
    if (w.b->ne[0] != rank) {
      return err(StrFormat("'%s': lora_a has rank %lld (ne[1]) but lora_b has %lld (ne[0])",
                           base.c_str(), static_cast<long long>(rank),
                           static_cast<long long>(w.b->ne[0])));
    }
    if (w.a->ne[0] != d.n_in || w.b->ne[1] != d.n_out) {
      return err(StrFormat(
          "'%s' has incorrect shape: lora_a ne={%lld,%lld}, lora_b ne={%lld,%lld}, "
          "model weight ne={%lld,%lld} (wrong base model?)",
          base.c_str(), static_cast<long long>(w.a->ne[0]), static_cast<long long>(w.a->ne[1]),
          static_cast<long long>(w.b->ne[0]), static_cast<long long>(w.b->ne[1]),
          static_cast<long long>(d.n_in), static_cast<long long>(d.n_out)));
    }
    if (ad.rank == 0) ad.rank = rank;
    if (rank != ad.rank) {
      return UnimplementedError(StrFormat(
          "lora: %s: '%s' has rank %lld but earlier pairs have rank %lld; sangam supports one rank "
          "per adapter",
          path.c_str(), base.c_str(), static_cast<long long>(rank),
          static_cast<long long>(ad.rank)));
    }
    p.n_in = d.n_in;
    p.n_out = d.n_out;
    p.a = TensorToF32(*w.a);
    p.b = TensorToF32(*w.b);
    ad.pairs.push_back(std::move(p));
  }
  if (ad.pairs.empty()) return err("the adapter has no LoRA tensors");
  // llama.cpp: alpha == 0 (or absent) means scale = 1 (times the user's multiplier).
  if (ad.alpha == 0.0f) {
    ad.alpha = ad.rslora ? std::sqrt(static_cast<float>(ad.rank)) : static_cast<float>(ad.rank);
  }
  RETURN_IF_ERROR(ValidateLoraAdapter(ad, hp).WithPrefix(path));
  return ad;
}

Result<LoraAdapter> LoadLoraAdapter(const std::string& path, const Hparams& hp) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return NotFoundError("lora: cannot open '" + path + "': " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return LoadPeftAdapter(path, hp);
  char magic[4] = {0, 0, 0, 0};
  FILE* fp = std::fopen(path.c_str(), "rb");
  if (fp == nullptr) {
    return NotFoundError("lora: cannot open '" + path + "': " + std::strerror(errno));
  }
  if (std::fread(magic, 1, 4, fp) != 4) magic[0] = 0;
  std::fclose(fp);
  if (std::memcmp(magic, "GGUF", 4) == 0) return LoadLoraGguf(path, hp);
  if (EndsWith(path, ".safetensors") || EndsWith(path, "adapter_config.json")) {
    const size_t slash = path.find_last_of('/');
    return LoadPeftAdapter(slash == std::string::npos ? "." : path.substr(0, slash), hp);
  }
  return InvalidArgumentError("lora: '" + path +
                              "' is neither a GGUF adapter (no GGUF magic) nor "
                              "a PEFT adapter directory (adapter_config.json + "
                              "adapter_model.safetensors)");
}

Status SaveLoraGguf(const LoraAdapter& adapter, const Hparams& hp, const std::string& path) {
  RETURN_IF_ERROR(ValidateLoraAdapter(adapter, hp));
  gguf::Writer w;
  w.Set("general.architecture", gguf::Value::Str(hp.arch));
  w.Set("general.type", gguf::Value::Str("adapter"));
  w.Set("general.file_type", gguf::Value::U32(0));  // ALL_F32
  if (!adapter.base_name.empty()) {
    w.Set("general.base_model.count", gguf::Value::U32(1));
    w.Set("general.base_model.0.name", gguf::Value::Str(adapter.base_name));
  }
  w.Set("adapter.type", gguf::Value::Str("lora"));
  // llama.cpp's scale is alpha / rank; an rsLoRA adapter needs alpha * sqrt(rank) there.
  const float ggml_alpha =
      adapter.rslora ? adapter.alpha * std::sqrt(static_cast<float>(adapter.rank)) : adapter.alpha;
  w.Set("adapter.lora.alpha", gguf::Value::F32(ggml_alpha));
  w.Set(kKeyRslora, gguf::Value::Bool(adapter.rslora));
  w.Set(kKeyAlpha, gguf::Value::F32(adapter.alpha));
  w.Set(kKeyDropout, gguf::Value::F32(adapter.dropout));
  // Pairs in model order (layer, then q,k,v,o,gate,up,down), lora_a before lora_b, as
  // convert_lora_to_gguf.py writes them.
  std::vector<const LoraPair*> sorted;
  for (const LoraPair& p : adapter.pairs) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const LoraPair* x, const LoraPair* y) {
    return std::make_pair(x->layer, static_cast<int>(x->target)) <
           std::make_pair(y->layer, static_cast<int>(y->target));
  });
  for (const LoraPair* p : sorted) {
    const std::string base = LoraTargetTensorName(p->target, p->layer);
    RETURN_IF_ERROR(
        w.AddTensor(base + ".lora_a", tensor::DType::kF32, {p->n_in, adapter.rank}, p->a.data()));
    RETURN_IF_ERROR(
        w.AddTensor(base + ".lora_b", tensor::DType::kF32, {adapter.rank, p->n_out}, p->b.data()));
  }
  return w.Write(path);
}

}  // namespace sangam::model
