// The Tokenizer implementation: special-token partition, then SPM / BPE / WPM per fragment;
// decoding through cached pieces (llama.cpp's token_to_piece and detokenize rules).
#include "sangam/tokenizer.h"

#include <memory>

#include "tokenizer/encoders.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab_data.h"

namespace sangam::tokenizer {
namespace {

const char kSpaceMarker[] = "\xE2\x96\x81";  // "▁"

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s->size());
  size_t pos = 0;
  while (true) {
    const size_t next = s->find(from, pos);
    if (next == std::string::npos) break;
    out.append(*s, pos, next - pos);
    out.append(to);
    pos = next + from.size();
  }
  out.append(*s, pos, std::string::npos);
  *s = std::move(out);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of a "<0xXX>" token; -1 when the text has another form.
int ByteOfToken(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  const int hi = HexDigit(t[3]), lo = HexDigit(t[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

// llama.cpp's clean_up_tokenization_spaces passes over the decoded bytes.
std::string CleanSpaces(const std::string& text) {
  if (text.empty()) return text;
  // " ?", " !", " .", " ,": drop the space.
  std::string a(1, text[0]);
  for (size_t i = 1; i < text.size(); ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a.push_back(x);
  }
  // " ' ": drop both spaces around a lone apostrophe.
  std::string b(1, a[0]);
  for (size_t i = 1; i < a.size(); ++i) {
    const char x = a[i];
    if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
      b.pop_back();
      a[++i] = '\0';
    }
    b.push_back(x);
  }
  // " 's", " 'm", " 're", " 've": drop the space.
  std::string c(1, b[0]);
  for (size_t i = 1; i < b.size(); ++i) {
    const char x = b[i];
    if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      if (x1 == 's' || x1 == 'm') {
        c.pop_back();
      } else if (x1 != 't' && x1 != 'd' && i + 2 < b.size()) {
        const char x2 = b[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) c.pop_back();
      }
    }
    c.push_back(x);
  }
  return c;
}

class TokenizerImpl final : public Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> Create(Vocab vocab) {
    ASSIGN_OR_RETURN(VocabData data, BuildVocabData(std::move(vocab)));
    auto t = std::unique_ptr<TokenizerImpl>(new TokenizerImpl(std::move(data)));
    if (t->v_.type == VocabType::kBpe) {
      auto splitter = RegexSplitter::Create(t->v_.regexes);
      if (!splitter.ok()) return splitter.status().WithPrefix("pre-tokenizer '" + t->v_.pre + "'");
      t->splitter_ = std::move(splitter).value();
    }
    t->BuildPieces();
    return std::unique_ptr<Tokenizer>(std::move(t));
  }

  Result<std::vector<int32_t>> Encode(std::string_view text, const EncodeOptions& opts) const override {
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    const std::vector<Fragment> frags = PartitionSpecial(v_, text, opts.parse_special);
    const bool add_special = opts.add_bos;
    switch (v_.type) {
      case VocabType::kSpm: {
        if (add_special && v_.add_bos) out.push_back(v_.bos);
        bool prev_special = true;  // the first fragment gets the space prefix
        std::string buf;
        for (const Fragment& f : frags) {
          if (f.token >= 0) {
            out.push_back(f.token);
            prev_special = true;
            continue;
          }
          buf.clear();
          if (v_.add_space_prefix && prev_special) buf.push_back(' ');
          buf.append(text.substr(f.offset, f.length));
          ReplaceAll(&buf, " ", kSpaceMarker);
          SpmEncode(v_, buf, &out);
          prev_special = false;
        }
        if (add_special && v_.add_eos) out.push_back(v_.eos);
        break;
      }
      case VocabType::kBpe: {
        if (add_special && v_.add_bos) out.push_back(v_.bos);
        for (const Fragment& f : frags) {
          if (f.token >= 0) {
            out.push_back(f.token);
          } else {
            RETURN_IF_ERROR(BpeEncode(v_, *splitter_, text.substr(f.offset, f.length), &out));
          }
        }
        if (add_special && v_.add_eos) out.push_back(v_.eos);
        break;
      }
      case VocabType::kWpm: {
        if (add_special && v_.bos >= 0) out.push_back(v_.bos);
        for (const Fragment& f : frags) {
          if (f.token >= 0) {
            out.push_back(f.token);
          } else {
            WpmEncode(v_, text.substr(f.offset, f.length), &out);
          }
        }
        if (add_special && v_.sep >= 0) out.push_back(v_.sep);
        break;
      }
    }
    return out;
  }

  std::string TokenToPiece(int32_t id) const override { return TokenToPieceSpecial(id, false); }

  std::string TokenToPieceSpecial(int32_t id, bool special) const override {
    if (!v_.valid(id)) return "";
    if (!special && (v_.attr[id] & (kAttrUnknown | kAttrControl))) return "";
    return pieces_[id];
  }

  std::string Decode(const std::vector<int32_t>& ids) const override { return DecodeWith(ids, DecodeOptions()); }

  std::string DecodeWith(const std::vector<int32_t>& ids, const DecodeOptions& opts) const override {
    std::string out;
    // SentencePiece: the first token loses its leading space, or the first after a BOS that is
    // not rendered (a rendered "<s>" keeps the space after it, as llama.cpp and HF print it).
    size_t strip_at = ids.size();
    if (opts.strip_leading_space && v_.add_space_prefix && !ids.empty()) {
      if (ids[0] != v_.bos) {
        strip_at = 0;
      } else if (!opts.render_special) {
        strip_at = 1;
      }
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      const int32_t id = ids[i];
      if (!v_.valid(id)) continue;
      if (!opts.render_special && (v_.attr[id] & (kAttrUnknown | kAttrControl))) continue;
      const std::string& p = pieces_[id];
      if (i == strip_at && !p.empty() && p[0] == ' ') {
        out.append(p, 1, std::string::npos);
      } else {
        out.append(p);
      }
    }
    if (opts.clean_spaces && v_.clean_spaces) out = CleanSpaces(out);
    return out;
  }

  int32_t n_vocab() const override { return v_.n(); }
  int32_t bos() const override { return v_.bos; }
  int32_t eos() const override { return v_.eos; }
  int32_t eot() const override { return v_.eot; }
  int32_t unk() const override { return v_.unk; }
  int32_t sep() const override { return v_.sep; }
  int32_t pad() const override { return v_.pad; }
  bool IsEog(int32_t id) const override { return v_.eog.count(id) > 0; }
  bool IsControl(int32_t id) const override { return v_.valid(id) && (v_.attr[id] & kAttrControl); }
  const std::string& TokenText(int32_t id) const override {
    static const std::string kEmpty;
    return v_.valid(id) ? v_.text[id] : kEmpty;
  }
  std::string model_name() const override { return v_.model; }
  std::string chat_template() const override { return v_.chat_template; }
  bool add_bos() const override { return v_.add_bos; }
  bool add_eos() const override { return v_.add_eos; }
  bool add_space_prefix() const override { return v_.add_space_prefix; }
  std::string pre_name() const override { return v_.pre; }
  VocabType vocab_type() const override { return v_.type; }
  TokenType GetTokenType(int32_t id) const override {
    return v_.valid(id) ? v_.type_of[id] : TokenType::kUndefined;
  }
  float Score(int32_t id) const override { return v_.valid(id) ? v_.score[id] : 0.0f; }
  int32_t Find(std::string_view text) const override { return v_.Find(text); }

 private:
  explicit TokenizerImpl(VocabData v) : v_(std::move(v)) {}

  // Each token's text as it appears in output (llama.cpp's token_to_piece with special = true).
  void BuildPieces() {
    pieces_.resize(v_.text.size());
    for (int32_t id = 0; id < v_.n(); ++id) {
      const uint32_t a = v_.attr[id];
      const std::string& t = v_.text[id];
      std::string& p = pieces_[id];
      if (a & (kAttrUnknown | kAttrControl | kAttrUserDefined)) {
        p = t;
      } else if (a & kAttrNormal) {
        if (v_.type == VocabType::kBpe) {
          for (uint32_t c : unicode::DecodeUtf8(t)) {
            const int b = unicode::ByteFromCpt(c);
            if (b >= 0) {
              p.push_back(static_cast<char>(b));
            } else {
              const std::string u = unicode::EncodeUtf8(c);
              p += "[UNK_BYTE_0x";
              for (char ch : u) p += StrFormat("%02x", static_cast<uint8_t>(ch));
              p += t + "]";
            }
          }
        } else {
          p = t;
          ReplaceAll(&p, kSpaceMarker, " ");
        }
      } else if (a & kAttrByte) {
        const int b = ByteOfToken(t);
        if (b >= 0) p = std::string(1, static_cast<char>(b));
      }
    }
  }

  VocabData v_;
  std::unique_ptr<RegexSplitter> splitter_;
  std::vector<std::string> pieces_;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const gguf::File& file) {
  ASSIGN_OR_RETURN(Vocab v, VocabFromGguf(file));
  return TokenizerImpl::Create(std::move(v));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromVocab(Vocab vocab) {
  return TokenizerImpl::Create(std::move(vocab));
}

std::vector<std::string> Tokenizer::SupportedPreTokenizers() { return PreTokenizerNames(); }

}  // namespace sangam::tokenizer
