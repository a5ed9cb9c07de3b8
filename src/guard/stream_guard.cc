// The output rail: holds back the end of a streamed reply, re-checks a bounded window on every
// piece, and releases only text that can no longer turn a decision into a block.
#include <algorithm>

#include "guard/internal.h"

namespace sangam::guard {
namespace {

// Length of the longest prefix that does not end inside an incomplete UTF-8 sequence.
size_t CompletePrefix(std::string_view s) {
  size_t i = s.size();
  int back = 0;
  while (i > 0 && back < 3 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++back;
  }
  if (i == 0) return s.size();
  const unsigned char lead = static_cast<unsigned char>(s[i - 1]);
  const size_t need = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3 : (lead >> 3) == 30 ? 4 : 1;
  return s.size() - (i - 1) < need ? i - 1 : s.size();
}

bool IsSpaceByte(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

}  // namespace

StreamGuard::StreamGuard(const Guard& guard, size_t holdback_bytes)
    : guard_(guard),
      holdback_(std::max(holdback_bytes, std::min(kMaxHoldbackBytes, 3 * guard.policy().longest_keyword_bytes() + 8))) {
  for (const Category& c : guard.policy().categories()) {
    if (c.action == Action::kRedact) redact_categories_.push_back(c.code);
  }
}

std::string StreamGuard::Push(std::string_view piece, bool* blocked) {
  if (blocked_) {
    if (blocked) *blocked = true;
    return {};
  }
  text_.append(piece.data(), piece.size());
  return Release(false, blocked);
}

std::string StreamGuard::Finish(bool* blocked) {
  if (blocked_) {
    if (blocked) *blocked = true;
    return {};
  }
  return Release(true, blocked);
}

std::string StreamGuard::Release(bool final, bool* blocked) {
  if (blocked) *blocked = false;
  // Keep text_ valid UTF-8 up to its last complete character (released text is never touched).
  const size_t complete = final ? text_.size() : CompletePrefix(text_);
  if (complete > released_) {
    std::string_view fresh(text_.data() + released_, complete - released_);
    if (!internal::IsValidUtf8(fresh)) {
      std::string fixed = internal::RepairUtf8(fresh);
      text_ = text_.substr(0, released_) + fixed + text_.substr(complete);
    }
  }
  const size_t end = final ? text_.size() : CompletePrefix(text_);

  // The window re-checked: the unreleased text plus up to kContextBytes before it, starting at a
  // word boundary so that cutting a word cannot create a match ("skill" -> "kill").
  size_t start = 0;
  const size_t context = std::max(kContextBytes, holdback_);
  if (!final && released_ > context) {
    const size_t want = released_ - context;
    const size_t sp = text_.find_last_of(" \n\t\r", want);
    // Text without spaces nearby (CJK, Thai, one huge token) is cut at a character boundary so
    // that the cost per piece stays bounded.
    start = sp != std::string::npos && want - sp <= 64 ? sp + 1 : internal::Utf8Floor(text_, want);
  }
  Decision d = final ? guard_.Check(text_, Direction::kOutput)
                     : guard_.Evaluate(std::string_view(text_.data() + start, end - start), Direction::kOutput);
  if (d.action == Action::kBlock) {
    blocked_ = true;
    if (blocked) *blocked = true;
    decision_ = std::move(d);
    return {};
  }
  decision_ = std::move(d);

  size_t safe = end;
  if (!final) {
    safe = end > holdback_ ? end - holdback_ : 0;
    safe = internal::Utf8Floor(text_, safe);
    if (safe <= released_) return {};
    // Whole words: release up to the last whitespace; text without spaces (CJK, Thai) is released
    // at character boundaries once a whole hold-back of it has accumulated.
    size_t k = safe;
    while (k > released_ && !IsSpaceByte(text_[k - 1])) --k;
    if (k > released_) safe = k;
  }
  if (safe <= released_) return {};

  std::vector<Decision::Redaction> spans;
  {
    for (const Decision::Redaction& r : decision_.redactions) {
      if (std::find(redact_categories_.begin(), redact_categories_.end(), r.category) == redact_categories_.end()) continue;
      Decision::Redaction a = r;
      a.begin += start;
      a.end += start;
      if (a.end <= released_) continue;
      if (!final && a.begin < safe && a.end > safe) safe = std::max(released_, a.begin);  // hold the whole span
      spans.push_back(a);
    }
  }
  std::string out;
  size_t pos = released_;
  for (const Decision::Redaction& r : spans) {
    if (r.begin >= safe) break;
    const size_t b = std::max(r.begin, pos);
    out.append(text_, pos, b - pos);
    out += r.placeholder;
    pos = std::min(r.end, safe);
  }
  if (safe > pos) out.append(text_, pos, safe - pos);
  released_ = safe;
  return out;
}

}  // namespace sangam::guard
