// InitModel (sangam init): a randomly initialized model of any registered architecture as GGUF.
//
// Initialization (GPT-2 style): every matrix ~ N(0, init_std), except the residual-output
// projections attn_output and ffn_down ~ N(0, init_std / sqrt(2 * n_layer)); Q/K/V biases
// ~ N(0, init_std) (nonzero so a fresh model exercises the bias path); norms = 1.
// Determinism: each tensor is split into fixed groups of rows, and each group has its own RNG
// seeded from (seed, tensor name, group index), so the output does not depend on thread count.
#include <cmath>
#include <cstring>
#include <filesystem>

#include "model/arch.h"
#include "model/ftype.h"
#include "model/gguf_stream.h"
#include "sangam/llama2c.h"
#include "sangam/model.h"

namespace sangam::model {
namespace {

using gguf::Value;
using tensor::DType;
using Metadata = std::vector<std::pair<std::string, Value>>;

// splitmix64: seeds and the normal generator's uniform bits.
uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t HashName(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Fills out[0..n) with N(0, std) values (Box-Muller on 53-bit uniforms).
void FillNormal(uint64_t& state, float std, float* out, int64_t n) {
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = (static_cast<double>(SplitMix(state) >> 11) + 1.0) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(SplitMix(state) >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = static_cast<float>(r * std::cos(kTwoPi * u2)) * std;
    if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(kTwoPi * u2)) * std;
  }
}

// sangam's byte vocabulary: <unk>, <s>, </s>, the 256 byte tokens, and "▁" (the SentencePiece
// space, so spaces decode back to spaces; every other byte goes through byte fallback).
Metadata ByteVocab() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(StrFormat("<0x%02X>", b));
    types.push_back(6);
  }
  tokens.push_back("\xE2\x96\x81");
  types.push_back(1);
  std::vector<float> scores(tokens.size(), 0.0f);
  return {
      {"tokenizer.ggml.model", Value::Str("llama")},
      {"tokenizer.ggml.tokens", Value::StrArray(tokens)},
      {"tokenizer.ggml.scores", Value::F32Array(scores)},
      {"tokenizer.ggml.token_type", Value::I32Array(types)},
      {"tokenizer.ggml.bos_token_id", Value::U32(1)},
      {"tokenizer.ggml.eos_token_id", Value::U32(2)},
      {"tokenizer.ggml.unknown_token_id", Value::U32(0)},
      {"tokenizer.ggml.add_bos_token", Value::Bool(true)},
      {"tokenizer.ggml.add_eos_token", Value::Bool(false)},
      {"tokenizer.ggml.add_space_prefix", Value::Bool(false)},
  };
}

Result<Metadata> TokenizerMetadata(const std::string& source) {
  if (source == "bytes") return ByteVocab();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec)) {
    return NotFoundError("model: tokenizer source '" + source +
                         "' is neither \"bytes\" nor an existing file (GGUF or llama2.c "
                         "tokenizer.bin)");
  }
  char magic[4] = {0, 0, 0, 0};
  if (FILE* fp = std::fopen(source.c_str(), "rb")) {
    if (std::fread(magic, 1, 4, fp) != 4) magic[0] = 0;
    std::fclose(fp);
  }
  if (std::memcmp(magic, "GGUF", 4) == 0) {
    ASSIGN_OR_RETURN(auto f, gguf::File::Open(source));
    Metadata out;
    for (const auto& kv : f->metadata()) {
      if (kv.first.rfind("tokenizer.", 0) == 0) out.push_back(kv);
    }
    if (f->Find("tokenizer.ggml.tokens") == nullptr) {
      return NotFoundError("model: tokenizer source " + source +
                           " has no tokenizer.ggml.tokens (not a vocabulary GGUF)");
    }
    return out;
  }
  auto md = llama2c::LoadLlama2cTokenizer(source, 0);
  if (!md.ok()) return md.status().WithPrefix("model: tokenizer source " + source);
  return std::move(*md);
}

Value* FindKey(Metadata& md, const std::string& key) {
  for (auto& kv : md) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

// Appends unused "<pad_N>" tokens until the vocabulary size is a multiple of `multiple`.
Result<int64_t> PadVocab(Metadata& md, int64_t multiple) {
  Value* tokens = FindKey(md, "tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != gguf::ValueType::kArray ||
      tokens->elem_type != gguf::ValueType::kString || tokens->arr.empty()) {
    return InvalidArgumentError("model: the tokenizer has no tokenizer.ggml.tokens string array");
  }
  int64_t n = static_cast<int64_t>(tokens->arr.size());
  if (multiple <= 1 || n % multiple == 0) return n;
  Value* scores = FindKey(md, "tokenizer.ggml.scores");
  Value* types = FindKey(md, "tokenizer.ggml.token_type");
  while (n % multiple != 0) {
    tokens->arr.push_back(Value::Str(StrFormat("<pad_%lld>", static_cast<long long>(n))));
    if (scores != nullptr && scores->type == gguf::ValueType::kArray) {
      Value v = Value::F32(0.0f);
      v.type = scores->elem_type;
      scores->arr.push_back(v);
    }
    if (types != nullptr && types->type == gguf::ValueType::kArray) {
      Value v = Value::I32(5);  // unused
      v.type = types->elem_type;
      v.u = 5;
      types->arr.push_back(v);
    }
    ++n;
  }
  return n;
}

struct InitTensor {
  StreamTensor st;
  enum Kind { kOnes, kNormal } kind = kNormal;
  float std = 0.0f;
};

Status ValidateInit(const InitOptions& o) {
  auto pos = [](const char* what, int64_t v) -> Status {
    if (v <= 0 || v > (int64_t{1} << 24)) {
      return InvalidArgumentError(StrFormat("model: init: %s must be in [1, 2^24], got %lld", what,
                                            static_cast<long long>(v)));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(pos("n_embd", o.n_embd));
  RETURN_IF_ERROR(pos("n_layer", o.n_layer));
  RETURN_IF_ERROR(pos("n_head", o.n_head));
  RETURN_IF_ERROR(pos("n_head_kv", o.n_head_kv));
  RETURN_IF_ERROR(pos("n_ff", o.n_ff));
  RETURN_IF_ERROR(pos("n_ctx", o.n_ctx));
  if (o.n_embd % o.n_head != 0 || (o.n_embd / o.n_head) % 2 != 0) {
    return InvalidArgumentError(StrFormat(
        "model: init: n_embd (%lld) must be a multiple of n_head (%lld) with an even head size",
        static_cast<long long>(o.n_embd), static_cast<long long>(o.n_head)));
  }
  if (o.n_head % o.n_head_kv != 0) {
    return InvalidArgumentError(StrFormat("model: init: n_head (%lld) must be a multiple of "
                                          "n_head_kv (%lld)",
                                          static_cast<long long>(o.n_head),
                                          static_cast<long long>(o.n_head_kv)));
  }
  if (!IsWeightType(o.type)) {
    return InvalidArgumentError(std::string("model: init: cannot store weights as ") +
                                tensor::Traits(o.type).name);
  }
  if (!(o.init_std >= 0.0f) || !std::isfinite(o.init_std)) {
    return InvalidArgumentError("model: init: init_std must be a finite number >= 0");
  }
  if (!(o.norm_eps > 0.0f) || !(o.rope_freq_base > 0.0f)) {
    return InvalidArgumentError("model: init: norm_eps and rope_freq_base must be positive");
  }
  return Status::Ok();
}

}  // namespace

Status InitModel(const InitOptions& o, const std::string& out_path, ThreadPool& pool) {
  const ArchSpec* arch = FindArch(o.arch);
  if (arch == nullptr) {
    std::string list;
    for (const std::string& a : SupportedArchitectures()) list += (list.empty() ? "" : ", ") + a;
    return InvalidArgumentError("model: init: unknown architecture '" + o.arch +
                                "' (supported: " + list + ")");
  }
  RETURN_IF_ERROR(ValidateInit(o));
  ASSIGN_OR_RETURN(Metadata tok, TokenizerMetadata(o.tokenizer));
  ASSIGN_OR_RETURN(const int64_t n_vocab, PadVocab(tok, o.n_vocab_pad_to));

  const std::string p = arch->name + ".";
  Metadata md = {
      {"general.architecture", Value::Str(arch->name)},
      {"general.name", Value::Str(o.name)},
      {"general.file_type", Value::U32(LlamaFileType(o.type))},
  };
  if (tensor::Traits(o.type).quantized) md.push_back({"general.quantization_version", Value::U32(2)});
  md.push_back({p + "vocab_size", Value::U32(static_cast<uint32_t>(n_vocab))});
  md.push_back({p + "context_length", Value::U32(static_cast<uint32_t>(o.n_ctx))});
  md.push_back({p + "embedding_length", Value::U32(static_cast<uint32_t>(o.n_embd))});
  md.push_back({p + "block_count", Value::U32(static_cast<uint32_t>(o.n_layer))});
  md.push_back({p + "feed_forward_length", Value::U32(static_cast<uint32_t>(o.n_ff))});
  md.push_back({p + "attention.head_count", Value::U32(static_cast<uint32_t>(o.n_head))});
  md.push_back({p + "attention.head_count_kv", Value::U32(static_cast<uint32_t>(o.n_head_kv))});
  md.push_back({p + "attention.layer_norm_rms_epsilon", Value::F32(o.norm_eps)});
  md.push_back({p + "rope.freq_base", Value::F32(o.rope_freq_base)});
  md.push_back({p + "rope.dimension_count", Value::U32(static_cast<uint32_t>(o.n_embd / o.n_head))});
  md.push_back({"sangam.init.seed", Value::U64(o.seed)});
  md.push_back({"sangam.init.std", Value::F32(o.init_std)});
  for (auto& kv : tok) md.push_back(std::move(kv));

  // Tensor list in GGUF converter order: required roles, plus output.weight when untied.
  Hparams hp;
  hp.n_vocab = n_vocab;
  hp.n_embd = o.n_embd;
  hp.n_head = o.n_head;
  hp.n_head_kv = o.n_head_kv;
  hp.n_ff = o.n_ff;
  hp.n_rot = o.n_embd / o.n_head;
  const float out_std = o.init_std / std::sqrt(2.0f * static_cast<float>(o.n_layer));
  std::vector<InitTensor> tensors;
  auto add = [&](Role r, int64_t layer) {
    const RoleInfo& ri = GetRoleInfo(r);
    InitTensor t;
    t.st.name = ri.per_layer ? "blk." + std::to_string(layer) + "." + ri.name : ri.name;
    t.st.ne.push_back(Resolve(ri.ne0, hp));
    if (ri.ne1 != Dim::kNone) {
      t.st.ne.push_back(Resolve(ri.ne1, hp));
      t.st.type = StorageTypeFor(o.type, t.st.ne[0]);
      t.std = (r == Role::kAttnOut || r == Role::kFfnDown) ? out_std : o.init_std;
    } else if (r == Role::kAttnNorm || r == Role::kFfnNorm || r == Role::kOutputNorm) {
      t.kind = InitTensor::kOnes;
    } else {
      t.std = o.init_std;
    }
    tensors.push_back(std::move(t));
  };
  for (int ri = 0; ri < kNumRoles; ++ri) {
    const Role r = static_cast<Role>(ri);
    if (GetRoleInfo(r).per_layer) continue;
    const bool want = arch->Get(r) == Need::kRequired || (r == Role::kOutput && !o.tied_output &&
                                                          arch->Get(r) != Need::kUnused);
    if (want) add(r, 0);
  }
  for (int64_t l = 0; l < o.n_layer; ++l) {
    for (int ri = 0; ri < kNumRoles; ++ri) {
      const Role r = static_cast<Role>(ri);
      if (GetRoleInfo(r).per_layer && arch->Get(r) == Need::kRequired) add(r, l);
    }
  }

  std::vector<StreamTensor> layout;
  for (const InitTensor& t : tensors) layout.push_back(t.st);
  const uint64_t seed = o.seed;
  auto fill = [&](size_t i, void* dst, size_t) -> Status {
    const InitTensor& t = tensors[i];
    const int64_t cols = t.st.ne[0];
    const int64_t rows = t.st.ne.size() > 1 ? t.st.ne[1] : 1;
    const size_t row_bytes = tensor::RowBytes(t.st.type, cols);
    uint8_t* out = static_cast<uint8_t*>(dst);
    if (t.kind == InitTensor::kOnes) {
      std::vector<float> ones(static_cast<size_t>(cols), 1.0f);
      for (int64_t r = 0; r < rows; ++r) {
        tensor::QuantizeRow(t.st.type, ones.data(), out + static_cast<size_t>(r) * row_bytes, cols);
      }
      return Status::Ok();
    }
    const int64_t group_rows = std::max<int64_t>(1, 65536 / cols);
    const int64_t n_groups = (rows + group_rows - 1) / group_rows;
    const uint64_t name_hash = HashName(t.st.name);
    std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()));
    pool.ParallelFor(n_groups, [&](int64_t g, int thread) {
      std::vector<float>& row = scratch[static_cast<size_t>(thread)];
      row.resize(static_cast<size_t>(cols));
      uint64_t s0 = seed ^ name_hash;
      uint64_t state = SplitMix(s0) ^ (static_cast<uint64_t>(g) * 0xd1b54a32d192ed03ull);
      const int64_t r_end = std::min(rows, (g + 1) * group_rows);
      for (int64_t r = g * group_rows; r < r_end; ++r) {
        FillNormal(state, t.std, row.data(), cols);
        tensor::QuantizeRow(t.st.type, row.data(), out + static_cast<size_t>(r) * row_bytes, cols);
      }
    });
    return Status::Ok();
  };
  return WriteGgufStreaming(md, 32, layout, fill, out_path);
}

}  // namespace sangam::model
