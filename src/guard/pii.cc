// PII detection: candidates found by RE2 on the original text, then confirmed by checksums
// (Luhn for cards, Verhoeff for Aadhaar, mod-97 for IBAN) or context (secrets need entropy).
#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>

#include "guard/internal.h"

namespace sangam::guard::internal {

const char* const kPiiTypeNames = "email, phone, card, iban, aadhaar, pan, ip, secret";

const char* PiiTypeName(PiiType t) {
  switch (t) {
    case PiiType::kEmail: return "email";
    case PiiType::kPhone: return "phone";
    case PiiType::kCard: return "card";
    case PiiType::kIban: return "iban";
    case PiiType::kAadhaar: return "aadhaar";
    case PiiType::kPan: return "pan";
    case PiiType::kIp: return "ip";
    case PiiType::kSecret: return "secret";
  }
  return "?";
}

const char* PiiPlaceholder(PiiType t) {
  switch (t) {
    case PiiType::kEmail: return "[EMAIL]";
    case PiiType::kPhone: return "[PHONE]";
    case PiiType::kCard: return "[CARD]";
    case PiiType::kIban: return "[IBAN]";
    case PiiType::kAadhaar: return "[AADHAAR]";
    case PiiType::kPan: return "[PAN]";
    case PiiType::kIp: return "[IP]";
    case PiiType::kSecret: return "[SECRET]";
  }
  return "[PII]";
}

bool PiiTypeFromName(std::string_view name, PiiType* out) {
  static const PiiType kAll[] = {PiiType::kEmail, PiiType::kPhone,   PiiType::kCard, PiiType::kIban,
                                 PiiType::kAadhaar, PiiType::kPan, PiiType::kIp,   PiiType::kSecret};
  for (PiiType t : kAll) {
    if (name == PiiTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] < '0' || digits[i] > '9') return false;
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool VerhoeffValid(std::string_view digits) {
  // The dihedral group D5 multiplication table and the position permutation (Verhoeff 1969).
  static const int kD[10][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
      {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
      {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
  static const int kP[8][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
      {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
      {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
  if (digits.empty()) return false;
  int c = 0;
  size_t pos = 0;
  for (size_t i = digits.size(); i-- > 0; ++pos) {
    if (digits[i] < '0' || digits[i] > '9') return false;
    c = kD[c][kP[pos % 8][digits[i] - '0']];
  }
  return c == 0;
}

bool IbanValid(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  if (!std::isupper(static_cast<unsigned char>(s[0])) || !std::isupper(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])) || !std::isdigit(static_cast<unsigned char>(s[3]))) {
    return false;
  }
  int rem = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    const char ch = s[(k + 4) % s.size()];  // the first four characters move to the end
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      rem = (rem * 10 + (ch - '0')) % 97;
    } else if (ch >= 'A' && ch <= 'Z') {
      const int v = ch - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

double Entropy(std::string_view s) {
  if (s.empty()) return 0;
  int counts[256] = {};
  for (unsigned char c : s) counts[c]++;
  double h = 0;
  for (int c : counts) {
    if (!c) continue;
    const double p = static_cast<double>(c) / s.size();
    h -= p * std::log2(p);
  }
  return h;
}

namespace {

std::string DigitsOf(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

struct Matchers {
  RE2 email{R"([A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})"};
  // Digit runs with optional single space/dash separators, 12..19 digits (Aadhaar and cards).
  RE2 digits{R"(\b\d(?:[ \-]?\d){11,18}\b)"};
  RE2 phone_in{R"((?:(?:\+|\b00)91[ \-]?|\b0|\b)[6-9]\d{4}[ \-]?\d{5}\b)"};
  RE2 phone_intl{R"((?:\+|\b00)[1-9]\d{0,2}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d{1,4}(?:[ \-.]?\d{2,4}){1,4}\b)"};
  RE2 phone_nanp{R"((?:\(\d{3}\)\s?|\b\d{3}[\-.])\d{3}[\-.]\d{4}\b)"};
  // National numbers with a trunk prefix 0, written in groups: "020 7946 0958", "(020) 7946 0958",
  // "01 42 68 53 00", "07700 900123", "030-901820-11". At least one separator is required and the
  // digit count is checked (9-11), so dates, decimals and bare IDs are not taken.
  RE2 phone_national{R"((?:\(0\d{1,4}\)[ \-]?|\b0\d{1,4}[ \-.])\d{2,6}(?:[ \-.]\d{2,6}){0,3}\b)"};
  RE2 iban{R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b)"};
  RE2 pan{R"(\b[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]\b)"};
  RE2 ipv4{R"(\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b)"};
  RE2 ipv6{R"((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})"};
  RE2 secret_fixed{
      R"(\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{50,}|\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}|\bxox[abposr]-[A-Za-z0-9\-]{10,}|\bAIza[0-9A-Za-z_\-]{35}\b)"};
  RE2 private_key{R"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?s:.*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\z))"};
  // A long token right after a word like key/secret/token/password and ':' or '='.
  RE2 secret_ctx{R"((?i)(?:api[_\-]?key|secret|token|passw(?:or)?d|access[_\-]?key|auth)[A-Za-z_\-]*["']?\s*[:=]\s*["']?([A-Za-z0-9/+_\-.=]{16,}))"};
};

const Matchers& M() {
  static const Matchers* m = new Matchers();
  return *m;
}

class Claimed {
 public:
  bool Free(size_t b, size_t e) const {
    for (const PiiMatch& m : v_) {
      if (b < m.end && m.begin < e) return false;
    }
    return true;
  }
  void Add(PiiType t, size_t b, size_t e) { v_.push_back({t, b, e}); }
  std::vector<PiiMatch> Take() {
    std::sort(v_.begin(), v_.end(), [](const PiiMatch& a, const PiiMatch& b) { return a.begin < b.begin; });
    return std::move(v_);
  }

 private:
  std::vector<PiiMatch> v_;
};

// Calls fn(begin, end, match) for each leftmost match of re (group 1 if `group`).
template <typename Fn>
void ForEach(const RE2& re, std::string_view text, bool group, Fn fn) {
  re2::StringPiece sub[2];
  size_t pos = 0;
  const int nsub = group ? 2 : 1;
  while (pos <= text.size() &&
         re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, sub, nsub)) {
    const re2::StringPiece& m = sub[nsub - 1];
    const size_t b = m.data() - text.data(), e = b + m.size();
    const size_t whole_end = (sub[0].data() - text.data()) + sub[0].size();
    if (m.data() != nullptr) fn(b, e, std::string_view(m.data(), m.size()));
    pos = whole_end > pos ? whole_end : pos + 1;
  }
}

bool Wanted(const std::vector<PiiType>& types, PiiType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

}  // namespace

// A dotted quad that is a version or part of a longer dotted number, not an address:
// "v1.2.3.4", "version 10.0.19041.1", "1.2.3.4.5", "2.4.1.0-beta".
static bool LooksLikeVersion(std::string_view text, size_t b, size_t e) {
  auto digit = [&](size_t i) { return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0; };
  if (e + 1 < text.size() && text[e] == '.' && digit(e + 1)) return true;  // more dotted parts follow
  if (e < text.size() && (text[e] == '-' || text[e] == '+') && e + 1 < text.size() &&
      std::isalpha(static_cast<unsigned char>(text[e + 1]))) {
    return true;  // 1.2.3.4-beta, 1.2.3.4+build
  }
  if (b >= 2 && text[b - 1] == '.' && digit(b - 2)) return true;  // dotted parts before
  // A version word just before: "v1.2.3.4", "version 1.2.3.4", "ver. 1.2.3.4", "release 1.2.3.4".
  size_t i = b;
  while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '.' || text[i - 1] == ':')) --i;
  size_t w = i;
  while (w > 0 && std::isalpha(static_cast<unsigned char>(text[w - 1]))) --w;
  std::string word(text.substr(w, i - w));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (word == "v" && i == b) return true;
  return word == "version" || word == "ver" || word == "release" || word == "build" || word == "firmware" ||
         word == "kernel";
}

std::vector<PiiMatch> FindPii(std::string_view text, const std::vector<PiiType>& types) {
  if (types.empty() || text.empty()) return {};
  const Matchers& m = M();
  Claimed claimed;
  bool has_digit = false, has_at = false, has_colon = false, has_upper = false;
  for (char c : text) {
    has_digit |= (c >= '0' && c <= '9');
    has_at |= c == '@';
    has_colon |= c == ':';
    has_upper |= (c >= 'A' && c <= 'Z');
  }
  if (Wanted(types, PiiType::kSecret)) {
    ForEach(m.private_key, text, false, [&](size_t b, size_t e, std::string_view) { claimed.Add(PiiType::kSecret, b, e); });
    ForEach(m.secret_fixed, text, false, [&](size_t b, size_t e, std::string_view) {
      if (claimed.Free(b, e)) claimed.Add(PiiType::kSecret, b, e);
    });
    ForEach(m.secret_ctx, text, true, [&](size_t b, size_t e, std::string_view v) {
      // Words and file paths are not secrets: require a random-looking value.
      bool letter = false, digit = false;
      for (char c : v) {
        letter |= std::isalpha(static_cast<unsigned char>(c)) != 0;
        digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
      }
      if (letter && digit && Entropy(v) >= 3.5 && claimed.Free(b, e)) claimed.Add(PiiType::kSecret, b, e);
    });
  }
  if (has_at && Wanted(types, PiiType::kEmail)) {
    ForEach(m.email, text, false, [&](size_t b, size_t e, std::string_view) {
      if (claimed.Free(b, e)) claimed.Add(PiiType::kEmail, b, e);
    });
  }
  if (has_upper && has_digit && Wanted(types, PiiType::kIban)) {
    ForEach(m.iban, text, false, [&](size_t b, size_t e, std::string_view v) {
      std::string compact;
      for (char c : v) {
        if (c != ' ') compact.push_back(c);
      }
      if (IbanValid(compact) && claimed.Free(b, e)) claimed.Add(PiiType::kIban, b, e);
    });
  }
  if (has_upper && has_digit && Wanted(types, PiiType::kPan)) {
    ForEach(m.pan, text, false, [&](size_t b, size_t e, std::string_view) {
      if (claimed.Free(b, e)) claimed.Add(PiiType::kPan, b, e);
    });
  }
  if (has_digit && (Wanted(types, PiiType::kCard) || Wanted(types, PiiType::kAadhaar))) {
    ForEach(m.digits, text, false, [&](size_t b, size_t e, std::string_view v) {
      const std::string d = DigitsOf(v);
      if (!claimed.Free(b, e)) return;
      if (b > 0 && text[b - 1] == '+') return;  // an international phone number
      // Aadhaar numbers are written as 12 digits or in groups of four.
      const bool grouped4 = v.size() == 12 || (v.size() == 14 && !std::isdigit(static_cast<unsigned char>(v[4])) &&
                                               !std::isdigit(static_cast<unsigned char>(v[9])));
      if (d.size() == 12 && grouped4 && Wanted(types, PiiType::kAadhaar) && d[0] >= '2' && VerhoeffValid(d)) {
        claimed.Add(PiiType::kAadhaar, b, e);
      } else if (d.size() >= 13 && Wanted(types, PiiType::kCard) && LuhnValid(d)) {
        claimed.Add(PiiType::kCard, b, e);
      }
    });
  }
  if (has_digit && Wanted(types, PiiType::kIp)) {
    ForEach(m.ipv4, text, false, [&](size_t b, size_t e, std::string_view) {
      if (LooksLikeVersion(text, b, e)) return;
      if (claimed.Free(b, e)) claimed.Add(PiiType::kIp, b, e);
    });
  }
  if (has_colon && Wanted(types, PiiType::kIp)) {
    ForEach(m.ipv6, text, false, [&](size_t b, size_t e, std::string_view v) {
      if (v.size() < 3 || v.size() > 45) return;
      if (b > 0 && (std::isalnum(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == ':')) return;
      if (e < text.size() && std::isalnum(static_cast<unsigned char>(text[e]))) return;
      const std::string s(v);
      in6_addr addr;
      if (inet_pton(AF_INET6, s.c_str(), &addr) == 1 && claimed.Free(b, e)) claimed.Add(PiiType::kIp, b, e);
    });
  }
  if (has_digit && Wanted(types, PiiType::kPhone)) {
    for (const RE2* re : {&m.phone_in, &m.phone_intl, &m.phone_nanp, &m.phone_national}) {
      ForEach(*re, text, false, [&](size_t b, size_t e, std::string_view v) {
        const std::string d = DigitsOf(v);
        if (d.size() < 7 || d.size() > 15) return;
        if (re == &m.phone_national && (d.size() < 9 || d.size() > 11)) return;
        if (re == &m.phone_national && b > 0 && (text[b - 1] == '+' || text[b - 1] == '.' || text[b - 1] == '/')) return;
        if (claimed.Free(b, e)) claimed.Add(PiiType::kPhone, b, e);
      });
    }
  }
  return claimed.Take();
}

}  // namespace sangam::guard::internal
