// Byte-level BPE pre-tokenizers: the table from tokenizer.ggml.pre names to llama.cpp's regex
// lists and flags, and the splitter that cuts text into words with them.
//
// Like llama.cpp, each regex of a list further splits every piece produced by the previous one
// (matches and the text between matches both become pieces). The GPT-2 and Llama-3 regexes run
// as hand-written scanners with llama.cpp's exact behaviour; all others run on ICU's regex engine
// after the same translation llama.cpp applies for std::regex: Unicode categories (\p{L}, ...)
// are matched on a "collapsed" copy of the text where every non-ASCII code point is replaced by
// a stand-in for its category, and \s means ASCII whitespace plus non-ASCII White_Space.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::tokenizer {

struct PreTokenizerSpec {
  std::vector<std::string> names;    // tokenizer.ggml.pre values mapping here
  std::vector<std::string> regexes;  // llama.cpp's expressions (ECMAScript syntax)
  bool clean_spaces = true;          // detokenizer clean-up (clean_up_tokenization_spaces)
  bool ignore_merges = false;        // a word that is a whole token is emitted as is
  bool add_bos = false;              // forces add_bos (before GGUF keys are applied)
  bool clear_bos = false;            // no default BOS (chatglm)
};

// nullptr when unknown.
const PreTokenizerSpec* FindPreTokenizer(std::string_view name);
// Sorted list of every accepted name.
std::vector<std::string> PreTokenizerNames();

// A compiled regex list; immutable and thread-safe once built.
class RegexSplitter {
 public:
  static Result<std::unique_ptr<RegexSplitter>> Create(const std::vector<std::string>& regexes);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Splits `text` into words (UTF-8; invalid input bytes come back as U+FFFD).
  Result<std::vector<std::string>> Split(std::string_view text) const;

 private:
  struct Impl;
  explicit RegexSplitter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Exposed for tests: the ICU pattern used for one llama.cpp expression.
Result<std::string> TranslateRegexForIcu(const std::string& regex, bool collapsed);

}  // namespace sangam::tokenizer
