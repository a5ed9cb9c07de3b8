// Regex splitting for byte-level BPE: llama.cpp's GPT-2 / Llama-3 scanners and ICU for the rest.
#include "tokenizer/pre_tokenizer.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <map>

#include "tokenizer/unicode.h"

namespace sangam::tokenizer {
namespace {

using unicode::CpFlags;
using unicode::GetFlags;

constexpr uint32_t kOutOfRange = 0xFFFFFFFF;

const char* const kGpt2Expr =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const char* const kLlama3Expr =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kLlama3ExprCaseInsensitive =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Stand-ins for non-ASCII code points in the collapsed text (private use: no ICU class such as
// \w or \s matches them), indexed by category as llama.cpp's 0xD0..0xD5 bytes.
constexpr uint32_t kCollapsedOther = 0xE0D0;
constexpr uint32_t kCollapsedNumber = 0xE0D1;
constexpr uint32_t kCollapsedLetter = 0xE0D2;
constexpr uint32_t kCollapsedPunct = 0xE0D3;
constexpr uint32_t kCollapsedAccent = 0xE0D4;
constexpr uint32_t kCollapsedSymbol = 0xE0D5;

// ASCII whitespace as std::regex's \s sees it in the "C" locale.
const char* const kSpaceBody = "\\x{9}\\x{A}\\x{B}\\x{C}\\x{D}\\x{20}";

// Members of each category for the collapsed text: the stand-in plus the ASCII members llama.cpp
// lists (note: '~' is missing from its symbol list, and so here).
const std::map<std::string, std::string>& CategoryBodies() {
  static const std::map<std::string, std::string> m = [] {
    const std::string n = "\\x{E0D1}0-9";
    const std::string l = "\\x{E0D2}A-Za-z";
    const std::string p =
        "\\x{E0D3}\\x{21}-\\x{23}\\x{25}-\\x{2A}\\x{2C}-\\x{2F}\\x{3A}-\\x{3B}\\x{3F}-\\x{40}"
        "\\x{5B}-\\x{5D}\\x{5F}\\x{7B}\\x{7D}";
    const std::string mk = "\\x{E0D4}";
    const std::string s = "\\x{E0D5}\\x{24}\\x{2B}\\x{3C}-\\x{3E}\\x{5E}\\x{60}\\x{7C}";
    return std::map<std::string, std::string>{
        {"N", n}, {"L", l}, {"P", p}, {"M", mk}, {"S", s},
        {"Lu", l}, {"Ll", l}, {"Lt", l}, {"Lm", l}, {"Lo", l},
    };
  }();
  return m;
}

bool UsesCategories(const std::string& expr) {
  for (const auto& [name, body] : CategoryBodies()) {
    if (expr.find("\\p{" + name + "}") != std::string::npos) return true;
  }
  return false;
}

int HexValue(uint32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

// ---- llama.cpp's hand-written scanners (same results as its unicode_regex_split_custom_*) ----

class ChunkView {
 public:
  ChunkView(const std::vector<uint32_t>& cpts, size_t begin, size_t end)
      : cpts_(cpts), begin_(begin), end_(end) {}
  uint32_t Cpt(size_t pos) const { return (pos >= begin_ && pos < end_) ? cpts_[pos] : kOutOfRange; }
  CpFlags Flags(size_t pos) const { return (pos >= begin_ && pos < end_) ? GetFlags(cpts_[pos]) : CpFlags{}; }
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }

 private:
  const std::vector<uint32_t>& cpts_;
  size_t begin_, end_;
};

// Emits word lengths as a scanner advances.
class Emitter {
 public:
  Emitter(std::vector<size_t>* out, size_t start) : out_(out), prev_end_(start) {}
  size_t Emit(size_t end) {
    const size_t len = end - prev_end_;
    if (len > 0) out_->push_back(len);
    prev_end_ = end;
    return len;
  }

 private:
  std::vector<size_t>* out_;
  size_t prev_end_;
};

bool IsPunctLike(const CpFlags& f) { return f.valid && !(f.whitespace || f.letter || f.number); }

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void ScanGpt2(const ChunkView& v, std::vector<size_t>* out) {
  Emitter em(out, v.begin());
  size_t pos = v.begin();
  while (pos < v.end()) {
    const uint32_t cpt = v.Cpt(pos);
    const CpFlags flags = v.Flags(pos);
    if (cpt == '\'' && pos + 1 < v.end()) {
      const uint32_t next = v.Cpt(pos + 1);
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        pos += em.Emit(pos + 2);
        continue;
      }
      if (pos + 2 < v.end()) {
        const uint32_t next2 = v.Cpt(pos + 2);
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
          pos += em.Emit(pos + 3);
          continue;
        }
      }
    }
    CpFlags f2 = (cpt == ' ') ? v.Flags(pos + 1) : flags;
    if (f2.letter) {
      pos += (cpt == ' ');
      while (f2.letter) f2 = v.Flags(++pos);
      em.Emit(pos);
      continue;
    }
    if (f2.number) {
      pos += (cpt == ' ');
      while (f2.number) f2 = v.Flags(++pos);
      em.Emit(pos);
      continue;
    }
    if (IsPunctLike(f2)) {
      pos += (cpt == ' ');
      while (IsPunctLike(f2)) f2 = v.Flags(++pos);
      em.Emit(pos);
      continue;
    }
    size_t n_ws = 0;
    while (v.Flags(pos + n_ws).whitespace) ++n_ws;
    if (n_ws > 1 && v.Cpt(pos + n_ws) != kOutOfRange) {  // \s+(?!\S)
      pos += n_ws - 1;
      em.Emit(pos);
      continue;
    }
    if (n_ws > 0) {  // \s+
      pos += n_ws;
      em.Emit(pos);
      continue;
    }
    em.Emit(++pos);  // no match
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+
void ScanLlama3(const ChunkView& v, std::vector<size_t>* out) {
  Emitter em(out, v.begin());
  size_t pos = v.begin();
  while (pos < v.end()) {
    const uint32_t cpt = v.Cpt(pos);
    const CpFlags flags = v.Flags(pos);
    if (cpt == '\'' && pos + 1 < v.end()) {
      const uint32_t next = unicode::ToLower(v.Cpt(pos + 1));
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        pos += em.Emit(pos + 2);
        continue;
      }
      if (pos + 2 < v.end()) {
        const uint32_t next2 = unicode::ToLower(v.Cpt(pos + 2));
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
          pos += em.Emit(pos + 3);
          continue;
        }
      }
    }
    if (!(cpt == '\r' || cpt == '\n' || flags.number)) {
      if (flags.letter || v.Flags(pos + 1).letter) {
        ++pos;
        while (v.Flags(pos).letter) ++pos;
        em.Emit(pos);
        continue;
      }
    }
    if (flags.number) {
      size_t ini = pos;
      while (v.Flags(pos).number) {
        if (++pos - ini >= 3) {
          em.Emit(pos);
          ini = pos;
        }
      }
      em.Emit(pos);
      continue;
    }
    CpFlags f2 = (cpt == ' ') ? v.Flags(pos + 1) : flags;
    if (!(f2.whitespace || f2.letter || f2.number) && flags.valid) {
      pos += (cpt == ' ');
      while (IsPunctLike(f2)) f2 = v.Flags(++pos);
      uint32_t c2 = v.Cpt(pos);
      while (c2 == '\r' || c2 == '\n') c2 = v.Cpt(++pos);
      em.Emit(pos);
      continue;
    }
    size_t n_ws = 0;
    size_t last_end_rn = 0;
    while (v.Flags(pos + n_ws).whitespace) {
      const uint32_t c2 = v.Cpt(pos + n_ws);
      if (c2 == '\r' || c2 == '\n') last_end_rn = pos + n_ws + 1;
      ++n_ws;
    }
    if (last_end_rn > 0) {  // \s*[\r\n]+
      pos = last_end_rn;
      em.Emit(pos);
      continue;
    }
    if (n_ws > 1 && v.Cpt(pos + n_ws) != kOutOfRange) {  // \s+(?!\S)
      pos += n_ws - 1;
      em.Emit(pos);
      continue;
    }
    if (n_ws > 0) {
      pos += n_ws;
      em.Emit(pos);
      continue;
    }
    em.Emit(++pos);
  }
}

}  // namespace

Result<std::string> TranslateRegexForIcu(const std::string& regex, bool collapsed) {
  const std::vector<uint32_t> p = unicode::DecodeUtf8(regex);
  const size_t n = p.size();
  std::string out;
  bool inside = false;
  bool have_atom = false;  // inside a set: the last item can start a range
  bool range_end_next = false;  // inside a set: the next item ends a range
  auto hex = [](uint32_t c) { return StrFormat("\\x{%X}", static_cast<unsigned>(c)); };
  auto fail = [&](const std::string& what) {
    return UnimplementedError("tokenizer: pre-tokenizer regex '" + regex + "': " + what);
  };
  auto literal = [&](uint32_t c) {
    if (inside) {
      out += hex(c);
      have_atom = !range_end_next;
      range_end_next = false;
    } else if (c < 0x80 && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
      out += static_cast<char>(c);
    } else {
      out += hex(c);
    }
  };
  auto set_body = [&](const std::string& body) {
    out += inside ? body : "[" + body + "]";
    have_atom = false;
    range_end_next = false;
  };
  for (size_t i = 0; i < n; ++i) {
    const uint32_t c = p[i];
    if (c == '\\') {
      if (i + 1 >= n) return fail("trailing backslash");
      const uint32_t d = p[++i];
      switch (d) {
        case 'p': {
          if (i + 1 >= n || p[i + 1] != '{') return fail("bad \\p");
          size_t close = i + 2;
          while (close < n && p[close] != '}') ++close;
          if (close >= n) return fail("unterminated \\p{");
          std::string name;
          for (size_t k = i + 2; k < close; ++k) name += static_cast<char>(p[k]);
          const auto it = CategoryBodies().find(name);
          if (it == CategoryBodies().end() || !collapsed) return fail("unsupported \\p{" + name + "}");
          set_body(it->second);
          i = close;
          break;
        }
        case 's': set_body(kSpaceBody); break;
        case 'S':
          if (inside) return fail("\\S inside a set");
          out += std::string("[^") + kSpaceBody + "]";
          break;
        case 'd': set_body("0-9"); break;
        case 'D':
          if (inside) return fail("\\D inside a set");
          out += "[^0-9]";
          break;
        case 'r': literal(0x0D); break;
        case 'n': literal(0x0A); break;
        case 't': literal(0x09); break;
        case 'f': literal(0x0C); break;
        case 'v': literal(0x0B); break;
        case 'x':
        case 'u': {
          const size_t digits = d == 'x' ? 2 : 4;
          if (i + digits >= n) return fail("short \\x/\\u escape");
          uint32_t v = 0;
          for (size_t k = 1; k <= digits; ++k) {
            const int h = HexValue(p[i + k]);
            if (h < 0) return fail("bad hex escape");
            v = v * 16 + static_cast<uint32_t>(h);
          }
          i += digits;
          literal(v);
          break;
        }
        default:
          if (d < 0x80 && ((d >= '0' && d <= '9') || (d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z'))) {
            return fail(StrFormat("unsupported escape \\%c", static_cast<char>(d)));
          }
          if (inside) {
            literal(d);
          } else {
            out += hex(d);
          }
      }
      continue;
    }
    if (!inside) {
      if (c == '[') {
        inside = true;
        have_atom = false;
        out += '[';
        if (i + 1 < n && p[i + 1] == '^') {
          out += '^';
          ++i;
        }
      } else if (c == '$') {
        out += "\\z";  // ECMAScript without multiline: end of input only
      } else if (c >= 0x80 || c == ' ') {
        out += hex(c);
      } else {
        out += static_cast<char>(c);  // syntax and plain ASCII mean the same in ICU
      }
      continue;
    }
    if (c == ']') {
      inside = false;
      out += ']';
    } else if (c == '-' && have_atom && i + 1 < n && p[i + 1] != ']') {
      out += '-';
      have_atom = false;
      range_end_next = true;
    } else {
      literal(c);
    }
  }
  if (inside) return fail("unterminated [");
  return out;
}

struct RegexSplitter::Impl {
  enum class Kind { kGpt2, kLlama3, kIcu };
  struct Expr {
    Kind kind = Kind::kIcu;
    bool collapsed = false;
    std::unique_ptr<icu::RegexPattern> pattern;
  };
  std::vector<Expr> exprs;
};

RegexSplitter::RegexSplitter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegexSplitter::~RegexSplitter() = default;

Result<std::unique_ptr<RegexSplitter>> RegexSplitter::Create(const std::vector<std::string>& regexes) {
  auto impl = std::make_unique<Impl>();
  for (const std::string& r : regexes) {
    Impl::Expr e;
    if (r == kGpt2Expr) {
      e.kind = Impl::Kind::kGpt2;
    } else if (r == kLlama3Expr || r == kLlama3ExprCaseInsensitive) {
      e.kind = Impl::Kind::kLlama3;
    } else {
      e.collapsed = UsesCategories(r);
      ASSIGN_OR_RETURN(std::string icu_pattern, TranslateRegexForIcu(r, e.collapsed));
      UErrorCode status = U_ZERO_ERROR;
      UParseError perr;
      e.pattern.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(icu_pattern), 0, perr, status));
      if (U_FAILURE(status) || !e.pattern) {
        return InternalError(StrFormat("tokenizer: ICU rejected pre-tokenizer regex '%s' (as '%s'): %s at offset %d",
                                       r.c_str(), icu_pattern.c_str(), u_errorName(status), perr.offset));
      }
    }
    impl->exprs.push_back(std::move(e));
  }
  return std::unique_ptr<RegexSplitter>(new RegexSplitter(std::move(impl)));
}

Result<std::vector<std::string>> RegexSplitter::Split(std::string_view text) const {
  const std::vector<uint32_t> cpts = unicode::DecodeUtf8(text);
  std::vector<size_t> offsets = {cpts.size()};

  // ICU texts, built on first use: collapsed (one UTF-16 unit per code point) and raw (UTF-16
  // with index maps, since supplementary code points take two units).
  icu::UnicodeString collapsed, raw;
  bool have_collapsed = false, have_raw = false;
  std::vector<int32_t> cpt_to_u16, u16_to_cpt;

  for (const Impl::Expr& e : impl_->exprs) {
    std::vector<size_t> next;
    next.reserve(offsets.size() * 2);
    if (e.kind != Impl::Kind::kIcu) {
      size_t start = 0;
      for (size_t len : offsets) {
        ChunkView view(cpts, start, start + len);
        if (e.kind == Impl::Kind::kGpt2) {
          ScanGpt2(view, &next);
        } else {
          ScanLlama3(view, &next);
        }
        start += len;
      }
      offsets = std::move(next);
      continue;
    }
    const icu::UnicodeString* input;
    if (e.collapsed) {
      if (!have_collapsed) {
        collapsed.remove();
        for (uint32_t c : cpts) {
          uint32_t x = c;
          if (c >= 0x80) {
            const CpFlags f = GetFlags(c);
            if (f.whitespace) x = 0x0B;
            else if (f.number) x = kCollapsedNumber;
            else if (f.letter) x = kCollapsedLetter;
            else if (f.punctuation) x = kCollapsedPunct;
            else if (f.accent_mark) x = kCollapsedAccent;
            else if (f.symbol) x = kCollapsedSymbol;
            else x = kCollapsedOther;
          }
          collapsed.append(static_cast<UChar>(x));
        }
        have_collapsed = true;
      }
      input = &collapsed;
    } else {
      if (!have_raw) {
        raw.remove();
        cpt_to_u16.assign(cpts.size() + 1, 0);
        u16_to_cpt.clear();
        for (size_t i = 0; i < cpts.size(); ++i) {
          uint32_t x = cpts[i];
          if (x > 0x7F && GetFlags(x).whitespace) x = 0x0B;
          if (x >= 0xD800 && x <= 0xDFFF) x = unicode::kReplacementChar;
          cpt_to_u16[i] = raw.length();
          raw.append(static_cast<UChar32>(x));
          while (static_cast<int32_t>(u16_to_cpt.size()) < raw.length()) u16_to_cpt.push_back(static_cast<int32_t>(i));
        }
        cpt_to_u16[cpts.size()] = raw.length();
        u16_to_cpt.push_back(static_cast<int32_t>(cpts.size()));
        have_raw = true;
      }
      input = &raw;
    }
    auto to_u16 = [&](size_t cpt_index) -> int32_t {
      return e.collapsed ? static_cast<int32_t>(cpt_index) : cpt_to_u16[cpt_index];
    };
    auto to_cpt = [&](int32_t u16_index) -> size_t {
      return e.collapsed ? static_cast<size_t>(u16_index) : static_cast<size_t>(u16_to_cpt[u16_index]);
    };
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> m(e.pattern->matcher(*input, status));
    if (U_FAILURE(status)) return InternalError(StrFormat("tokenizer: ICU matcher: %s", u_errorName(status)));
    m->setStackLimit(0, status);  // heap-allocated backtracking stack without a fixed cap
    size_t start = 0;
    for (size_t len : offsets) {
      m->region(to_u16(start), to_u16(start + len), status);
      size_t start_idx = 0;  // relative to the chunk
      while (m->find(status) && U_SUCCESS(status)) {
        const size_t ms = to_cpt(m->start(status)) - start;
        const size_t me = to_cpt(m->end(status)) - start;
        if (ms > start_idx) next.push_back(ms - start_idx);
        next.push_back(me - ms);
        start_idx = me;
      }
      if (U_FAILURE(status)) {
        return InternalError(StrFormat("tokenizer: ICU regex failed: %s", u_errorName(status)));
      }
      if (start_idx < len) next.push_back(len - start_idx);
      start += len;
    }
    offsets = std::move(next);
  }

  std::vector<std::string> words;
  words.reserve(offsets.size());
  size_t start = 0;
  for (size_t len : offsets) {
    std::string w;
    for (size_t i = start; i < start + len; ++i) unicode::AppendUtf8(cpts[i], &w);
    words.push_back(std::move(w));
    start += len;
  }
  return words;
}

}  // namespace sangam::tokenizer
