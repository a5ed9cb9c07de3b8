// Building VocabData from tokenizer metadata, with llama.cpp's defaults per model type and its
// text-based detection of end-of-generation tokens.
#include "tokenizer/vocab_data.h"

#include <algorithm>

#include "sangam/log.h"
#include "tokenizer/pre_tokenizer.h"

namespace sangam::tokenizer {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

uint32_t AttrOf(TokenType t) {
  switch (t) {
    case TokenType::kNormal: return kAttrNormal;
    case TokenType::kUnknown: return kAttrUnknown;
    case TokenType::kControl: return kAttrControl;
    case TokenType::kUserDefined: return kAttrUserDefined;
    case TokenType::kUnused: return kAttrUnused;
    case TokenType::kByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

// Texts llama.cpp recognises as end-of-turn / end-of-generation / fill-in-the-middle markers.
const std::initializer_list<const char*> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
const std::initializer_list<const char*> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~["};
const std::initializer_list<const char*> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
const std::initializer_list<const char*> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
const std::initializer_list<const char*> kFimSepTexts = {"<|file_sep|>"};

Status CheckId(const char* name, const std::optional<int32_t>& id, int32_t n) {
  if (id && (*id < -1 || *id >= n)) {
    return OutOfRangeError(StrFormat("tokenizer: %s token id %d is out of range (vocabulary has %d tokens)",
                                     name, *id, n));
  }
  return Status::Ok();
}

}  // namespace

Result<VocabData> BuildVocabData(Vocab v) {
  VocabData d;
  d.model = v.model;
  d.chat_template = std::move(v.chat_template);

  // Model type and llama.cpp's default special tokens for it.
  if (v.model == "llama") {
    d.type = VocabType::kSpm;
    d.bos = 1; d.eos = 2; d.unk = 0;
    d.add_space_prefix = true; d.clean_spaces = false; d.add_bos = true; d.add_eos = false;
  } else if (v.model == "bert") {
    d.type = VocabType::kWpm;
    d.bos = 101; d.unk = 100; d.sep = 102; d.pad = 0; d.mask = 103;
    d.add_space_prefix = false; d.clean_spaces = true; d.add_bos = true; d.add_eos = false;
  } else if (v.model == "gpt2") {
    d.type = VocabType::kBpe;
    d.bos = 11; d.eos = 11;
    d.add_space_prefix = false; d.clean_spaces = true;
    std::string pre = v.pre;
    if (pre.empty()) {
      LOG_WARN("tokenizer: tokenizer.ggml.pre is missing; using the 'default' pre-tokenizer "
               "(generation quality may suffer; reconvert the model)\n");
      pre = "default";
    }
    const PreTokenizerSpec* spec = FindPreTokenizer(pre);
    if (spec == nullptr) {
      return UnimplementedError("tokenizer: unknown pre-tokenizer tokenizer.ggml.pre = '" + pre +
                                "'; supported: " + JoinNames(PreTokenizerNames()));
    }
    d.pre = pre;
    d.regexes = spec->regexes;
    d.clean_spaces = spec->clean_spaces;
    d.ignore_merges = spec->ignore_merges;
    if (spec->add_bos) d.add_bos = true;
    if (spec->clear_bos) d.bos = -1;
  } else {
    return UnimplementedError("tokenizer: unknown tokenizer model tokenizer.ggml.model = '" + v.model +
                              "'; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE), bert (WordPiece)");
  }
  if (v.add_space_prefix) d.add_space_prefix = *v.add_space_prefix;

  // Tokens.
  const size_t n = v.tokens.size();
  if (n == 0) return InvalidArgumentError("tokenizer: tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return InvalidArgumentError("tokenizer: too many tokens");
  if (!v.scores.empty() && v.scores.size() != n) {
    return InvalidArgumentError(StrFormat("tokenizer: tokenizer.ggml.scores has %zu entries but tokenizer.ggml.tokens has %zu",
                                          v.scores.size(), n));
  }
  if (!v.types.empty() && v.types.size() != n) {
    return InvalidArgumentError(StrFormat("tokenizer: tokenizer.ggml.token_type has %zu entries but tokenizer.ggml.tokens has %zu",
                                          v.types.size(), n));
  }
  d.text = std::move(v.tokens);
  d.score = v.scores.empty() ? std::vector<float>(n, 0.0f) : std::move(v.scores);
  d.type_of = v.types.empty() ? std::vector<TokenType>(n, TokenType::kNormal) : std::move(v.types);
  d.attr.resize(n);
  d.token_to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (d.text[i].empty()) {
      LOG_WARN("tokenizer: empty token at index %zu\n", i);
      d.text[i] = StrFormat("[EMPTY_%zu]", i);
    }
    const auto [it, inserted] = d.token_to_id.emplace(d.text[i], static_cast<int32_t>(i));
    if (!inserted) {
      return InvalidArgumentError(StrFormat("tokenizer: duplicate token in vocabulary: '%s' has ids %d and %zu",
                                            d.text[i].c_str(), it->second, i));
    }
    d.max_token_len = std::max(d.max_token_len, d.text[i].size());
    d.attr[i] = AttrOf(d.type_of[i]);
  }
  const int32_t nv = d.n();

  // Merges.
  if (d.type == VocabType::kBpe) {
    if (v.merges.empty()) {
      return NotFoundError("tokenizer: tokenizer.ggml.merges is missing or empty (required for model 'gpt2')");
    }
    d.merge_rank.reserve(v.merges.size());
    for (size_t i = 0; i < v.merges.size(); ++i) {
      const std::string& m = v.merges[i];
      const size_t pos = m.find(' ', 1);
      std::string key = pos == std::string::npos ? std::string(" ") : m;
      if (pos != std::string::npos) key = m.substr(0, pos) + " " + m.substr(pos + 1);
      d.merge_rank.emplace(std::move(key), static_cast<int32_t>(i));
    }
  }

  // SPM byte fallback table: <0xXX>, else the byte as a one-character token.
  for (int b = 0; b < 256; ++b) {
    int32_t id = d.Find(StrFormat("<0x%02X>", b));
    if (id < 0) id = d.Find(std::string(1, static_cast<char>(b)));
    d.byte_token[b] = id;
  }

  // Special ids: defaults out of range are dropped; explicit values must be in range.
  for (int32_t* id : {&d.bos, &d.eos, &d.eot, &d.eom, &d.unk, &d.sep, &d.pad, &d.mask}) {
    if (*id >= nv) *id = -1;
  }
  const std::pair<const char*, std::pair<std::optional<int32_t>*, int32_t*>> ids[] = {
      {"bos", {&v.bos, &d.bos}}, {"eos", {&v.eos, &d.eos}}, {"eot", {&v.eot, &d.eot}},
      {"eom", {&v.eom, &d.eom}}, {"unknown", {&v.unk, &d.unk}}, {"separator", {&v.sep, &d.sep}},
      {"padding", {&v.pad, &d.pad}}, {"mask", {&v.mask, &d.mask}},
  };
  for (const auto& [name, ptrs] : ids) {
    RETURN_IF_ERROR(CheckId(name, *ptrs.first, nv));
    if (*ptrs.first) *ptrs.second = **ptrs.first;
  }
  if (v.add_bos) d.add_bos = *v.add_bos;
  if (v.add_eos) d.add_eos = *v.add_eos;
  if (d.add_bos && d.bos < 0) {
    return InvalidArgumentError("tokenizer: tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
  }
  if (d.add_eos && d.eos < 0) {
    return InvalidArgumentError("tokenizer: tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
  }
  if (v.lowercase) {
    d.lowercase = *v.lowercase;
    d.strip_accents = d.lowercase;
  }
  if (v.strip_accents) d.strip_accents = *v.strip_accents;

  // Text-based detection (llama.cpp): EOT/EOM/FIM markers become control tokens.
  int32_t fim_pad = -1, fim_rep = -1, fim_sep = -1;
  auto detect = [&](int32_t* slot, std::initializer_list<const char*> texts) {
    if (*slot >= 0) return;
    for (const char* t : texts) {
      const int32_t id = d.Find(t);
      if (id >= 0) {
        *slot = id;
        d.attr[id] |= kAttrControl;
        return;
      }
    }
  };
  detect(&d.eot, kEotTexts);
  detect(&d.eom, {"<|eom_id|>"});
  detect(&fim_pad, kFimPadTexts);
  detect(&fim_rep, kFimRepTexts);
  detect(&fim_sep, kFimSepTexts);

  for (int32_t id : {fim_pad, fim_rep, fim_sep}) {
    if (id >= 0) d.eog.insert(id);
  }
  for (const char* t : kEogTexts) {
    const int32_t id = d.Find(t);
    if (id >= 0) {
      d.eog.insert(id);
      d.attr[id] |= kAttrControl;
    }
  }
  for (const char* t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    const int32_t id = d.Find(t);
    if (id >= 0) d.attr[id] = kAttrUserDefined;
  }
  for (int32_t id : {d.eos, d.eot, d.eom}) {
    if (id >= 0) d.eog.insert(id);
  }
  {
    // o200k_harmony / solar-open: "<|end|>" is not end-of-generation there.
    auto has = [&](const char* t) {
      const int32_t id = d.Find(t);
      return id >= 0 && d.eog.count(id) > 0;
    };
    const int32_t end_id = d.Find("<|end|>");
    if (end_id >= 0 && d.eog.count(end_id) &&
        ((has("<|return|>") && (has("<|call|>") || has("<|calls|>"))) || (has("<|calls|>") && has("<|flush|>")) ||
         (has("<|call|>") && has("<|flush|>")))) {
      d.eog.erase(end_id);
      d.attr[end_id] = kAttrUserDefined;
    }
    const int32_t s_id = d.Find("</s>");
    if (s_id >= 0 && d.eog.count(s_id) && has("<|tool_response>")) {
      d.eog.erase(s_id);
      d.attr[s_id] = kAttrNormal;
    }
  }

  // Tokens matched in raw text before the main algorithm, longest first (ties: lower id).
  for (int32_t id = 0; id < nv; ++id) {
    if (d.attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) d.special_tokens.push_back(id);
  }
  std::stable_sort(d.special_tokens.begin(), d.special_tokens.end(), [&](int32_t a, int32_t b) {
    return d.text[a].size() > d.text[b].size();
  });
  return d;
}

namespace {

// An optional token id key: absent, 0xFFFFFFFF or negative -> nullopt.
Result<std::optional<int32_t>> ReadId(const gguf::File& f, const std::string& key, int64_t n) {
  const gguf::Value* v = f.Find(key);
  if (v == nullptr) return std::optional<int32_t>();
  if (!v->is_integer()) {
    return InvalidArgumentError(StrFormat("tokenizer: %s has type %s, expected an integer", key.c_str(),
                                          gguf::ValueTypeName(v->type)));
  }
  const bool is_signed = v->type == gguf::ValueType::kInt8 || v->type == gguf::ValueType::kInt16 ||
                         v->type == gguf::ValueType::kInt32 || v->type == gguf::ValueType::kInt64;
  const int64_t x = is_signed ? v->i : static_cast<int64_t>(v->u);
  if (x < 0 || x == 0xFFFFFFFFll || (!is_signed && v->u > 0xFFFFFFFFull)) return std::optional<int32_t>();
  if (x >= n) {
    return OutOfRangeError(StrFormat("tokenizer: %s = %lld is out of range (vocabulary has %lld tokens)",
                                     key.c_str(), static_cast<long long>(x), static_cast<long long>(n)));
  }
  return std::optional<int32_t>(static_cast<int32_t>(x));
}

Result<std::optional<bool>> ReadBool(const gguf::File& f, const std::string& key) {
  if (f.Find(key) == nullptr) return std::optional<bool>();
  ASSIGN_OR_RETURN(bool b, f.GetBool(key));
  return std::optional<bool>(b);
}

}  // namespace

Result<Vocab> VocabFromGguf(const gguf::File& f) {
  Vocab v;
  if (f.Find("tokenizer.ggml.model") == nullptr) {
    return NotFoundError("tokenizer: " + f.path() + " has no tokenizer.ggml.model key (no vocabulary in this file)");
  }
  ASSIGN_OR_RETURN(v.model, f.GetString("tokenizer.ggml.model"));
  ASSIGN_OR_RETURN(v.pre, f.GetStringOr("tokenizer.ggml.pre", ""));
  if (f.Find("tokenizer.ggml.tokens") == nullptr) {
    return NotFoundError("tokenizer: " + f.path() + " has no tokenizer.ggml.tokens");
  }
  ASSIGN_OR_RETURN(v.tokens, f.GetStringArray("tokenizer.ggml.tokens"));
  const int64_t n = static_cast<int64_t>(v.tokens.size());

  if (const gguf::Value* s = f.Find("tokenizer.ggml.scores")) {
    if (s->type != gguf::ValueType::kArray ||
        (s->elem_type != gguf::ValueType::kFloat32 && s->elem_type != gguf::ValueType::kInt32)) {
      return InvalidArgumentError(StrFormat("tokenizer: tokenizer.ggml.scores has type %s, expected an array of float32",
                                            gguf::ValueTypeName(s->type)));
    }
    v.scores.reserve(s->arr.size());
    for (const gguf::Value& x : s->arr) {
      v.scores.push_back(s->elem_type == gguf::ValueType::kFloat32 ? static_cast<float>(x.f) : static_cast<float>(x.i));
    }
  }
  if (const gguf::Value* t = f.Find("tokenizer.ggml.token_type")) {
    if (t->type != gguf::ValueType::kArray || !(t->elem_type == gguf::ValueType::kInt32 ||
                                                t->elem_type == gguf::ValueType::kUint32)) {
      return InvalidArgumentError(StrFormat("tokenizer: tokenizer.ggml.token_type has type %s, expected an array of int32",
                                            gguf::ValueTypeName(t->type)));
    }
    v.types.reserve(t->arr.size());
    for (const gguf::Value& x : t->arr) {
      const int64_t val = t->elem_type == gguf::ValueType::kInt32 ? x.i : static_cast<int64_t>(x.u);
      v.types.push_back(val >= 0 && val <= 6 ? static_cast<TokenType>(val) : TokenType::kUndefined);
    }
  }
  if (f.Find("tokenizer.ggml.merges") != nullptr) {
    ASSIGN_OR_RETURN(v.merges, f.GetStringArray("tokenizer.ggml.merges"));
  }
  ASSIGN_OR_RETURN(v.bos, ReadId(f, "tokenizer.ggml.bos_token_id", n));
  if (!v.bos) {
    ASSIGN_OR_RETURN(v.bos, ReadId(f, "tokenizer.ggml.cls_token_id", n));  // older BERT conversions
  }
  ASSIGN_OR_RETURN(v.eos, ReadId(f, "tokenizer.ggml.eos_token_id", n));
  ASSIGN_OR_RETURN(v.eot, ReadId(f, "tokenizer.ggml.eot_token_id", n));
  ASSIGN_OR_RETURN(v.eom, ReadId(f, "tokenizer.ggml.eom_token_id", n));
  ASSIGN_OR_RETURN(v.unk, ReadId(f, "tokenizer.ggml.unknown_token_id", n));
  ASSIGN_OR_RETURN(v.sep, ReadId(f, "tokenizer.ggml.seperator_token_id", n));
  ASSIGN_OR_RETURN(v.pad, ReadId(f, "tokenizer.ggml.padding_token_id", n));
  ASSIGN_OR_RETURN(v.mask, ReadId(f, "tokenizer.ggml.mask_token_id", n));
  ASSIGN_OR_RETURN(v.add_bos, ReadBool(f, "tokenizer.ggml.add_bos_token"));
  ASSIGN_OR_RETURN(v.add_eos, ReadBool(f, "tokenizer.ggml.add_eos_token"));
  ASSIGN_OR_RETURN(v.add_space_prefix, ReadBool(f, "tokenizer.ggml.add_space_prefix"));
  ASSIGN_OR_RETURN(v.lowercase, ReadBool(f, "tokenizer.ggml.normalizer.lowercase"));
  ASSIGN_OR_RETURN(v.strip_accents, ReadBool(f, "tokenizer.ggml.normalizer.strip_accents"));
  ASSIGN_OR_RETURN(v.chat_template, f.GetStringOr("tokenizer.chat_template", ""));
  return v;
}

}  // namespace sangam::tokenizer
