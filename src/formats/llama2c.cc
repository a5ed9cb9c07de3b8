// llama2.c checkpoints and tokenizer.bin, mapped and presented as a llama gguf::File.
#include "sangam/llama2c.h"

#include <climits>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "sangam/file.h"

namespace sangam::llama2c {
namespace {

constexpr uint32_t kMagicAk42 = 0x616b3432;
constexpr size_t kLegacyHeaderBytes = 7 * 4;
constexpr size_t kV1HeaderBytes = 256;

int32_t LoadI32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::string Describe(const Config& c) {
  return StrFormat(
      "dim=%d, hidden_dim=%d, n_layers=%d, n_heads=%d, n_kv_heads=%d, vocab_size=%d, seq_len=%d, "
      "%s classifier, %s",
      c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len,
      c.shared_classifier ? "shared" : "unshared",
      c.version == 0 ? "legacy format" : "export version 1");
}

// Parses and validates the header; sets *header_bytes.
Result<Config> ParseHeader(const uint8_t* data, size_t size, const std::string& path,
                           size_t* header_bytes) {
  const std::string where = "llama2c: " + path + ": ";
  if (size < 8) {
    return DataLossError(StrFormat("%struncated file: %zu bytes is too small for a checkpoint "
                                   "header",
                                   where.c_str(), size));
  }
  Config c;
  const uint8_t* params = data;
  uint32_t magic;
  std::memcpy(&magic, data, 4);
  if (magic == kMagicAk42) {
    int32_t version = LoadI32(data + 4);
    if (version != 1) {
      return UnimplementedError(StrFormat(
          "%sllama2.c export version %d is not supported (supported: legacy and version 1 "
          "fp32); re-export with export.py --version 1",
          where.c_str(), version));
    }
    if (size < kV1HeaderBytes) {
      return DataLossError(StrFormat("%struncated file: %zu bytes is too small for the 256-byte "
                                     "version 1 header",
                                     where.c_str(), size));
    }
    c.version = 1;
    params = data + 8;
    uint8_t shared = data[8 + 7 * 4];
    if (shared > 1) {
      return DataLossError(StrFormat("%sshared_classifier flag is %u, expected 0 or 1",
                                     where.c_str(), shared));
    }
    c.shared_classifier = shared == 1;
    *header_bytes = kV1HeaderBytes;
  } else {
    if (size < kLegacyHeaderBytes) {
      return DataLossError(StrFormat("%struncated file: %zu bytes is too small for the 28-byte "
                                     "checkpoint header",
                                     where.c_str(), size));
    }
    *header_bytes = kLegacyHeaderBytes;
  }
  c.dim = LoadI32(params);
  c.hidden_dim = LoadI32(params + 4);
  c.n_layers = LoadI32(params + 8);
  c.n_heads = LoadI32(params + 12);
  c.n_kv_heads = LoadI32(params + 16);
  c.vocab_size = LoadI32(params + 20);
  c.seq_len = LoadI32(params + 24);
  if (c.version == 0) {
    // Legacy: a negative vocab_size marks an unshared classifier.
    if (c.vocab_size < 0 && c.vocab_size != INT32_MIN) {
      c.vocab_size = -c.vocab_size;
      c.shared_classifier = false;
    }
  }
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
      c.vocab_size <= 0 || c.seq_len <= 0) {
    return DataLossError(where + "invalid hyperparameters (all must be positive): " + Describe(c) +
                         "; is this a llama2.c checkpoint?");
  }
  if (c.dim % c.n_heads != 0) {
    return DataLossError(where + "dim is not a multiple of n_heads: " + Describe(c));
  }
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0) {
    return DataLossError(where + "n_heads is not a multiple of n_kv_heads: " + Describe(c));
  }
  if ((c.dim / c.n_heads) % 2 != 0) {
    return DataLossError(where + "head size dim/n_heads must be even for RoPE: " + Describe(c));
  }
  return c;
}

// Weight arrays in a checkpoint. Layered kinds hold n_layers consecutive matrices.
enum Kind {
  kTokEmb, kRmsAtt, kWq, kWk, kWv, kWo, kRmsFfn, kW1, kW2, kW3, kRmsFinal, kFreqReal, kFreqImag,
  kWcls, kNumKinds
};

struct Layout {
  uint64_t start[kNumKinds] = {};     // in floats from the end of the header
  uint64_t per_layer[kNumKinds] = {}; // floats per layer (or whole size when not layered)
  uint64_t total_floats = 0;
};

bool Layered(Kind k) {
  return k == kRmsAtt || k == kWq || k == kWk || k == kWv || k == kWo || k == kRmsFfn ||
         k == kW1 || k == kW2 || k == kW3;
}

// Computes array offsets with overflow checks; false on overflow.
bool ComputeLayout(const Config& c, Layout* l) {
  const uint64_t dim = static_cast<uint64_t>(c.dim), hid = static_cast<uint64_t>(c.hidden_dim);
  const uint64_t L = static_cast<uint64_t>(c.n_layers), V = static_cast<uint64_t>(c.vocab_size);
  const uint64_t head = dim / static_cast<uint64_t>(c.n_heads);
  const uint64_t kv_dim = head * static_cast<uint64_t>(c.n_kv_heads);
  const uint64_t seq = static_cast<uint64_t>(c.seq_len);
  bool bad = false;
  auto mul = [&bad](uint64_t a, uint64_t b) {
    uint64_t r = 0;
    bad |= __builtin_mul_overflow(a, b, &r);
    return r;
  };
  l->per_layer[kTokEmb] = mul(V, dim);
  l->per_layer[kRmsAtt] = dim;
  l->per_layer[kWq] = mul(dim, dim);
  l->per_layer[kWk] = mul(kv_dim, dim);
  l->per_layer[kWv] = mul(kv_dim, dim);
  l->per_layer[kWo] = mul(dim, dim);
  l->per_layer[kRmsFfn] = dim;
  l->per_layer[kW1] = mul(hid, dim);
  l->per_layer[kW2] = mul(dim, hid);
  l->per_layer[kW3] = mul(hid, dim);
  l->per_layer[kRmsFinal] = dim;
  l->per_layer[kFreqReal] = mul(seq, head / 2);
  l->per_layer[kFreqImag] = mul(seq, head / 2);
  l->per_layer[kWcls] = mul(V, dim);

  static const Kind kLegacyOrder[] = {kTokEmb, kRmsAtt, kWq, kWk, kWv, kWo, kRmsFfn,
                                      kW1, kW2, kW3, kRmsFinal, kFreqReal, kFreqImag, kWcls};
  static const Kind kV1Order[] = {kRmsAtt, kRmsFfn, kRmsFinal, kTokEmb, kWq, kWk, kWv,
                                  kWo, kW1, kW2, kW3, kWcls};
  const Kind* order = c.version == 0 ? kLegacyOrder : kV1Order;
  const size_t n = c.version == 0 ? std::size(kLegacyOrder) : std::size(kV1Order);
  uint64_t off = 0;
  for (size_t i = 0; i < n; ++i) {
    Kind k = order[i];
    if (k == kWcls && c.shared_classifier) continue;
    l->start[k] = off;
    uint64_t size = Layered(k) ? mul(L, l->per_layer[k]) : l->per_layer[k];
    bad |= __builtin_add_overflow(off, size, &off);
  }
  l->total_floats = off;
  return !bad;
}

bool IsByteToken(const std::string& t) {
  auto hex = [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f');
  };
  return t.size() == 6 && t.compare(0, 3, "<0x") == 0 && hex(t[3]) && hex(t[4]) && t[5] == '>';
}

// llama2.c's tokenizer export writes "\n<s>\n" / "\n</s>\n" and spaces for U+2581; undo both.
std::string SentencePieceSpelling(const std::string& t) {
  if (t == "\n<s>\n") return "<s>";
  if (t == "\n</s>\n") return "</s>";
  std::string out;
  out.reserve(t.size());
  for (char ch : t) {
    if (ch == ' ') {
      out += "\xE2\x96\x81";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

Result<Config> ReadConfig(const std::string& checkpoint_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> m, MappedFile::Open(checkpoint_path));
  size_t header_bytes = 0;
  return ParseHeader(m->data(), m->size(), checkpoint_path, &header_bytes);
}

Result<std::vector<std::pair<std::string, gguf::Value>>> LoadLlama2cTokenizer(
    const std::string& tokenizer_path, int32_t n_vocab) {
  const std::string where = "llama2c tokenizer: " + tokenizer_path + ": ";
  if (n_vocab < 0) {
    return InvalidArgumentError(StrFormat("%sn_vocab=%d must be >= 0", where.c_str(), n_vocab));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> m, MappedFile::Open(tokenizer_path));
  const uint8_t* d = m->data();
  const size_t size = m->size();
  if (size < 4) {
    return DataLossError(StrFormat("%struncated file: %zu bytes is too small for the header",
                                   where.c_str(), size));
  }
  int32_t max_len = LoadI32(d);
  if (max_len <= 0) {
    return DataLossError(StrFormat("%sinvalid max_token_length %d; is this a llama2.c "
                                   "tokenizer.bin?",
                                   where.c_str(), max_len));
  }
  std::vector<gguf::Value> tokens, scores, types;
  // Each token takes at least 8 bytes, which bounds the reservation.
  size_t expect = n_vocab > 0 ? static_cast<size_t>(n_vocab) : (size - 4) / 8;
  if (expect > (size - 4) / 8) {
    return DataLossError(StrFormat(
        "%sfile of %zu bytes cannot hold %d tokens (each needs at least 8 bytes); does the "
        "tokenizer match the model's vocab_size?",
        where.c_str(), size, n_vocab));
  }
  tokens.reserve(expect);
  scores.reserve(expect);
  types.reserve(expect);
  size_t pos = 4;
  for (int64_t id = 0; n_vocab > 0 ? id < n_vocab : pos < size; ++id) {
    if (size - pos < 8) {
      return DataLossError(StrFormat("%struncated file: token %lld header at offset %zu needs 8 "
                                     "bytes, only %zu left (expected %d tokens)",
                                     where.c_str(), static_cast<long long>(id), pos, size - pos,
                                     n_vocab));
    }
    float score;
    std::memcpy(&score, d + pos, 4);
    int32_t len = LoadI32(d + pos + 4);
    pos += 8;
    if (len < 0 || static_cast<size_t>(len) > size - pos) {
      return DataLossError(StrFormat("%stoken %lld has length %d at offset %zu, but only %zu bytes "
                                     "are left",
                                     where.c_str(), static_cast<long long>(id), len, pos - 4,
                                     size - pos));
    }
    std::string text = SentencePieceSpelling(
        std::string(reinterpret_cast<const char*>(d + pos), static_cast<size_t>(len)));
    pos += static_cast<size_t>(len);
    int32_t type = 1;  // normal
    if (text == "<unk>") {
      type = 2;
    } else if (text == "<s>" || text == "</s>") {
      type = 3;
    } else if (IsByteToken(text)) {
      type = 6;
    }
    tokens.push_back(gguf::Value::Str(std::move(text)));
    scores.push_back(gguf::Value::F32(score));
    types.push_back(gguf::Value::I32(type));
  }
  if (pos != size) {
    return DataLossError(StrFormat("%s%zu trailing bytes after %d tokens; does the tokenizer match "
                                   "the model's vocab_size?",
                                   where.c_str(), size - pos, n_vocab));
  }
  if (tokens.empty()) return DataLossError(where + "no tokens");
  std::vector<std::pair<std::string, gguf::Value>> kv;
  kv.emplace_back("tokenizer.ggml.model", gguf::Value::Str("llama"));
  kv.emplace_back("tokenizer.ggml.tokens",
                  gguf::Value::Array(gguf::ValueType::kString, std::move(tokens)));
  kv.emplace_back("tokenizer.ggml.scores",
                  gguf::Value::Array(gguf::ValueType::kFloat32, std::move(scores)));
  kv.emplace_back("tokenizer.ggml.token_type",
                  gguf::Value::Array(gguf::ValueType::kInt32, std::move(types)));
  kv.emplace_back("tokenizer.ggml.bos_token_id", gguf::Value::U32(1));
  kv.emplace_back("tokenizer.ggml.eos_token_id", gguf::Value::U32(2));
  kv.emplace_back("tokenizer.ggml.unknown_token_id", gguf::Value::U32(0));
  return kv;
}

Result<std::unique_ptr<gguf::File>> LoadLlama2c(const std::string& checkpoint_path,
                                                const std::string& tokenizer_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> m, MappedFile::Open(checkpoint_path));
  size_t header_bytes = 0;
  ASSIGN_OR_RETURN(Config c, ParseHeader(m->data(), m->size(), checkpoint_path, &header_bytes));
  Layout l;
  uint64_t expected = 0;
  if (!ComputeLayout(c, &l) || __builtin_mul_overflow(l.total_floats, uint64_t{4}, &expected) ||
      __builtin_add_overflow(expected, uint64_t{header_bytes}, &expected)) {
    return DataLossError("llama2c: " + checkpoint_path + ": weight sizes overflow for " +
                         Describe(c));
  }
  if (expected != m->size()) {
    return DataLossError(StrFormat(
        "llama2c: %s: expected %llu bytes for these hyperparameters (%s), got %zu",
        checkpoint_path.c_str(), static_cast<unsigned long long>(expected), Describe(c).c_str(),
        m->size()));
  }
  ASSIGN_OR_RETURN(auto kv_tok, LoadLlama2cTokenizer(tokenizer_path, c.vocab_size));

  const int64_t dim = c.dim, hid = c.hidden_dim, V = c.vocab_size;
  const int64_t head = c.dim / c.n_heads;
  const int64_t kv_dim = head * c.n_kv_heads;
  const uint8_t* base = m->data() + header_bytes;
  std::vector<gguf::TensorInfo> tensors;
  auto add = [&](std::string name, Kind k, int64_t layer, int64_t ne0, int64_t ne1) {
    gguf::TensorInfo t;
    t.name = std::move(name);
    t.n_dims = ne1 == 1 ? 1 : 2;
    t.ne[0] = ne0;
    t.ne[1] = ne1;
    t.type = tensor::DType::kF32;
    t.offset = (l.start[k] + static_cast<uint64_t>(layer) * l.per_layer[k]) * 4;
    t.n_bytes = static_cast<size_t>(ne0 * ne1) * 4;
    t.data = base + t.offset;
    tensors.push_back(std::move(t));
  };
  add("token_embd.weight", kTokEmb, 0, dim, V);
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", kRmsAtt, i, dim, 1);
    add(p + "attn_q.weight", kWq, i, dim, dim);
    add(p + "attn_k.weight", kWk, i, dim, kv_dim);
    add(p + "attn_v.weight", kWv, i, dim, kv_dim);
    add(p + "attn_output.weight", kWo, i, dim, dim);
    add(p + "ffn_norm.weight", kRmsFfn, i, dim, 1);
    add(p + "ffn_gate.weight", kW1, i, dim, hid);
    add(p + "ffn_down.weight", kW2, i, hid, dim);
    add(p + "ffn_up.weight", kW3, i, dim, hid);
  }
  add("output_norm.weight", kRmsFinal, 0, dim, 1);
  if (!c.shared_classifier) add("output.weight", kWcls, 0, dim, V);

  std::vector<std::pair<std::string, gguf::Value>> kv;
  kv.emplace_back("general.architecture", gguf::Value::Str("llama"));
  kv.emplace_back("general.name",
                  gguf::Value::Str(std::filesystem::path(checkpoint_path).stem().string()));
  kv.emplace_back("llama.context_length", gguf::Value::U32(static_cast<uint32_t>(c.seq_len)));
  kv.emplace_back("llama.embedding_length", gguf::Value::U32(static_cast<uint32_t>(c.dim)));
  kv.emplace_back("llama.feed_forward_length",
                  gguf::Value::U32(static_cast<uint32_t>(c.hidden_dim)));
  kv.emplace_back("llama.attention.head_count", gguf::Value::U32(static_cast<uint32_t>(c.n_heads)));
  kv.emplace_back("llama.attention.head_count_kv",
                  gguf::Value::U32(static_cast<uint32_t>(c.n_kv_heads)));
  kv.emplace_back("llama.block_count", gguf::Value::U32(static_cast<uint32_t>(c.n_layers)));
  kv.emplace_back("llama.rope.dimension_count", gguf::Value::U32(static_cast<uint32_t>(head)));
  kv.emplace_back("llama.attention.layer_norm_rms_epsilon", gguf::Value::F32(1e-5f));
  for (auto& e : kv_tok) kv.push_back(std::move(e));

  std::shared_ptr<const void> backing(std::move(m));
  return gguf::File::FromParts(std::move(kv), std::move(tensors), std::move(backing),
                               checkpoint_path);
}

}  // namespace sangam::llama2c
