// StreamDecoder: per-token pieces, holding back incomplete UTF-8 sequences (see tokenizer.h).
#include "sangam/tokenizer.h"

namespace sangam::tokenizer {
namespace {

// Length of the longest suffix of `s` that is a proper prefix of a well-formed UTF-8 sequence
// (a lead byte followed by fewer continuation bytes than it announces), 0 when none.
size_t IncompleteTail(const std::string& s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t c = static_cast<uint8_t>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = 0;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) need = 3;
    else if (c >= 0xF0 && c <= 0xF4) need = 4;
    return (need > back) ? back : 0;
  }
  return 0;
}

}  // namespace

std::string StreamDecoder::Push(int32_t id) {
  std::string piece = tok_.TokenToPieceSpecial(id, opts_.render_special);
  if (opts_.strip_leading_space && tok_.add_space_prefix()) {
    const bool strip = (n_pushed_ == 0 && id != tok_.bos()) ||
                       (n_pushed_ == 1 && first_was_bos_ && !opts_.render_special);
    if (strip && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
  }
  if (n_pushed_ == 0) first_was_bos_ = (id == tok_.bos());
  ++n_pushed_;
  pending_ += piece;
  const size_t hold = IncompleteTail(pending_);
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StreamDecoder::Flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  n_pushed_ = 0;
  first_was_bos_ = false;
  return out;
}

}  // namespace sangam::tokenizer
