// ConceptLexicon: parsing of the concept lexicon and leftmost-longest tagging of classifier text.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "guard/default_assets.h"
#include "sangam/file.h"
#include "sangam/guard_classifier.h"
#include "sangam/guard_concepts.h"

namespace sangam::guard {
namespace {

constexpr size_t kMaxTermTokens = 16;
constexpr int kMinPrefixCodePoints = 4;

// Leading proclitics of Arabic-script words, longest first (UTF-8).
constexpr std::string_view kArabicProclitics[] = {
    "\xD9\x88\xD8\xA7\xD9\x84",  // وال
    "\xD8\xA8\xD8\xA7\xD9\x84",  // بال
    "\xD9\x81\xD8\xA7\xD9\x84",  // فال
    "\xD9\x83\xD8\xA7\xD9\x84",  // كال
    "\xD9\x84\xD9\x84",          // لل
    "\xD8\xA7\xD9\x84",          // ال
    "\xD9\x88",                  // و
    "\xD9\x81",                  // ف
    "\xD8\xA8",                  // ب
    "\xD9\x84",                  // ل
};

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool ValidConcept(std::string_view c) {
  if (c.empty() || c.size() > 48) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  }
  return true;
}

// Apostrophes are left out of the token sequence, so "d'identité" matches the term "d identité".
bool IsApostrophe(std::string_view t) { return t == "'" || t == "\xE2\x80\x99" || t == "\xCA\xBC"; }

std::vector<std::string_view> SplitTokens(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start && !IsApostrophe(text.substr(start, i - start))) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool TokenMatches(const std::string& term_token, bool prefix_ok, std::string_view text_token) {
  if (prefix_ok) return text_token.substr(0, term_token.size()) == term_token;
  return text_token == term_token;
}

}  // namespace

struct ConceptLexicon::Impl {
  struct Term {
    std::vector<std::string> tokens;
    std::vector<bool> prefix_ok;  // per token: at least kMinPrefixCodePoints code points
    int concept_id = 0;
  };
  struct Node {
    std::vector<int32_t> terms;  // terms whose first token ends at this node
  };
  std::vector<std::string> concept_names;  // id -> name
  std::vector<Term> terms;
  std::vector<Node> nodes{Node{}};                // trie over the bytes of first tokens; 0 = root
  std::unordered_map<uint64_t, int32_t> edges;    // while building: (node << 8 | byte) -> child
  std::vector<std::string> tag_tokens;            // concept id -> "__c_<name>"
  // After Finalize: node i's edges are edge_byte/edge_child[edge_begin[i] .. edge_begin[i+1]),
  // sorted by byte; the root's are also a direct 256-entry table.
  std::vector<int32_t> edge_begin;
  std::vector<unsigned char> edge_byte;
  std::vector<int32_t> edge_child;
  int32_t root_child[256];

  Impl() {
    std::fill(std::begin(root_child), std::end(root_child), -1);
    edge_begin.assign(2, 0);
  }

  void Finalize() {
    std::vector<std::vector<std::pair<unsigned char, int32_t>>> out(nodes.size());
    for (const auto& [key, child] : edges) {
      out[static_cast<size_t>(key >> 8)].emplace_back(static_cast<unsigned char>(key & 0xFF), child);
    }
    edge_begin.assign(nodes.size() + 1, 0);
    edge_byte.clear();
    edge_child.clear();
    for (size_t n = 0; n < nodes.size(); ++n) {
      std::sort(out[n].begin(), out[n].end());
      edge_begin[n] = static_cast<int32_t>(edge_byte.size());
      for (const auto& [b, c] : out[n]) {
        edge_byte.push_back(b);
        edge_child.push_back(c);
      }
    }
    edge_begin[nodes.size()] = static_cast<int32_t>(edge_byte.size());
    std::fill(std::begin(root_child), std::end(root_child), -1);
    for (const auto& [b, c] : out[0]) root_child[b] = c;
    edges.clear();
  }

  int32_t Child(int32_t node, unsigned char b) const {
    if (node == 0) return root_child[b];
    const unsigned char* first = edge_byte.data() + edge_begin[node];
    const unsigned char* last = edge_byte.data() + edge_begin[node + 1];
    const unsigned char* it = last - first <= 8 ? std::find(first, last, b) : std::lower_bound(first, last, b);
    if (it == last || *it != b) return -1;
    return edge_child[static_cast<size_t>(it - edge_byte.data())];
  }

  void Insert(Term term) {
    int32_t node = 0;
    for (unsigned char b : term.tokens[0]) {
      const uint64_t key = (static_cast<uint64_t>(node) << 8) | b;
      auto it = edges.find(key);
      if (it == edges.end()) {
        nodes.push_back(Node{});
        const int32_t child = static_cast<int32_t>(nodes.size() - 1);
        edges.emplace(key, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    nodes[node].terms.push_back(static_cast<int32_t>(terms.size()));
    terms.push_back(std::move(term));
  }

  // Walks `first` (a text token, possibly without its proclitic) down the trie and records every
  // term that matches at tokens[i..]: their lengths in tokens and concept ids.
  void MatchAt(std::string_view first, const std::vector<std::string_view>& tokens, size_t i,
               std::vector<std::pair<size_t, int>>* found) const {
    int32_t node = 0;
    for (size_t j = 0; j < first.size(); ++j) {
      node = Child(node, static_cast<unsigned char>(first[j]));
      if (node < 0) return;
      const bool at_end = (j + 1 == first.size());
      if (!at_end && (static_cast<unsigned char>(first[j + 1]) & 0xC0) == 0x80) continue;
      for (int32_t t : nodes[node].terms) {
        const Term& term = terms[t];
        if (!at_end && !term.prefix_ok[0]) continue;
        if (i + term.tokens.size() > tokens.size()) continue;
        bool ok = true;
        for (size_t k = 1; k < term.tokens.size() && ok; ++k) {
          ok = TokenMatches(term.tokens[k], term.prefix_ok[k], tokens[i + k]);
        }
        if (ok) found->emplace_back(term.tokens.size(), term.concept_id);
      }
    }
  }
};

ConceptLexicon::ConceptLexicon() : impl_(std::make_unique<Impl>()) {}
ConceptLexicon::ConceptLexicon(ConceptLexicon&&) noexcept = default;
ConceptLexicon& ConceptLexicon::operator=(ConceptLexicon&&) noexcept = default;
ConceptLexicon::~ConceptLexicon() = default;

Result<ConceptLexicon> ConceptLexicon::Parse(std::string_view tsv, std::string_view source) {
  ConceptLexicon lex;
  Impl& im = *lex.impl_;
  std::map<std::string, int> concept_ids;
  std::set<std::pair<std::string, int>> seen;  // (normalised term, concept)
  size_t line_no = 0;
  size_t pos = 0;
  const std::string src(source);
  while (pos < tsv.size()) {
    size_t end = tsv.find('\n', pos);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> fields;
    size_t f = 0;
    while (true) {
      const size_t tab = line.find('\t', f);
      fields.push_back(line.substr(f, tab == std::string_view::npos ? std::string_view::npos : tab - f));
      if (tab == std::string_view::npos) break;
      f = tab + 1;
    }
    if (fields.size() != 3) {
      return InvalidArgumentError(StrFormat("%s:%zu: expected CONCEPT<TAB>LANG<TAB>TERM, got %zu field(s)",
                                            src.c_str(), line_no, fields.size()));
    }
    const std::string concept_name(fields[0]);
    if (!ValidConcept(concept_name)) {
      return InvalidArgumentError(StrFormat("%s:%zu: concept '%s' must be 1-48 characters of [a-z0-9_]",
                                            src.c_str(), line_no, concept_name.c_str()));
    }
    const std::string norm = ClassifierText(fields[2]);
    if (norm.empty()) {
      return InvalidArgumentError(StrFormat("%s:%zu: empty term", src.c_str(), line_no));
    }
    std::vector<std::string_view> toks = SplitTokens(norm);
    if (toks.empty()) {
      return InvalidArgumentError(StrFormat("%s:%zu: term has nothing to match (only apostrophes)", src.c_str(), line_no));
    }
    if (toks.size() > kMaxTermTokens) {
      return InvalidArgumentError(StrFormat("%s:%zu: term has %zu tokens (at most %zu)", src.c_str(), line_no,
                                            toks.size(), kMaxTermTokens));
    }
    auto [it, inserted] = concept_ids.emplace(concept_name, static_cast<int>(im.concept_names.size()));
    if (inserted) {
      im.concept_names.push_back(concept_name);
      im.tag_tokens.push_back(std::string(kConceptTagPrefix) + concept_name);
    }
    if (!seen.emplace(norm, it->second).second) continue;
    Impl::Term term;
    term.concept_id = it->second;
    for (std::string_view t : toks) {
      term.tokens.emplace_back(t);
      term.prefix_ok.push_back(CodePoints(t) >= static_cast<size_t>(kMinPrefixCodePoints));
    }
    im.Insert(std::move(term));
  }
  im.Finalize();
  return lex;
}

Result<ConceptLexicon> ConceptLexicon::Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return Parse(bytes, path);
}

const ConceptLexicon& ConceptLexicon::Default() {
  static const ConceptLexicon* lex = [] {
    for (const EmbeddedFile& f : DefaultAssets()) {
      if (f.name != "concepts.tsv") continue;
      Result<ConceptLexicon> r = Parse(f.data, "concepts.tsv (built in)");
      // The built-in file is checked by the tests; a broken one degrades to no tags.
      if (r.ok()) return new ConceptLexicon(std::move(*r));
    }
    return new ConceptLexicon();
  }();
  return *lex;
}

std::vector<std::string> ConceptLexicon::Tag(std::string_view classifier_text) const {
  std::vector<std::string> tags;
  if (impl_->terms.empty()) return tags;
  const std::vector<std::string_view> tokens = SplitTokens(classifier_text);
  std::vector<std::pair<size_t, int>> found;
  for (size_t i = 0; i < tokens.size();) {
    found.clear();
    const std::string_view tok = tokens[i];
    impl_->MatchAt(tok, tokens, i, &found);
    const unsigned char b0 = static_cast<unsigned char>(tok[0]);
    if (b0 >= 0xD8 && b0 <= 0xDB) {  // Arabic block: try without a proclitic
      for (std::string_view p : kArabicProclitics) {
        if (tok.size() >= p.size() + 4 && tok.substr(0, p.size()) == p) {
          impl_->MatchAt(tok.substr(p.size()), tokens, i, &found);
        }
      }
    }
    if (found.empty()) {
      ++i;
      continue;
    }
    size_t longest = 0;
    for (const auto& [len, id] : found) longest = std::max(longest, len);
    std::vector<int> ids;
    for (const auto& [len, id] : found) {
      if (len == longest && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    for (int id : ids) tags.push_back(impl_->tag_tokens[id]);
    i += longest;
  }
  return tags;
}

size_t ConceptLexicon::num_terms() const { return impl_->terms.size(); }

std::vector<std::string> ConceptLexicon::concepts() const {
  std::vector<std::string> out = impl_->concept_names;
  std::sort(out.begin(), out.end());
  return out;
}

std::string TaggedClassifierText(std::string_view text, const ConceptLexicon& lexicon) {
  std::string out = ClassifierText(text);
  for (const std::string& tag : lexicon.Tag(out)) {
    out += ' ';
    out += tag;
  }
  return out;
}

}  // namespace sangam::guard
