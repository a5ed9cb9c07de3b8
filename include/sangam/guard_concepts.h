// Cross-lingual concept tags for the guard classifier: a lexicon maps words of many languages
// ("bomb", "बम", "爆弾", "வெடிகுண்டு") to language-independent concepts ("explosive"), and the
// classifier sees one tag token per match (`__c_explosive`) beside the text's own words, so what
// it learns from one language's training data transfers to every language the lexicon covers.
//
// Lexicon files are UTF-8 TSV lines `CONCEPT<TAB>LANG<TAB>TERM` ('#' lines and blank lines are
// skipped). CONCEPT is [a-z0-9_]+; LANG is informational; TERM is one or more words. Terms and
// texts are both put through ClassifierText (NFKC, case folding, punctuation split off, Han/Kana/
// Thai one token per character), and a term matches a run of consecutive text tokens where each
// term token either equals the text token or, when it is at least 4 code points long, is a
// prefix of it (a stem: "murder" matches "murderers"). Arabic-script text tokens are also tried
// without a leading proclitic (ال، و، ف، ب، ل and their combinations); apostrophes in the text
// are skipped ("d'identité" matches "d identité"). Matching is
// leftmost-longest: at each position the longest matching term wins (all concepts of terms of
// that length are tagged) and matching resumes after it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

// Every tag token starts with this. ClassifierText splits '_' off as punctuation, so no user text
// can produce a tag token.
inline constexpr std::string_view kConceptTagPrefix = "__c_";

class ConceptLexicon {
 public:
  // Parses lexicon text. InvalidArgument naming `source` and the line for a malformed line (not
  // three fields, an invalid concept name, an empty term, a term longer than 16 tokens).
  static Result<ConceptLexicon> Parse(std::string_view tsv, std::string_view source = "<lexicon>");
  // Reads and parses a file. NotFound / Io / InvalidArgument.
  static Result<ConceptLexicon> Load(const std::string& path);
  // The lexicon shipped with sangam (data/guard/concepts.tsv, compiled in); empty when the
  // build has none. Parsed once, thread-safe.
  static const ConceptLexicon& Default();

  ConceptLexicon();
  ConceptLexicon(ConceptLexicon&&) noexcept;
  ConceptLexicon& operator=(ConceptLexicon&&) noexcept;
  ~ConceptLexicon();

  // The tag tokens ("__c_<concept>") of a text that is already ClassifierText output, in order
  // of occurrence (one per match and concept). Thread-safe.
  std::vector<std::string> Tag(std::string_view classifier_text) const;
  // Number of distinct terms, and the concept names (sorted).
  size_t num_terms() const;
  std::vector<std::string> concepts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ClassifierText(text) followed by the lexicon's tags of it, space-separated: the classifier
// input of a model trained with concept tags.
std::string TaggedClassifierText(std::string_view text, const ConceptLexicon& lexicon);

}  // namespace sangam::guard
