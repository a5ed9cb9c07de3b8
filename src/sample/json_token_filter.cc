// The token mask for JSON-constrained decoding: a depth-first walk of a byte trie of the
// vocabulary's pieces, advancing one matcher state per trie depth and pruning rejected subtrees.
#include <algorithm>
#include <cmath>
#include <utility>

#include "sample/json_internal.h"
#include "sangam/json_constraint.h"

namespace sangam::sample {

JsonTokenFilter::Trie JsonTokenFilter::BuildTrie(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.piece != b.piece ? a.piece < b.piece : a.id < b.id;
  });
  // Preorder: a node per distinct prefix; tokens are listed at the node where they end.
  // Recursion depth is bounded by the longest piece (at most 1024 bytes).
  Trie t;
  auto build = [&](auto&& self, size_t lo, size_t hi, uint16_t depth) -> void {
    size_t i = lo;
    while (i < hi && entries[i].piece.size() == depth) ++i;
    while (i < hi) {
      const char c = entries[i].piece[depth];
      size_t j = i;
      while (j < hi && entries[j].piece[depth] == c) ++j;
      size_t idx = t.nodes.size();
      TrieNode n{};
      n.byte = static_cast<uint8_t>(c);
      n.depth = static_cast<uint16_t>(depth + 1);
      n.tok_begin = static_cast<uint32_t>(t.toks.size());
      size_t k = i;
      while (k < j && entries[k].piece.size() == static_cast<size_t>(depth) + 1) t.toks.push_back(entries[k++].id);
      n.tok_end = static_cast<uint32_t>(t.toks.size());
      t.nodes.push_back(n);
      t.max_depth = std::max<uint16_t>(t.max_depth, n.depth);
      self(self, i, j, static_cast<uint16_t>(depth + 1));
      t.nodes[idx].subtree_end = static_cast<uint32_t>(t.nodes.size());
      i = j;
    }
  };
  build(build, 0, entries.size(), 0);
  return t;
}

JsonTokenFilter::JsonTokenFilter(const tokenizer::Tokenizer& tok) : n_vocab_(tok.n_vocab()) {
  // Plain-ness is decided by the matcher itself: inside an unconstrained string the piece must be
  // accepted and leave no escape or UTF-8 sequence open.
  JsonMatcher in_string(JsonConstraint::AnyObject());
  (void)in_string.Feed("{\"a\":\"");
  std::vector<Entry> all, rest;
  for (int32_t id = 0; id < n_vocab_; ++id) {
    if (tok.IsEog(id)) {
      eog_.push_back(id);
      continue;
    }
    if (tok.IsControl(id)) continue;
    std::string piece = tok.TokenToPiece(id);
    if (piece.empty() || piece.size() > 1024) continue;
    bool plain = piece.find_first_of("\"\\") == std::string::npos;
    if (plain) {
      JsonMatcher m = in_string;
      plain = m.Feed(piece);
      if (plain) {
        const json_internal::Frame& top = m.state().frames.back();
        plain = m.state().spans.size() == 2 && top.kind == json_internal::kString &&
                top.phase == json_internal::kStrPhaseNormal &&
                (top.x & 0xF) == 0;
        if (plain) {
          plain_.push_back(id);
          plain_cps_.push_back(top.a);
        }
      }
    }
    if (!plain) rest.push_back({piece, id});
    all.push_back({std::move(piece), id});
  }
  all_ = BuildTrie(std::move(all));
  rest_ = BuildTrie(std::move(rest));
}

template <typename F>
void JsonTokenFilter::WalkTrie(const Trie& t, const json_internal::Program& p, const json_internal::State& s,
                               F&& on_token) {
  std::vector<json_internal::State> states(static_cast<size_t>(t.max_depth) + 1);
  states[0] = s;
  for (size_t k = 0; k < t.nodes.size();) {
    const TrieNode& n = t.nodes[k];
    if (!JsonMatcher::Step(p, states[n.depth - 1], n.byte, &states[n.depth])) {
      k = n.subtree_end;
      continue;
    }
    for (uint32_t i = n.tok_begin; i < n.tok_end; ++i) on_token(t.toks[i]);
    ++k;
  }
}

template <typename F>
void JsonTokenFilter::Walk(const JsonMatcher& m, F&& on_token) const {
  const json_internal::Program& p = m.constraint().program();
  const json_internal::State& s = m.state();
  const json_internal::Frame& top = s.frames.back();
  // A value string, or a key that can no longer equal a listed property name.
  const bool value_string = top.kind == json_internal::kString;
  const bool free_key = top.kind == json_internal::kKeyString && (top.c & 0xFFFF) >= (top.c >> 16);
  if (s.spans.size() == 2 && (value_string || free_key) && top.phase == json_internal::kStrPhaseNormal &&
      (top.x & 0xF) == 0) {
    const uint32_t max_len = value_string ? p.nodes[top.node].max_len : UINT32_MAX;
    const uint32_t room = max_len >= top.a ? max_len - top.a : 0;
    for (size_t i = 0; i < plain_.size(); ++i) {
      if (plain_cps_[i] <= room) on_token(plain_[i]);
    }
    WalkTrie(rest_, p, s, on_token);
    return;
  }
  WalkTrie(all_, p, s, on_token);
}

int JsonTokenFilter::Mask(const JsonMatcher& m, float* logits) const {
  std::vector<uint8_t> allowed(static_cast<size_t>(n_vocab_), 0);
  int count = 0;
  Walk(m, [&](int32_t id) {
    allowed[id] = 1;
    ++count;
  });
  if (m.Complete()) {
    for (int32_t id : eog_) {
      allowed[id] = 1;
      ++count;
    }
  }
  for (int32_t i = 0; i < n_vocab_; ++i) {
    if (!allowed[i]) logits[i] = -INFINITY;
  }
  return count;
}

std::vector<int32_t> JsonTokenFilter::AllowedTokens(const JsonMatcher& m) const {
  std::vector<int32_t> ids;
  Walk(m, [&](int32_t id) { ids.push_back(id); });
  if (m.Complete()) ids.insert(ids.end(), eog_.begin(), eog_.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace sangam::sample
