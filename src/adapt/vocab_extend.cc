// ExtendVocabulary: appends a new tokenizer's pieces to a GGUF model and grows its embeddings.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/gguf_stream.h"
#include "sangam/gguf.h"
#include "sangam/vocab_tools.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab_data.h"

namespace sangam::adapt {
namespace {

using tokenizer::TokenType;

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581

std::string MetaToSpace(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, kSpace.size()) == kSpace) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

// Byte offsets where each UTF-8 character of `s` starts, plus s.size().
std::vector<size_t> CharStarts(std::string_view s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<uint8_t>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(s.size());
  return starts;
}

bool AsciiOnly(std::string_view text) {
  for (char c : text) {
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  }
  return true;
}

struct Candidate {
  std::string token;  // in the base's vocabulary style
  std::string text;   // raw bytes (spaces as ' ')
  size_t rank = 0;    // position in the new tokenizer
};

// The byte-level BPE merge loop (lowest rank first) on one word's symbols.
std::vector<std::string> BpeSegment(const std::string& word,
                                    const std::unordered_map<std::string, int64_t>& ranks) {
  const std::vector<size_t> starts = CharStarts(word);
  std::vector<std::string> sym;
  for (size_t k = 0; k + 1 < starts.size(); ++k) sym.push_back(word.substr(starts[k], starts[k + 1] - starts[k]));
  while (sym.size() > 1) {
    int64_t best = std::numeric_limits<int64_t>::max();
    size_t at = 0;
    for (size_t k = 0; k + 1 < sym.size(); ++k) {
      const auto it = ranks.find(sym[k] + " " + sym[k + 1]);
      if (it != ranks.end() && it->second < best) best = it->second, at = k;
    }
    if (best == std::numeric_limits<int64_t>::max()) break;
    sym[at] += sym[at + 1];
    sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  return sym;
}

bool IsGgufFile(const std::string& path) {
  char magic[4] = {0, 0, 0, 0};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  const bool ok = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "GGUF", 4) == 0;
  std::fclose(f);
  return ok;
}

}  // namespace

Result<ExtendReport> ExtendVocabulary(const std::string& base_gguf, const std::string& new_tokenizer,
                                      const std::string& out_gguf, const ExtendOptions& opts,
                                      ThreadPool& pool) {
  namespace fs = std::filesystem;
  if (!fs::exists(base_gguf)) return NotFoundError("tokenizer extend: base model '" + base_gguf + "' not found");
  if (!fs::exists(new_tokenizer)) {
    return NotFoundError("tokenizer extend: tokenizer '" + new_tokenizer + "' not found");
  }
  if (!IsGgufFile(base_gguf)) {
    return InvalidArgumentError("tokenizer extend: base '" + base_gguf + "' is not a GGUF file");
  }
  std::error_code ec;
  if (fs::exists(out_gguf) && fs::equivalent(base_gguf, out_gguf, ec)) {
    return InvalidArgumentError("tokenizer extend: the output must differ from the base model");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> base, gguf::File::Open(base_gguf));
  auto vocab_or = tokenizer::VocabFromGguf(*base);
  if (!vocab_or.ok()) {
    return InvalidArgumentError("tokenizer extend: base '" + base_gguf + "' has no usable tokenizer: " +
                                vocab_or.status().message());
  }
  tokenizer::Vocab vocab = std::move(vocab_or).value();
  const bool spm = vocab.model == "llama";
  if (!spm && vocab.model != "gpt2") {
    return UnimplementedError("tokenizer extend: base tokenizer model '" + vocab.model +
                              "' is not supported (supported: llama, gpt2)");
  }
  ASSIGN_OR_RETURN(std::vector<NewPiece> pieces, LoadNewPieces(new_tokenizer));

  // The base tokenizer that spells new tokens for their embedding rows: no BOS, and no space
  // prefix (a piece's leading space is already part of its text).
  std::unique_ptr<tokenizer::Tokenizer> base_tok;
  {
    tokenizer::Vocab v = vocab;
    if (spm) v.add_space_prefix = false;
    auto t = tokenizer::Tokenizer::FromVocab(std::move(v));
    if (!t.ok()) return t.status().WithPrefix("tokenizer extend: base '" + base_gguf + "'");
    base_tok = std::move(t).value();
  }
  std::unique_ptr<tokenizer::RegexSplitter> splitter;
  if (!spm) {
    ASSIGN_OR_RETURN(tokenizer::VocabData vd, tokenizer::BuildVocabData(vocab));
    if (!vd.regexes.empty()) {
      ASSIGN_OR_RETURN(splitter, tokenizer::RegexSplitter::Create(vd.regexes));
    }
  }

  ExtendReport rep;
  const int64_t n_base = static_cast<int64_t>(vocab.tokens.size());
  rep.n_base_vocab = rep.first_new_id = n_base;
  std::unordered_map<std::string, int64_t> token_id;
  for (int64_t i = 0; i < n_base; ++i) token_id.emplace(vocab.tokens[static_cast<size_t>(i)], i);

  // 1. Candidates in the new tokenizer's order.
  std::vector<Candidate> cands;
  std::unordered_set<std::string> seen;
  for (size_t r = 0; r < pieces.size(); ++r) {
    const NewPiece& p = pieces[r];
    if ((p.type != TokenType::kNormal && p.type != TokenType::kUndefined) || p.piece.empty()) {
      ++rep.n_special;
      continue;
    }
    Candidate c;
    c.rank = r;
    c.text = MetaToSpace(p.piece);
    c.token = spm ? p.piece : ByteLevelEncode(c.text);
    if (token_id.count(c.token) != 0 || !seen.insert(c.token).second) {
      ++rep.n_present;
      continue;
    }
    if (!opts.keep_ascii && AsciiOnly(c.text)) {
      ++rep.n_ascii;
      continue;
    }
    cands.push_back(std::move(c));
  }
  // --max-new keeps single characters first (every longer piece is built from them), then the
  // best-ranked longer pieces; the kept ones stay in rank order.
  if (opts.max_new > 0 && static_cast<int64_t>(cands.size()) > opts.max_new) {
    std::vector<size_t> pick(cands.size());
    for (size_t i = 0; i < pick.size(); ++i) pick[i] = i;
    std::stable_sort(pick.begin(), pick.end(), [&](size_t a, size_t b) {
      return (CharStarts(cands[a].token).size() == 2) > (CharStarts(cands[b].token).size() == 2);
    });
    std::vector<bool> keep(cands.size(), false);
    for (size_t i = 0; i < static_cast<size_t>(opts.max_new); ++i) keep[pick[i]] = true;
    std::vector<Candidate> kept;
    for (size_t i = 0; i < cands.size(); ++i) {
      if (keep[i]) kept.push_back(std::move(cands[i]));
    }
    rep.n_over_limit = static_cast<int64_t>(cands.size() - kept.size());
    cands = std::move(kept);
  }

  // 2. Reachability, shortest first; gpt2 also gets its merges here.
  std::vector<size_t> order(cands.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return CharStarts(cands[a].token).size() < CharStarts(cands[b].token).size();
  });
  std::vector<bool> accepted(cands.size(), false);
  std::unordered_map<std::string, int64_t> merge_rank;
  std::vector<std::string> new_merges;
  if (!spm) {
    for (size_t i = 0; i < vocab.merges.size(); ++i) merge_rank.emplace(vocab.merges[i], static_cast<int64_t>(i));
  }
  std::unordered_set<std::string> known;  // accepted new tokens
  const auto in_vocab = [&](const std::string& s) { return token_id.count(s) != 0 || known.count(s) != 0; };
  for (size_t idx : order) {
    Candidate& c = cands[idx];
    const std::vector<size_t> starts = CharStarts(c.token);
    bool ok = false;
    if (spm) {
      ok = starts.size() == 2;  // one character: an initial symbol
      for (size_t k = 1; !ok && k + 1 < starts.size(); ++k) {
        ok = in_vocab(c.token.substr(0, starts[k])) && in_vocab(c.token.substr(starts[k]));
      }
    } else {
      bool one_word = true;
      if (splitter != nullptr) {
        auto words = splitter->Split(c.text);
        one_word = words.ok() && words->size() == 1;
      }
      if (one_word && starts.size() > 2) {
        std::string merge;
        const std::vector<std::string> seg = BpeSegment(c.token, merge_rank);
        if (seg.size() == 2 && in_vocab(seg[0]) && in_vocab(seg[1])) merge = seg[0] + " " + seg[1];
        for (size_t k = 1; merge.empty() && k + 1 < starts.size(); ++k) {
          const std::string a = c.token.substr(0, starts[k]), b = c.token.substr(starts[k]);
          if (in_vocab(a) && in_vocab(b)) merge = a + " " + b;
        }
        if (!merge.empty()) {
          ok = true;
          merge_rank.emplace(merge, static_cast<int64_t>(vocab.merges.size() + new_merges.size()));
          new_merges.push_back(merge);
        }
      }
    }
    if (ok) {
      accepted[idx] = true;
      known.insert(c.token);
    } else {
      ++rep.n_unreachable;
    }
  }
  // gpt2 tokens go in merge order (the order they became buildable); llama ones in rank order.
  std::vector<const Candidate*> added;
  if (spm) {
    for (size_t i = 0; i < cands.size(); ++i) {
      if (accepted[i]) added.push_back(&cands[i]);
    }
  } else {
    for (size_t idx : order) {
      if (accepted[idx]) added.push_back(&cands[idx]);
    }
  }
  rep.n_added = static_cast<int64_t>(added.size());
  rep.n_vocab = n_base + rep.n_added;
  rep.n_skipped = rep.n_present + rep.n_special + rep.n_ascii + rep.n_unreachable + rep.n_over_limit;

  // 3. Metadata: tokenizer arrays and <arch>.vocab_size change; everything else is copied.
  float min_score = 0.0f;
  for (float s : vocab.scores) min_score = std::min(min_score, s);
  std::vector<std::string> tokens = vocab.tokens;
  std::vector<float> scores = vocab.scores;
  scores.resize(static_cast<size_t>(n_base), 0.0f);
  std::vector<int32_t> types(static_cast<size_t>(n_base), static_cast<int32_t>(TokenType::kNormal));
  for (size_t i = 0; i < vocab.types.size() && i < types.size(); ++i) types[i] = static_cast<int32_t>(vocab.types[i]);
  for (size_t i = 0; i < added.size(); ++i) {
    tokens.push_back(added[i]->token);
    scores.push_back(min_score - 1.0f - static_cast<float>(i));
    types.push_back(static_cast<int32_t>(TokenType::kNormal));
  }
  std::vector<std::string> merges = vocab.merges;
  merges.insert(merges.end(), new_merges.begin(), new_merges.end());

  const std::string arch = base->GetStringOr("general.architecture", "").ok()
                               ? *base->GetStringOr("general.architecture", "")
                               : std::string();
  const std::string vocab_key = arch.empty() ? std::string() : arch + ".vocab_size";
  std::vector<std::pair<std::string, gguf::Value>> md;
  bool wrote_scores = false, wrote_types = false;
  for (const auto& kv : base->metadata()) {
    const std::string& key = kv.first;
    if (key == "general.alignment") continue;
    if (key == "tokenizer.ggml.tokens") {
      md.push_back({key, gguf::Value::StrArray(tokens)});
    } else if (key == "tokenizer.ggml.scores") {
      md.push_back({key, gguf::Value::F32Array(scores)});
      wrote_scores = true;
    } else if (key == "tokenizer.ggml.token_type") {
      md.push_back({key, gguf::Value::I32Array(types)});
      wrote_types = true;
    } else if (key == "tokenizer.ggml.merges" && !spm) {
      md.push_back({key, gguf::Value::StrArray(merges)});
    } else if (!vocab_key.empty() && key == vocab_key && kv.second.is_integer()) {
      gguf::Value v = kv.second;
      v.u = static_cast<uint64_t>(rep.n_vocab);
      v.i = rep.n_vocab;
      md.push_back({key, v});
    } else {
      md.push_back(kv);
    }
  }
  if (spm && !wrote_scores) md.push_back({"tokenizer.ggml.scores", gguf::Value::F32Array(scores)});
  if (spm && !wrote_types) md.push_back({"tokenizer.ggml.token_type", gguf::Value::I32Array(types)});

  // 4. Which base ids spell each new token.
  std::vector<std::vector<int32_t>> spell(added.size());
  for (size_t i = 0; i < added.size(); ++i) {
    ASSIGN_OR_RETURN(spell[i], base_tok->Encode(added[i]->text, {.add_bos = false, .parse_special = false}));
  }

  // 5. Tensors: embeddings grow, the rest is copied.
  std::vector<model::StreamTensor> layout;
  std::vector<bool> grow;
  for (const gguf::TensorInfo& t : base->tensors()) {
    model::StreamTensor st;
    st.name = t.name;
    st.type = t.type;
    for (uint32_t d = 0; d < std::max<uint32_t>(t.n_dims, 1); ++d) st.ne.push_back(t.ne[d]);
    const bool g = t.name == "token_embd.weight" || t.name == "output.weight";
    if (g) {
      if (t.n_dims != 2 || t.ne[1] != n_base) {
        return InvalidArgumentError(StrFormat(
            "tokenizer extend: tensor '%s' has %lld rows but the vocabulary has %lld tokens",
            t.name.c_str(), static_cast<long long>(t.ne[1]), static_cast<long long>(n_base)));
      }
      st.ne[1] = rep.n_vocab;
      rep.resized_tensors.push_back(t.name);
    }
    grow.push_back(g);
    layout.push_back(std::move(st));
  }
  const auto& tensors = base->tensors();
  auto fill = [&](size_t i, void* dst, size_t n_bytes) -> Status {
    const gguf::TensorInfo& t = tensors[i];
    std::memcpy(dst, t.data, t.n_bytes);
    if (!grow[i]) return Status::Ok();
    const int64_t cols = t.ne[0];
    const size_t row_bytes = tensor::RowBytes(t.type, cols);
    uint8_t* out = static_cast<uint8_t*>(dst) + t.n_bytes;
    const tensor::MatrixView view = t.AsMatrix();
    std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()));
    pool.ParallelFor(static_cast<int64_t>(added.size()), [&](int64_t k, int thread) {
      std::vector<float>& buf = scratch[static_cast<size_t>(thread)];
      buf.assign(static_cast<size_t>(2 * cols), 0.0f);
      float* sum = buf.data();
      float* row = buf.data() + cols;
      const std::vector<int32_t>& ids = spell[static_cast<size_t>(k)];
      for (int32_t id : ids) {
        tensor::GetRow(view, id, row);
        for (int64_t c = 0; c < cols; ++c) sum[c] += row[c];
      }
      const float n = ids.empty() ? 1.0f : static_cast<float>(ids.size());
      for (int64_t c = 0; c < cols; ++c) sum[c] /= n;
      tensor::QuantizeRow(t.type, sum, out + static_cast<size_t>(k) * row_bytes, cols);
    });
    (void)n_bytes;
    return Status::Ok();
  };
  RETURN_IF_ERROR(model::WriteGgufStreaming(md, base->alignment(), layout, fill, out_gguf)
                      .WithPrefix("tokenizer extend"));
  return rep;
}

}  // namespace sangam::adapt
