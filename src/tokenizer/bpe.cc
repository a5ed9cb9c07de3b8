// Byte-level BPE merges within pre-tokenized words (see encoders.h).
#include <queue>

#include "tokenizer/encoders.h"
#include "tokenizer/unicode.h"

namespace sangam::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;
  size_t n;
};

struct Bigram {
  int32_t rank;
  int left;
  int right;
  size_t size;
};

// Lowest rank first; on equal ranks the leftmost pair.
struct BigramGreater {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

void EncodeWord(const VocabData& v, const std::string& word, std::string* key, std::vector<Symbol>* syms,
                std::vector<int32_t>* out) {
  if (v.ignore_merges) {
    const int32_t id = v.Find(word);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  syms->clear();
  for (size_t off = 0; off < word.size();) {
    const size_t len = std::min(unicode::Utf8SeqLen(word[off]), word.size() - off);
    const int index = static_cast<int>(syms->size());
    syms->push_back({index - 1, off + len == word.size() ? -1 : index + 1, off, len});
    off += len;
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramGreater> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = (*syms)[left];
    const Symbol& r = (*syms)[right];
    key->assign(word, l.offset, l.n);
    key->push_back(' ');
    key->append(word, r.offset, r.n);
    const auto it = v.merge_rank.find(*key);
    if (it == v.merge_rank.end()) return;
    queue.push({it->second, left, right, l.n + r.n});
  };
  for (int i = 1; i < static_cast<int>(syms->size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = (*syms)[b.left];
    Symbol& r = (*syms)[b.right];
    // Stale entry: symbol texts are fixed slices, so equal lengths mean equal texts.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) (*syms)[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  if (syms->empty()) return;
  for (int i = 0; i != -1; i = (*syms)[i].next) {
    const Symbol& s = (*syms)[i];
    const std::string_view piece = std::string_view(word).substr(s.offset, s.n);
    const int32_t id = v.Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    // As llama.cpp: single bytes of the encoded symbol that happen to be tokens, others dropped.
    for (char c : piece) {
      const int32_t byte_id = v.Find(std::string_view(&c, 1));
      if (byte_id >= 0) out->push_back(byte_id);
    }
  }
}

}  // namespace

Status BpeEncode(const VocabData& v, const RegexSplitter& splitter, std::string_view text,
                 std::vector<int32_t>* out) {
  ASSIGN_OR_RETURN(std::vector<std::string> words, splitter.Split(text));
  std::string encoded, key;
  std::vector<Symbol> syms;
  for (const std::string& w : words) {
    encoded.clear();
    unicode::ByteEncode(w, &encoded);
    EncodeWord(v, encoded, &key, &syms, out);
  }
  return Status::Ok();
}

}  // namespace sangam::tokenizer
