// The JSON matcher: a byte-level pushdown automaton over the compiled schema (see json_constraint.h).
//
// Each stack is a vector of Frames with a kRoot frame at the bottom. Values that can end only
// when the next byte shows it (numbers, number literals) end lazily: a byte they cannot take is
// passed on to their parent. anyOf forks the stack; stacks die when they reject a byte.
#include <algorithm>
#include <cstring>

#include "sample/json_internal.h"
#include "sangam/json_constraint.h"

namespace sangam::sample {
namespace json_internal {
namespace {

// Object phases.
enum : uint8_t { kObjOpen, kObjInKey, kObjAfterKey, kObjAfterColon, kObjInValue, kObjAfterValue, kObjAfterComma };
// Array phases.
enum : uint8_t { kArrOpen, kArrInItem, kArrAfterItem, kArrAfterComma };
// Root phases.
enum : uint8_t { kRootBefore, kRootIn, kRootDone };
// Number phases.
enum : uint8_t { kNumSign, kNumZero, kNumInt, kNumDot, kNumFrac, kNumExp, kNumExpSign, kNumExpDigits };
// String phases.
enum : uint8_t { kStrNormal = kStrPhaseNormal, kStrEscape, kStrHex, kStrLowBackslash, kStrLowU, kStrLowHex };

constexpr uint32_t kMaxIntDigits = 18, kMaxFracDigits = 15, kMaxExpDigits = 2;

// Frame field use:
//   kRoot:   node = root node.
//   kObject: node; a = next listed property index; b = value node after a key.
//   kArray:  node; a = items so far.
//   kString / kKeyString: node (kKeyString: the object's node); a = code points so far;
//            b = \u accumulator (low 16 bits) | high surrogate (high 16 bits), or, after the
//            closing quote of a key, the property index (-1 = unlisted); ws = hex digits seen;
//            x = UTF-8 continuation bytes still expected (low nibble) and the first one's range
//            class (high nibble); c = lo | hi << 16 and d = length of the decoded key prefix
//            matched against the object's sorted names (kKeyString only).
//   kNumber: phase; a = digits in the current part; x = 1 for integers; for integers also
//            ws = 1 when negative and b | c << 32 = the digits' value so far.
//   kLiteral / kKeyLiteral: a = literal set; b, c = candidate range [lo, hi); d = bytes matched.

enum class Outcome { kReject, kAccept, kAcceptPop, kPass, kStart };

bool IsWs(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool TakeWs(Frame& f, uint8_t c) {
  int n = f.ws & 3;
  bool nl = f.ws & 4;
  if (n >= 2) return false;
  if (c == '\n') {
    if (nl) return false;
    nl = true;
  }
  f.ws = static_cast<uint8_t>((n + 1) | (nl ? 4 : 0));
  return true;
}

int HexVal(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int EncodeUtf8(uint32_t cp, uint8_t* out) {
  if (cp < 0x80) {
    out[0] = static_cast<uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

// Narrows [lo, hi) of a sorted string list whose members share a prefix of length pos to those
// continuing with byte c. Strings of length pos sort first and never match.
template <typename Get>
void Narrow(uint32_t& lo, uint32_t& hi, uint32_t pos, uint8_t c, Get get) {
  auto key = [&](uint32_t k) -> int {
    const std::string& s = get(k);
    return s.size() > pos ? static_cast<uint8_t>(s[pos]) : -1;
  };
  uint32_t a = lo, b = hi;
  while (a < b) {  // first with key >= c
    uint32_t m = a + (b - a) / 2;
    if (key(m) < c) a = m + 1;
    else b = m;
  }
  uint32_t e = a, f = hi;
  while (e < f) {  // first with key > c
    uint32_t m = e + (f - e) / 2;
    if (key(m) <= c) e = m + 1;
    else f = m;
  }
  lo = a;
  hi = e;
}

uint64_t Pow10(uint32_t k) {
  uint64_t r = 1;
  while (k--) r *= 10;
  return r;
}

uint64_t IntDigits(const Frame& f) { return f.b | (static_cast<uint64_t>(f.c) << 32); }
void SetIntDigits(Frame& f, uint64_t v) {
  f.b = static_cast<uint32_t>(v);
  f.c = static_cast<uint32_t>(v >> 32);
}

// The magnitudes m whose signed value lies in [lo, hi]: [*mlo, *mhi] (empty when *mlo > *mhi).
void MagnitudeRange(bool neg, int64_t lo, int64_t hi, int64_t* mlo, int64_t* mhi) {
  if (!neg) {
    *mlo = std::max<int64_t>(lo, 0);
    *mhi = hi;
  } else {
    *mlo = std::max<int64_t>(-hi, 0);
    *mhi = -lo;
  }
}

// Can an integer prefix (sign, `len` digits of value d; len 0 = only "-") still become a value
// in [lo, hi] with at most 18 digits?
bool IntFeasible(bool neg, uint64_t d, uint32_t len, int64_t lo, int64_t hi) {
  int64_t mlo, mhi;
  MagnitudeRange(neg, lo, hi, &mlo, &mhi);
  if (mlo > mhi) return false;
  if (len == 0) return mlo <= kMaxIntMagnitude;
  if (d == 0) return mlo == 0;  // "0" / "-0" take no more digits
  for (uint32_t k = 0; len + k <= 18; ++k) {
    const int64_t a = static_cast<int64_t>(d * Pow10(k));
    const int64_t b = a + static_cast<int64_t>(Pow10(k)) - 1;
    if (a > mhi) break;
    if (b >= mlo) return true;
  }
  return false;
}

// Digits that complete an integer prefix to the in-range value with the fewest digits.
std::string IntCompletion(bool neg, uint64_t d, uint32_t len, int64_t lo, int64_t hi) {
  int64_t mlo, mhi;
  MagnitudeRange(neg, lo, hi, &mlo, &mhi);
  if (len == 0) return std::to_string(std::max<int64_t>(mlo, 0));
  for (uint32_t k = 1; len + k <= 18; ++k) {
    const int64_t a = static_cast<int64_t>(d * Pow10(k));
    const int64_t b = a + static_cast<int64_t>(Pow10(k)) - 1;
    if (a > mhi) break;
    if (b < mlo) continue;
    std::string r = std::to_string(std::max(a, mlo) - a);
    return std::string(k - r.size(), '0') + r;
  }
  return "0";  // unreachable for feasible prefixes
}

bool NumberCanEnd(const Program& p, const Frame& f) {
  if (f.x) {
    if (f.phase != kNumZero && f.phase != kNumInt) return false;
    const Node& n = p.nodes[f.node];
    int64_t v = static_cast<int64_t>(IntDigits(f));
    if (f.ws) v = -v;
    return v >= n.int_min && v <= n.int_max;
  }
  return f.phase == kNumZero || f.phase == kNumInt || f.phase == kNumFrac || f.phase == kNumExpDigits;
}

bool LazilyComplete(const Program& p, const Frame& f) {
  if (f.kind == kNumber) return NumberCanEnd(p, f);
  if (f.kind == kLiteral) return f.b < f.c && p.literal_sets[f.a].strs[f.b].size() == f.d;
  return false;
}

// Removes the top frame and tells its parent that its child finished.
void PopNotify(const Program& p, std::vector<Frame>& frames) {
  Frame child = frames.back();
  frames.pop_back();
  Frame& f = frames.back();
  switch (f.kind) {
    case kRoot:
      f.phase = kRootDone;
      break;
    case kObject: {
      const Node& n = p.nodes[f.node];
      if (f.phase == kObjInKey) {
        int32_t j = -1;
        if (child.kind == kKeyLiteral) j = p.literal_sets[child.a].tags[child.b];
        else j = static_cast<int32_t>(child.b);
        if (j >= 0) {
          f.a = static_cast<uint32_t>(j + 1);
          f.b = static_cast<uint32_t>(n.props[j].node);
        } else {
          f.b = static_cast<uint32_t>(n.additional);
        }
        f.phase = kObjAfterKey;
      } else {
        f.phase = kObjAfterValue;
      }
      f.ws = 0;
      break;
    }
    case kArray:
      f.phase = kArrAfterItem;
      f.a++;
      f.ws = 0;
      break;
    default:
      break;
  }
}

class Runner {
 public:
  Runner(const Program& p, State* out) : p_(p), out_(out), frames_(out->frames) {}

  // Runs byte c on the stack occupying frames_[base, end). Surviving stacks are recorded in spans.
  void Run(size_t base, uint8_t c) {
    for (;;) {
      Frame& f = frames_.back();
      Outcome r = Outcome::kReject;
      switch (f.kind) {
        case kRoot: r = RootStep(f, c); break;
        case kObject: r = ObjectStep(f, c); break;
        case kArray: r = ArrayStep(f, c); break;
        case kString:
        case kKeyString: r = StringStep(f, c); break;
        case kNumber: r = NumberStep(f, c); break;
        case kLiteral:
        case kKeyLiteral: r = LiteralStep(f, c); break;
        default: break;
      }
      if (r == Outcome::kPass) {
        PopNotify(p_, frames_);
        continue;
      }
      if (r == Outcome::kStart) {
        const Node& n = p_.nodes[start_node_];
        if (n.kind == Node::Kind::kAnyOf) {
          const size_t end = frames_.size();
          for (int32_t alt : n.alts) {
            size_t nb = frames_.size();
            frames_.reserve(nb + (end - base) + 1);
            for (size_t i = base; i < end; ++i) frames_.push_back(frames_[i]);
            Finish(nb, PushValue(alt, c, nb));
          }
          return;  // [base, end) stays behind as garbage; Step compacts
        }
        Finish(base, PushValue(start_node_, c, base));
        return;
      }
      Finish(base, r);
      return;
    }
  }

 private:
  void Finish(size_t base, Outcome r) {
    if (r == Outcome::kReject) {
      frames_.resize(base);
      return;
    }
    if (r == Outcome::kAcceptPop) PopNotify(p_, frames_);
    out_->spans.push_back(static_cast<uint32_t>(base));
    out_->spans.push_back(static_cast<uint32_t>(frames_.size()));
  }

  Outcome Start(uint32_t node) {
    start_node_ = static_cast<int32_t>(node);
    return Outcome::kStart;
  }

  // Pushes the frame of a value of node `id` (not anyOf) that begins with byte c, and feeds c.
  Outcome PushValue(int32_t id, uint8_t c, size_t base) {
    const Node& n = p_.nodes[id];
    Frame f{};
    f.node = static_cast<uint32_t>(id);
    if (n.kind == Node::Kind::kLiteral) {
      f.kind = kLiteral;
      f.a = static_cast<uint32_t>(n.literal_set);
      f.c = static_cast<uint32_t>(p_.literal_sets[n.literal_set].strs.size());
      frames_.push_back(f);
      return LiteralStep(frames_.back(), c);
    }
    const size_t depth = frames_.size() - base;
    switch (c) {
      case '{':
        if (!(n.types & kTObject) || (n.is_any && depth >= static_cast<size_t>(kMaxAnyDepth))) return Outcome::kReject;
        f.kind = kObject;
        f.phase = kObjOpen;
        frames_.push_back(f);
        return Outcome::kAccept;
      case '[':
        if (!(n.types & kTArray) || (n.is_any && depth >= static_cast<size_t>(kMaxAnyDepth))) return Outcome::kReject;
        f.kind = kArray;
        f.phase = kArrOpen;
        frames_.push_back(f);
        return Outcome::kAccept;
      case '"':
        if (!(n.types & kTString)) return Outcome::kReject;
        f.kind = kString;
        f.phase = kStrNormal;
        frames_.push_back(f);
        return Outcome::kAccept;
      case 't':
      case 'f':
      case 'n': {
        if (!(n.types & (c == 'n' ? kTNull : kTBoolean))) return Outcome::kReject;
        f.kind = kLiteral;
        f.a = static_cast<uint32_t>(c == 'n' ? NullSet() : BoolSet());
        f.c = static_cast<uint32_t>(p_.literal_sets[f.a].strs.size());
        frames_.push_back(f);
        return LiteralStep(frames_.back(), c);
      }
      default:
        break;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      if (!(n.types & (kTNumber | kTInteger))) return Outcome::kReject;
      f.kind = kNumber;
      f.x = (n.types & kTNumber) ? 0 : 1;
      if (c == '-') {
        f.phase = kNumSign;
        f.ws = 1;
      } else if (c == '0') {
        f.phase = kNumZero;
      } else {
        f.phase = kNumInt;
        f.a = 1;
        SetIntDigits(f, static_cast<uint64_t>(c - '0'));
      }
      if (f.x && !IntFeasible(f.ws, IntDigits(f), f.phase == kNumSign ? 0 : 1, n.int_min, n.int_max)) {
        return Outcome::kReject;
      }
      frames_.push_back(f);
      return Outcome::kAccept;
    }
    return Outcome::kReject;
  }

  int32_t BoolSet() const { return p_.bool_set; }
  int32_t NullSet() const { return p_.null_set; }

  Outcome RootStep(Frame& f, uint8_t c) {
    if (f.phase != kRootBefore) return Outcome::kReject;
    f.phase = kRootIn;
    return Start(f.node);
  }

  Outcome StartKey(Frame& f) {
    const Node& n = p_.nodes[f.node];
    Frame k{};
    k.node = f.node;
    if (n.additional >= 0) {
      k.kind = kKeyString;
      k.c = static_cast<uint32_t>(n.sorted_names.size()) << 16;
      f.phase = kObjInKey;
      frames_.push_back(k);
      return Outcome::kAccept;
    }
    const LiteralSet& ls = p_.literal_sets[n.key_sets[f.a]];
    if (ls.strs.empty()) return Outcome::kReject;
    k.kind = kKeyLiteral;
    k.a = static_cast<uint32_t>(n.key_sets[f.a]);
    k.c = static_cast<uint32_t>(ls.strs.size());
    f.phase = kObjInKey;
    frames_.push_back(k);
    return LiteralStep(frames_.back(), '"');
  }

  Outcome ObjectStep(Frame& f, uint8_t c) {
    const Node& n = p_.nodes[f.node];
    const uint32_t np = static_cast<uint32_t>(n.props.size());
    switch (f.phase) {
      case kObjOpen:
      case kObjAfterComma:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        if (c == '"') return StartKey(f);
        if (c == '}' && f.phase == kObjOpen && static_cast<uint32_t>(n.next_req[f.a]) == np) return Outcome::kAcceptPop;
        return Outcome::kReject;
      case kObjAfterKey:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        if (c != ':') return Outcome::kReject;
        f.phase = kObjAfterColon;
        f.ws = 0;
        return Outcome::kAccept;
      case kObjAfterColon:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        f.phase = kObjInValue;
        f.ws = 0;
        return Start(f.b);
      case kObjAfterValue:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        if (c == ',') {
          if (n.additional < 0 && f.a >= np) return Outcome::kReject;
          f.phase = kObjAfterComma;
          f.ws = 0;
          return Outcome::kAccept;
        }
        if (c == '}' && static_cast<uint32_t>(n.next_req[f.a]) == np) return Outcome::kAcceptPop;
        return Outcome::kReject;
      default:
        return Outcome::kReject;
    }
  }

  Outcome ArrayStep(Frame& f, uint8_t c) {
    const Node& n = p_.nodes[f.node];
    switch (f.phase) {
      case kArrOpen:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        if (c == ']') return n.min_items == 0 ? Outcome::kAcceptPop : Outcome::kReject;
        if (n.max_items == 0) return Outcome::kReject;
        f.phase = kArrInItem;
        f.ws = 0;
        return Start(static_cast<uint32_t>(n.items));
      case kArrAfterItem:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        if (c == ',' && f.a < n.max_items) {
          f.phase = kArrAfterComma;
          f.ws = 0;
          return Outcome::kAccept;
        }
        if (c == ']' && f.a >= n.min_items) return Outcome::kAcceptPop;
        return Outcome::kReject;
      case kArrAfterComma:
        if (IsWs(c)) return TakeWs(f, c) ? Outcome::kAccept : Outcome::kReject;
        f.phase = kArrInItem;
        f.ws = 0;
        return Start(static_cast<uint32_t>(n.items));
      default:
        return Outcome::kReject;
    }
  }

  Outcome LiteralStep(Frame& f, uint8_t c) {
    const LiteralSet& ls = p_.literal_sets[f.a];
    uint32_t lo = f.b, hi = f.c;
    Narrow(lo, hi, f.d, c, [&](uint32_t k) -> const std::string& { return ls.strs[k]; });
    if (lo == hi) return LazilyComplete(p_, f) ? Outcome::kPass : Outcome::kReject;
    f.b = lo;
    f.c = hi;
    f.d++;
    if (hi - lo == 1 && ls.strs[lo].size() == f.d) return Outcome::kAcceptPop;
    return Outcome::kAccept;
  }

  // A decoded key byte: narrows the range of listed names the key can still equal.
  void KeyByte(Frame& f, uint8_t c) {
    uint32_t lo = f.c & 0xFFFF, hi = f.c >> 16;
    if (lo >= hi) return;
    const Node& n = p_.nodes[f.node];
    Narrow(lo, hi, f.d, c, [&](uint32_t k) -> const std::string& { return n.sorted_names[k].first; });
    f.c = lo | (hi << 16);
    f.d++;
  }
  void KeyCodePoint(Frame& f, uint32_t cp) {
    uint8_t buf[4];
    int n = EncodeUtf8(cp, buf);
    for (int i = 0; i < n; ++i) KeyByte(f, buf[i]);
  }

  // Counts one character of a value string against maxLength.
  bool CountChar(Frame& f) {
    if (f.kind == kKeyString) return true;
    if (f.a >= p_.nodes[f.node].max_len) return false;
    f.a++;
    return true;
  }

  Outcome CloseString(Frame& f) {
    if (f.kind == kString) return f.a >= p_.nodes[f.node].min_len ? Outcome::kAcceptPop : Outcome::kReject;
    // A key: listed names must be allowed at this position; others are unlisted keys.
    const Node& n = p_.nodes[f.node];
    const Frame& obj = frames_[frames_.size() - 2];
    uint32_t lo = f.c & 0xFFFF, hi = f.c >> 16;
    int32_t j = -1;
    if (lo < hi && n.sorted_names[lo].first.size() == f.d) j = n.sorted_names[lo].second;
    if (j >= 0 && (static_cast<uint32_t>(j) < obj.a || j > n.next_req[obj.a])) return Outcome::kReject;
    f.b = static_cast<uint32_t>(j);
    return Outcome::kAcceptPop;
  }

  Outcome StringStep(Frame& f, uint8_t c) {
    const bool key = f.kind == kKeyString;
    switch (f.phase) {
      case kStrNormal: {
        if (f.x & 0xF) {  // inside a multi-byte character
          uint8_t lo = 0x80, hi = 0xBF;
          switch (f.x >> 4) {
            case 1: lo = 0xA0; break;
            case 2: hi = 0x9F; break;
            case 3: lo = 0x90; break;
            case 4: hi = 0x8F; break;
            default: break;
          }
          if (c < lo || c > hi) return Outcome::kReject;
          f.x = static_cast<uint8_t>((f.x & 0xF) - 1);
          if (key) KeyByte(f, c);
          return Outcome::kAccept;
        }
        if (c == '"') return CloseString(f);
        if (c == '\\') {
          if (!CountChar(f)) return Outcome::kReject;
          f.phase = kStrEscape;
          return Outcome::kAccept;
        }
        if (c < 0x20) return Outcome::kReject;
        uint8_t need = 0, cls = 0;
        if (c < 0x80) need = 0;
        else if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) need = 2, cls = 1;
        else if (c == 0xED) need = 2, cls = 2;
        else if (c >= 0xE1 && c <= 0xEF) need = 2;
        else if (c == 0xF0) need = 3, cls = 3;
        else if (c == 0xF4) need = 3, cls = 4;
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else return Outcome::kReject;
        if (!CountChar(f)) return Outcome::kReject;
        f.x = static_cast<uint8_t>(need | (cls << 4));
        if (key) KeyByte(f, c);
        return Outcome::kAccept;
      }
      case kStrEscape: {
        uint8_t d = 0;
        switch (c) {
          case '"': d = '"'; break;
          case '\\': d = '\\'; break;
          case '/': d = '/'; break;
          case 'b': d = '\b'; break;
          case 'f': d = '\f'; break;
          case 'n': d = '\n'; break;
          case 'r': d = '\r'; break;
          case 't': d = '\t'; break;
          case 'u':
            f.phase = kStrHex;
            f.ws = 0;
            f.b = 0;
            return Outcome::kAccept;
          default: return Outcome::kReject;
        }
        if (key) KeyByte(f, d);
        f.phase = kStrNormal;
        return Outcome::kAccept;
      }
      case kStrHex: {
        int v = HexVal(c);
        if (v < 0) return Outcome::kReject;
        uint32_t acc = ((f.b & 0xFFFF) << 4) | static_cast<uint32_t>(v);
        f.ws++;
        f.b = acc;
        if (f.ws == 2 && acc >= 0xDC && acc <= 0xDF) return Outcome::kReject;  // lone low surrogate
        if (f.ws < 4) return Outcome::kAccept;
        if (acc >= 0xD800 && acc <= 0xDBFF) {
          f.b = acc << 16;
          f.phase = kStrLowBackslash;
          return Outcome::kAccept;
        }
        if (key) KeyCodePoint(f, acc);
        f.phase = kStrNormal;
        return Outcome::kAccept;
      }
      case kStrLowBackslash:
        if (c != '\\') return Outcome::kReject;
        f.phase = kStrLowU;
        return Outcome::kAccept;
      case kStrLowU:
        if (c != 'u') return Outcome::kReject;
        f.phase = kStrLowHex;
        f.ws = 0;
        return Outcome::kAccept;
      case kStrLowHex: {
        int v = HexVal(c);
        if (v < 0) return Outcome::kReject;
        if (f.ws == 0 && v != 0xD) return Outcome::kReject;
        if (f.ws == 1 && v < 0xC) return Outcome::kReject;
        uint32_t acc = (((f.b & 0xFFFF) << 4) | static_cast<uint32_t>(v)) & 0xFFFF;
        f.b = (f.b & 0xFFFF0000u) | acc;
        f.ws++;
        if (f.ws < 4) return Outcome::kAccept;
        uint32_t hi = f.b >> 16;
        uint32_t cp = 0x10000 + ((hi - 0xD800) << 10) + (acc - 0xDC00);
        if (key) KeyCodePoint(f, cp);
        f.phase = kStrNormal;
        f.b = 0;
        return Outcome::kAccept;
      }
      default:
        return Outcome::kReject;
    }
  }

  Outcome NumberStep(Frame& f, uint8_t c) {
    const bool digit = c >= '0' && c <= '9';
    const bool integer = f.x != 0;
    switch (f.phase) {
      case kNumSign:
        if (!digit) return Outcome::kReject;
        if (integer) {
          const Node& n = p_.nodes[f.node];
          if (!IntFeasible(true, static_cast<uint64_t>(c - '0'), 1, n.int_min, n.int_max)) return Outcome::kReject;
          SetIntDigits(f, static_cast<uint64_t>(c - '0'));
        }
        f.phase = c == '0' ? kNumZero : kNumInt;
        f.a = 1;
        return Outcome::kAccept;
      case kNumZero:
      case kNumInt:
        if (digit && f.phase == kNumInt && f.a < kMaxIntDigits) {
          if (!integer) {
            f.a++;
            return Outcome::kAccept;
          }
          const Node& n = p_.nodes[f.node];
          const uint64_t d = IntDigits(f) * 10 + static_cast<uint64_t>(c - '0');
          if (IntFeasible(f.ws, d, f.a + 1, n.int_min, n.int_max)) {
            SetIntDigits(f, d);
            f.a++;
            return Outcome::kAccept;
          }
        }
        if (!integer && c == '.') {
          f.phase = kNumDot;
          return Outcome::kAccept;
        }
        if (!integer && (c == 'e' || c == 'E')) {
          f.phase = kNumExp;
          return Outcome::kAccept;
        }
        return NumberCanEnd(p_, f) ? Outcome::kPass : Outcome::kReject;
      case kNumDot:
        if (!digit) return Outcome::kReject;
        f.phase = kNumFrac;
        f.a = 1;
        return Outcome::kAccept;
      case kNumFrac:
        if (digit && f.a < kMaxFracDigits) {
          f.a++;
          return Outcome::kAccept;
        }
        if (c == 'e' || c == 'E') {
          f.phase = kNumExp;
          return Outcome::kAccept;
        }
        return Outcome::kPass;
      case kNumExp:
        if (c == '+' || c == '-') {
          f.phase = kNumExpSign;
          return Outcome::kAccept;
        }
        [[fallthrough]];
      case kNumExpSign:
        if (!digit) return Outcome::kReject;
        f.phase = kNumExpDigits;
        f.a = 1;
        return Outcome::kAccept;
      case kNumExpDigits:
        if (digit && f.a < kMaxExpDigits) {
          f.a++;
          return Outcome::kAccept;
        }
        return Outcome::kPass;
      default:
        return Outcome::kReject;
    }
  }

  const Program& p_;
  State* out_;
  std::vector<Frame>& frames_;
  int32_t start_node_ = 0;
};

bool SameStack(const Frame* a, size_t na, const Frame* b, size_t nb) {
  return na == nb && std::memcmp(a, b, na * sizeof(Frame)) == 0;
}

// Chunks of bytes that move the stack towards completion, in preference order.
std::vector<std::string> NextChunks(const Program& p, std::vector<Frame> fr) {
  while (fr.size() > 1 && LazilyComplete(p, fr.back())) PopNotify(p, fr);
  const Frame& f = fr.back();
  switch (f.kind) {
    case kRoot:
      if (f.phase == kRootBefore) return {p.nodes[f.node].min_value};
      return {};
    case kNumber: {
      if (!f.x) return {"0"};
      const Node& n = p.nodes[f.node];
      return {IntCompletion(f.ws, IntDigits(f), f.phase == kNumSign ? 0 : f.a, n.int_min, n.int_max)};
    }
    case kLiteral:
    case kKeyLiteral: {
      const LiteralSet& ls = p.literal_sets[f.a];
      uint32_t best = f.b;
      for (uint32_t k = f.b; k < f.c; ++k) {
        if (ls.strs[k].size() < ls.strs[best].size()) best = k;
      }
      return {ls.strs[best].substr(f.d)};
    }
    case kString:
    case kKeyString: {
      std::string s;
      switch (f.phase) {
        case kStrEscape: s = "n"; break;
        case kStrHex: {
          uint32_t acc = f.b & 0xFFFF;
          for (int i = f.ws; i < 4; ++i) {
            s += '0';
            acc <<= 4;
          }
          if (acc >= 0xD800 && acc <= 0xDBFF) s += "\\uDC00";
          break;
        }
        case kStrLowBackslash: s = "\\uDC00"; break;
        case kStrLowU: s = "uDC00"; break;
        case kStrLowHex: s = std::string("DC00").substr(f.ws); break;
        default: break;
      }
      if (f.phase == kStrNormal && (f.x & 0xF)) {
        static const uint8_t kFirst[5] = {0x80, 0xA0, 0x80, 0x90, 0x80};
        s += static_cast<char>(kFirst[(f.x >> 4) % 5]);
        for (int i = 1; i < (f.x & 0xF); ++i) s += static_cast<char>(0x80);
      }
      if (f.kind == kString) {
        uint32_t min_len = p.nodes[f.node].min_len;
        if (f.a < min_len) s += std::string(min_len - f.a, 'a');
        return {s + "\""};
      }
      size_t longest = 0;
      for (const auto& pr : p.nodes[f.node].props) longest = std::max(longest, pr.name.size());
      return {s + "\"", s + "_\"", s + std::string(longest + 1, '_') + "\""};
    }
    case kObject: {
      const Node& n = p.nodes[f.node];
      const int32_t np = static_cast<int32_t>(n.props.size());
      const int32_t req = n.next_req[f.a];
      switch (f.phase) {
        case kObjOpen: return {req < np ? n.props[req].enc : "}"};
        case kObjAfterValue: return {req < np ? "," : "}"};
        case kObjAfterComma: {
          if (req < np) return {n.props[req].enc};
          if (static_cast<int32_t>(f.a) < np) return {n.props[f.a].enc};
          return {n.free_key};
        }
        case kObjAfterKey: return {":"};
        case kObjAfterColon: return {p.nodes[f.b].min_value};
        default: return {};
      }
    }
    case kArray: {
      const Node& n = p.nodes[f.node];
      switch (f.phase) {
        case kArrOpen: return {n.min_items > 0 ? p.nodes[n.items].min_value : "]"};
        case kArrAfterItem: return {f.a < n.min_items ? "," : "]"};
        case kArrAfterComma: return {p.nodes[n.items].min_value};
        default: return {};
      }
    }
    default:
      return {};
  }
}

bool FeedAll(const Program& p, const State& in, std::string_view bytes, State* out) {
  if (bytes.empty()) {
    *out = in;
    return true;
  }
  State a, b;
  const State* cur = &in;
  for (size_t i = 0; i < bytes.size(); ++i) {
    State* dst = (i + 1 == bytes.size()) ? out : ((cur == &a) ? &b : &a);
    if (!JsonMatcher::Step(p, *cur, static_cast<uint8_t>(bytes[i]), dst)) return false;
    cur = dst;
  }
  return true;
}

}  // namespace
}  // namespace json_internal

using json_internal::Frame;
using json_internal::Program;
using json_internal::State;

bool JsonMatcher::Step(const Program& p, const State& in, uint8_t byte, State* out) {
  out->frames.clear();
  out->spans.clear();
  out->frames.reserve(in.frames.size() + 4);
  for (size_t s = 0; s + 1 < in.spans.size(); s += 2) {
    size_t base = out->frames.size();
    out->frames.insert(out->frames.end(), in.frames.begin() + in.spans[s], in.frames.begin() + in.spans[s + 1]);
    json_internal::Runner(p, out).Run(base, byte);
  }
  if (out->spans.empty()) return false;
  if (out->spans.size() > 2 || out->spans[0] != 0 || out->spans[1] != out->frames.size()) {
    // Compact: drop garbage and duplicate stacks, keep at most kMaxStacks.
    State c;
    c.frames.reserve(out->frames.size());
    for (size_t s = 0; s + 1 < out->spans.size(); s += 2) {
      const Frame* f = out->frames.data() + out->spans[s];
      size_t n = out->spans[s + 1] - out->spans[s];
      bool dup = false;
      for (size_t t = 0; t + 1 < c.spans.size() && !dup; t += 2) {
        dup = json_internal::SameStack(c.frames.data() + c.spans[t], c.spans[t + 1] - c.spans[t], f, n);
      }
      if (dup) continue;
      if (c.spans.size() / 2 >= json_internal::kMaxStacks) break;
      c.spans.push_back(static_cast<uint32_t>(c.frames.size()));
      c.frames.insert(c.frames.end(), f, f + n);
      c.spans.push_back(static_cast<uint32_t>(c.frames.size()));
    }
    *out = std::move(c);
  }
  return true;
}

bool JsonMatcher::IsComplete(const Program& p, const State& s) {
  for (size_t i = 0; i + 1 < s.spans.size(); i += 2) {
    const Frame* f = s.frames.data() + s.spans[i];
    size_t n = s.spans[i + 1] - s.spans[i];
    if (n == 1 && f[0].phase == json_internal::kRootDone) return true;
    if (n == 2 && json_internal::LazilyComplete(p, f[1])) return true;
  }
  return false;
}

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonConstraint> c) : c_(std::move(c)) {
  Frame root{};
  root.kind = json_internal::kRoot;
  root.node = static_cast<uint32_t>(c_->program().root);
  state_.frames.push_back(root);
  state_.spans = {0, 1};
}

bool JsonMatcher::Feed(std::string_view bytes) {
  State next;
  if (!json_internal::FeedAll(c_->program(), state_, bytes, &next)) return false;
  state_ = std::move(next);
  return true;
}

bool JsonMatcher::CanFeed(std::string_view bytes) const {
  State next;
  return json_internal::FeedAll(c_->program(), state_, bytes, &next);
}

bool JsonMatcher::Complete() const { return IsComplete(c_->program(), state_); }

std::string JsonMatcher::ShortestCompletion() const {
  const Program& p = c_->program();
  if (IsComplete(p, state_)) return "";
  std::string best;
  bool have = false;
  for (size_t i = 0; i + 1 < state_.spans.size(); i += 2) {
    State s;
    s.frames.assign(state_.frames.begin() + state_.spans[i], state_.frames.begin() + state_.spans[i + 1]);
    s.spans = {0, static_cast<uint32_t>(s.frames.size())};
    std::string out;
    bool ok = true;
    for (int iter = 0; ok && !IsComplete(p, s); ++iter) {
      // The first stack of s drives the chunk choice; any surviving stack is fine.
      std::vector<Frame> top(s.frames.begin() + s.spans[0], s.frames.begin() + s.spans[1]);
      ok = false;
      if (iter > 100000) break;
      for (const std::string& chunk : json_internal::NextChunks(p, std::move(top))) {
        State t;
        if (!chunk.empty() && json_internal::FeedAll(p, s, chunk, &t)) {
          s = std::move(t);
          out += chunk;
          ok = true;
          break;
        }
      }
    }
    if (ok && (!have || out.size() < best.size())) {
      best = std::move(out);
      have = true;
    }
  }
  return best;
}

}  // namespace sangam::sample
