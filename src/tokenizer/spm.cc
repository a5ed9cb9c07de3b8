// SentencePiece-style BPE with a priority queue of candidate merges (see encoders.h).
#include <queue>

#include "tokenizer/encoders.h"
#include "tokenizer/unicode.h"

namespace sangam::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;
  size_t n;  // 0 once merged into its left neighbour
};

struct Bigram {
  float score;
  int left;
  int right;
  size_t size;
};

// Highest score first; on equal scores the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void SpmEncode(const VocabData& v, std::string_view text, std::vector<int32_t>* out) {
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(unicode::Utf8SeqLen(text[off]), text.size() - off);
    const int index = static_cast<int>(syms.size());
    syms.push_back({index - 1, off + len == text.size() ? -1 : index + 1, off, len});
    off += len;
  }
  if (syms.empty()) return;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view s = text.substr(syms[left].offset, syms[left].n + syms[right].n);
    const int32_t id = v.Find(s);
    if (id < 0) return;
    queue.push({v.score[id], left, right, s.size()});
  };
  for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = syms[b.left];
    Symbol& r = syms[b.right];
    // Stale entry: one side was merged away or grew since the pair was queued.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = 0; i != -1; i = syms[i].next) {
    const Symbol& s = syms[i];
    const std::string_view piece = text.substr(s.offset, s.n);
    const int32_t id = v.Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    // Not a token: its bytes as byte tokens (<0xXX>). Without byte tokens (llama.cpp would
    // throw) the character becomes one [UNK], or is dropped when there is no [UNK] either.
    bool all_bytes = true;
    for (char c : piece) all_bytes = all_bytes && v.byte_token[static_cast<uint8_t>(c)] >= 0;
    if (all_bytes) {
      for (char c : piece) out->push_back(v.byte_token[static_cast<uint8_t>(c)]);
    } else if (v.unk >= 0) {
      out->push_back(v.unk);
    }
  }
}

}  // namespace sangam::tokenizer
