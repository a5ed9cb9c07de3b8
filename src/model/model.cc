// Model::Load: format detection, architecture lookup, tensor binding and validation.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "model/model_impl.h"

namespace sangam::model {
namespace {

std::string ShapeString(const int64_t* ne, uint32_t n_dims) {
  std::string s = "[";
  for (uint32_t i = 0; i < n_dims; ++i) {
    if (i) s += ", ";
    s += std::to_string(ne[i]);
  }
  return s + "]";
}

std::string TensorName(const RoleInfo& ri, int64_t layer) {
  if (!ri.per_layer) return ri.name;
  return "blk." + std::to_string(layer) + "." + ri.name;
}

// Finds a tensor and checks its shape; nullptr (with OK status) when absent and optional.
Result<const gguf::TensorInfo*> FindChecked(const gguf::File& f, const ArchSpec& arch,
                                            const Hparams& hp, Role role, int64_t layer) {
  const RoleInfo& ri = GetRoleInfo(role);
  const std::string name = TensorName(ri, layer);
  const gguf::TensorInfo* t = f.FindTensor(name);
  if (t == nullptr) {
    if (arch.Get(role) == Need::kRequired) {
      return NotFoundError("model: tensor '" + name + "' is missing from " + f.path() +
                           " (required by architecture '" + arch.name + "')");
    }
    return static_cast<const gguf::TensorInfo*>(nullptr);
  }
  const bool is_matrix = ri.ne1 != Dim::kNone;
  int64_t want[2] = {Resolve(ri.ne0, hp), Resolve(ri.ne1, hp)};
  const uint32_t want_dims = is_matrix ? 2 : 1;
  bool ok = t->ne[0] == want[0] && (!is_matrix || t->ne[1] == want[1]);
  for (int i = static_cast<int>(want_dims); i < 4; ++i) ok = ok && t->ne[i] == 1;
  if (!ok) {
    return InvalidArgumentError("model: tensor '" + name + "' has shape " +
                                ShapeString(t->ne, t->n_dims) + ", expected " +
                                ShapeString(want, want_dims));
  }
  const tensor::DTypeTraits* tr = tensor::FindDTypeTraits(static_cast<uint32_t>(t->type));
  if (tr == nullptr || t->type == tensor::DType::kQ8_K) {
    return UnimplementedError("model: tensor '" + name + "' has type " +
                              tensor::GgmlTypeName(static_cast<uint32_t>(t->type)) +
                              ", which sangam cannot compute with");
  }
  if (t->ne[0] % tr->block_size != 0) {
    return InvalidArgumentError(StrFormat("model: tensor '%s' row length %lld is not a multiple "
                                          "of the %s block size %lld",
                                          name.c_str(), static_cast<long long>(t->ne[0]), tr->name,
                                          static_cast<long long>(tr->block_size)));
  }
  if (t->data == nullptr && t->n_bytes > 0) {
    return DataLossError("model: tensor '" + name + "' has no data");
  }
  return t;
}

std::vector<float> ToF32(const gguf::TensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.ne[0]));
  tensor::DequantizeRow(t.type, t.data, out.data(), t.ne[0]);
  return out;
}

}  // namespace

int64_t Resolve(Dim d, const Hparams& hp) {
  switch (d) {
    case Dim::kNone: return 1;
    case Dim::kEmbd: return hp.n_embd;
    case Dim::kVocab: return hp.n_vocab;
    case Dim::kEmbdQ: return hp.n_embd_q();
    case Dim::kEmbdKv: return hp.n_embd_kv();
    case Dim::kFf: return hp.n_ff;
    case Dim::kRotHalf: return hp.n_rot / 2;
  }
  return 0;
}

Result<Weights> BindWeights(const gguf::File& f, const ArchSpec& arch, Hparams& hp) {
  Weights w;
  // The vocabulary size comes from the embedding matrix (GGUF has no required key for it).
  const gguf::TensorInfo* emb = f.FindTensor("token_embd.weight");
  if (emb == nullptr) {
    return NotFoundError("model: tensor 'token_embd.weight' is missing from " + f.path() +
                         " (required by architecture '" + arch.name + "')");
  }
  hp.n_vocab = emb->ne[1];
  if (hp.n_vocab <= 0 || hp.n_vocab > (int64_t{1} << 31) - 1) {
    return InvalidArgumentError("model: tensor 'token_embd.weight' has an invalid vocabulary size");
  }
  const std::string vocab_key = arch.name + ".vocab_size";
  if (f.Find(vocab_key) != nullptr) {
    auto v = f.GetI64(vocab_key);
    if (!v.ok()) return v.status().WithPrefix("model");
    if (*v != hp.n_vocab) {
      return InvalidArgumentError(StrFormat(
          "model: key '%s' = %lld disagrees with token_embd.weight's %lld rows", vocab_key.c_str(),
          static_cast<long long>(*v), static_cast<long long>(hp.n_vocab)));
    }
  }

  ASSIGN_OR_RETURN(const gguf::TensorInfo* t, FindChecked(f, arch, hp, Role::kTokEmbd, 0));
  w.tok_embd = t->AsMatrix();
  ASSIGN_OR_RETURN(t, FindChecked(f, arch, hp, Role::kOutputNorm, 0));
  w.output_norm = ToF32(*t);
  hp.tied_output = true;
  w.output = w.tok_embd;
  if (arch.Get(Role::kOutput) != Need::kUnused) {
    ASSIGN_OR_RETURN(t, FindChecked(f, arch, hp, Role::kOutput, 0));
    if (t != nullptr) {
      w.output = t->AsMatrix();
      hp.tied_output = false;
    }
  }
  if (arch.Get(Role::kRopeFreqs) != Need::kUnused && hp.n_rot > 0) {
    ASSIGN_OR_RETURN(t, FindChecked(f, arch, hp, Role::kRopeFreqs, 0));
    if (t != nullptr) {
      w.rope_freqs = ToF32(*t);
      for (float v : w.rope_freqs) {
        if (!(v > 0.0f) || !std::isfinite(v)) {
          return InvalidArgumentError("model: tensor 'rope_freqs.weight' holds a non-positive "
                                      "or non-finite factor");
        }
      }
    }
  }
  if (w.rope_freqs.empty() && hp.rope_scaling_type == "llama3") w.rope_freqs = Llama3RopeFactors(hp);

  hp.qkv_bias = false;
  w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    LayerWeights& lw = w.layers[static_cast<size_t>(l)];
    struct MatSlot {
      Role role;
      tensor::MatrixView* view;
    };
    const MatSlot mats[] = {{Role::kAttnQ, &lw.wq},    {Role::kAttnK, &lw.wk},
                            {Role::kAttnV, &lw.wv},    {Role::kAttnOut, &lw.wo},
                            {Role::kFfnGate, &lw.gate}, {Role::kFfnUp, &lw.up},
                            {Role::kFfnDown, &lw.down}};
    for (const MatSlot& m : mats) {
      if (arch.Get(m.role) == Need::kUnused) continue;
      ASSIGN_OR_RETURN(t, FindChecked(f, arch, hp, m.role, l));
      if (t == nullptr) {
        return UnimplementedError("model: optional tensor '" + TensorName(GetRoleInfo(m.role), l) +
                                  "' is absent, which the forward pass does not support");
      }
      *m.view = t->AsMatrix();
    }
    struct VecSlot {
      Role role;
      std::vector<float>* vec;
    };
    const VecSlot vecs[] = {{Role::kAttnNorm, &lw.attn_norm}, {Role::kFfnNorm, &lw.ffn_norm},
                            {Role::kAttnQBias, &lw.bq},       {Role::kAttnKBias, &lw.bk},
                            {Role::kAttnVBias, &lw.bv}};
    for (const VecSlot& v : vecs) {
      if (arch.Get(v.role) == Need::kUnused) continue;
      ASSIGN_OR_RETURN(t, FindChecked(f, arch, hp, v.role, l));
      if (t != nullptr) *v.vec = ToF32(*t);
    }
    if (lw.attn_norm.empty() || lw.ffn_norm.empty()) {
      return UnimplementedError(StrFormat("model: layer %lld has no attention/FFN norm",
                                          static_cast<long long>(l)));
    }
    if (!lw.bq.empty() || !lw.bk.empty() || !lw.bv.empty()) hp.qkv_bias = true;
  }
  return w;
}

size_t ModelImpl::weight_bytes_per_token() const {
  auto bytes = [](const tensor::MatrixView& m) { return static_cast<size_t>(m.rows) * m.row_stride; };
  size_t total = w_.tok_embd.row_stride + bytes(w_.output);
  for (const LayerWeights& l : w_.layers) {
    total += bytes(l.wq) + bytes(l.wk) + bytes(l.wv) + bytes(l.wo) + bytes(l.gate) + bytes(l.up) +
             bytes(l.down);
    total += (l.attn_norm.size() + l.ffn_norm.size() + l.bq.size() + l.bk.size() + l.bv.size()) *
             sizeof(float);
  }
  return total + w_.output_norm.size() * sizeof(float);
}

int64_t ModelImpl::matmul_params_per_token() const {
  auto n = [](const tensor::MatrixView& m) { return m.rows * m.cols; };
  int64_t total = n(w_.output);
  for (const LayerWeights& l : w_.layers) {
    total += n(l.wq) + n(l.wk) + n(l.wv) + n(l.wo) + n(l.gate) + n(l.up) + n(l.down);
  }
  return total;
}

int64_t ModelImpl::n_params() const {
  int64_t n = 0;
  for (const gguf::TensorInfo& t : file_->tensors()) {
    if (t.name == "rope_freqs.weight") continue;
    n += t.n_elements();
  }
  return n;
}

Result<std::unique_ptr<Model>> LoadFromGgufFile(std::unique_ptr<gguf::File> file) {
  auto arch_name = file->GetString("general.architecture");
  if (!arch_name.ok()) {
    return NotFoundError("model: key 'general.architecture' is missing from " + file->path() +
                         " (" + arch_name.status().message() + ")");
  }
  const ArchSpec* arch = FindArch(*arch_name);
  if (arch == nullptr) {
    std::string list;
    for (const std::string& a : SupportedArchitectures()) list += (list.empty() ? "" : ", ") + a;
    return UnimplementedError("model: architecture '" + *arch_name + "' of " + file->path() +
                              " is not supported (supported: " + list + ")");
  }
  ASSIGN_OR_RETURN(Hparams hp, ReadHparams(*file, *arch));
  ASSIGN_OR_RETURN(Weights w, BindWeights(*file, *arch, hp));
  auto tok = tokenizer::Tokenizer::FromGguf(*file);
  if (!tok.ok()) return tok.status().WithPrefix("model: " + file->path());
  if ((*tok)->n_vocab() > hp.n_vocab) {
    return InvalidArgumentError(StrFormat(
        "model: the tokenizer has %d tokens but token_embd.weight only %lld rows",
        (*tok)->n_vocab(), static_cast<long long>(hp.n_vocab)));
  }
  return std::unique_ptr<Model>(
      new ModelImpl(std::move(file), *arch, std::move(hp), std::move(w), std::move(*tok)));
}

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const LoadOptions& opts) {
  char magic[4] = {0, 0, 0, 0};
  FILE* fp = std::fopen(path.c_str(), "rb");
  if (fp == nullptr) {
    return NotFoundError("model: cannot open '" + path + "': " + std::strerror(errno));
  }
  const size_t got = std::fread(magic, 1, 4, fp);
  std::fclose(fp);
  if (got == 4 && std::memcmp(magic, "GGUF", 4) == 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> file, gguf::File::Open(path));
    return LoadFromGgufFile(std::move(file));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> file, OpenLlama2c(path, opts));
  return LoadFromGgufFile(std::move(file));
}

}  // namespace sangam::model
