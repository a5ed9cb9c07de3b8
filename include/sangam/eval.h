// Per-language evaluation of a tokenizer and a model on parallel or plain text: token counts,
// token premium, fertility, bits per character / byte; Markdown, JSON and SVG reports.
//
// Definitions (all counted line by line; a line is the text between '\n's, a trailing '\r' is
// dropped, a final newline does not start another line):
//   characters  Unicode code points of the line text.
//   bytes       UTF-8 bytes of the line text.
//   words       runs of non-whitespace (Unicode White_Space) characters. Words are only
//               meaningful for scripts that separate words with spaces; for text mostly in
//               Thai, Lao, Khmer, Myanmar, Han, Hiragana/Katakana, Tibetan, ... (decided by the
//               FLORES script suffix of the code, else by the letters of the text) fertility is
//               n/a.
//   tokens      sum over lines of Tokenizer::Encode(line, {add_bos = false}).size(), i.e. each
//               sentence tokenized on its own without BOS, as in Petrov et al. 2023 ("Language
//               Model Tokenizers Introduce Unfairness Between Languages"). Empty lines count 0.
//   premium     tokens(language) / tokens(reference language) on parallel text (n/a for
//               unaligned text or when the reference is absent).
//   fertility   tokens / words.
//   NLL         for each line with tokens t1..tn: -sum_i ln p(t_i | BOS, t1..t_{i-1}) (natural
//               log), from the model's logits in double precision (log-softmax). When the
//               vocabulary has no BOS, EOS is used in its place; with neither, t1 is not scored.
//               Lines longer than the context (n + 1 > n_ctx) are scored in windows: the first
//               window is BOS t1..t_{n_ctx-1}; every further window is BOS followed by the last
//               n_ctx/2 - 1 tokens already scored (context only) and up to n_ctx/2 new tokens,
//               which are the ones scored. So every token is scored exactly once.
//   bits/char   NLL / ln 2 / characters, summed over all lines (a corpus-level ratio).
//   bits/byte   NLL / ln 2 / bytes (so bits/byte == bits/char * chars / bytes).
//
// Input handling: a UTF-8 byte order mark at the start of a file is dropped; every line must be
// valid UTF-8 (an error names file:line otherwise); files
// with no lines are an error; parallel files with different line counts are an error (premiums
// need aligned text; use plain --text files for unaligned text). --max-lines keeps the first N
// lines of each file (alignment is checked on the whole files).
//
// Thread-safety: functions are reentrant; EvaluateLanguages uses the given ThreadPool for the
// forward passes and creates its own Contexts (models and tokenizers are only read).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/model.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"
#include "sangam/tokenizer.h"

namespace sangam::adapt {

inline constexpr double kNotApplicable = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Languages and text
// ---------------------------------------------------------------------------------------------

// Maps a short ISO 639-1 code ("hi") or ISO 639-3 code ("hin") from sangam's table (the 22
// scheduled languages of India plus common world languages) to its FLORES-200 code
// ("hin_Deva"). Codes that already look like FLORES codes ("xxx_Yyyy") and unknown codes are
// returned unchanged (trimmed).
std::string NormalizeLanguageCode(std::string_view code);

// Whether text in this language separates words with spaces (so word counts and fertility are
// meaningful). Decided from the script of a FLORES code ("tha_Thai" -> false) when the suffix is
// a known script, else from the text: false when most letters belong to Thai, Lao, Khmer,
// Myanmar, Han, Hiragana, Katakana or Tibetan.
bool ScriptUsesSpaces(std::string_view code, std::string_view sample_text);

// Counts of one string. Returns false (counts unspecified) when utf8 is not valid UTF-8
// (overlong forms, surrogates, values above U+10FFFF and truncated sequences are invalid).
struct EvalTextCounts {
  int64_t chars = 0, bytes = 0, words = 0;
};
bool CountText(std::string_view utf8, EvalTextCounts* counts);

// One language's text.
struct EvalLanguageText {
  std::string code;                // normalized code ("hin_Deva")
  std::string path;                // file it came from (for messages); may be empty
  std::vector<std::string> lines;  // without line terminators
};

// A set of languages to evaluate. parallel = the files are translations of each other, line by
// line (token premiums are computed against the reference language).
struct EvalCorpus {
  bool parallel = false;
  std::vector<EvalLanguageText> languages;
  std::vector<std::string> warnings;
};

// Splits file text into lines (see above). Empty files give no lines.
std::vector<std::string> SplitLines(std::string_view text);

// Reads a FLORES-style directory: files "<code>.dev", "<code>.devtest" or "<code>.txt" (when a
// code has several, .dev wins, then .devtest, with a warning); a directory with a "dev/"
// subdirectory (like flores200/) reads that. `langs` filters (codes normalized; a code without
// a script such as "kas" selects every file "kas_*"); empty = every file. `ref` (normalized) is
// added when present in the directory even if not selected. Errors: NotFound (missing
// directory, no language files, a requested language without a file), InvalidArgument
// (different line counts, invalid UTF-8 at file:line, an empty file).
// max_lines > 0 keeps only the first max_lines lines of each file.
Result<EvalCorpus> LoadParallelDir(const std::string& dir, const std::vector<std::string>& langs,
                                   const std::string& ref, int64_t max_lines = 0);

// Plain files, one per language (files.size() must equal langs.size()); not parallel. Same
// validation as LoadParallelDir except alignment.
Result<EvalCorpus> LoadTextFiles(const std::vector<std::string>& files,
                                 const std::vector<std::string>& langs, int64_t max_lines = 0);

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

// A tokenizer, optionally with a model to score text (nullptr = token statistics only).
// Everything pointed to must outlive the call. To compare a model with and without adapters
// (what `sangam eval -m M --lora F` does: A = M alone, B = M + F), pass the same model twice,
// the second time with `loras` set.
struct EvalSubject {
  std::string label;                       // e.g. "A" or "base"; shown in tables and charts
  std::string description;                 // e.g. the model path and adapters (informational)
  const tokenizer::Tokenizer* tok = nullptr;  // required (usually &model->tokenizer())
  const model::Model* model = nullptr;     // nullptr: tokens only
  std::vector<model::AppliedLora> loras;   // applied to every line when model != nullptr
  std::string note;                        // e.g. "tokens only: the file has no weights"
};

struct EvalOptions {
  std::string ref = "eng_Latn";  // reference language for premiums (normalized)
  bool tokens_only = false;      // skip the model forward passes
  int64_t n_ctx = 0;             // context per window; 0 = min(n_ctx_train, 4096)
  // Called after each scored line with (lines done, lines total) over all subjects; may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

// Metrics of one subject on one language. NaN (kNotApplicable) = n/a.
struct EvalMetrics {
  int64_t tokens = 0;
  double premium = kNotApplicable;
  double fertility = kNotApplicable;
  bool scored = false;        // NLL computed
  int64_t scored_tokens = 0;  // tokens whose NLL was summed
  double nll_nats = 0.0;      // total NLL (natural log)
  double bits_per_char = kNotApplicable;
  double bits_per_byte = kNotApplicable;
};

struct LanguageEval {
  std::string code, path;
  int64_t lines = 0, chars = 0, bytes = 0, words = 0;
  bool words_meaningful = true;
  bool is_reference = false;
  std::vector<EvalMetrics> subjects;  // one per EvalSubject, same order
};

struct EvalSubjectInfo {
  std::string label, description, note;
  bool scored = false;
};

struct EvalReport {
  bool parallel = false;
  std::string ref;
  bool ref_present = false;
  std::vector<EvalSubjectInfo> subjects;
  std::vector<LanguageEval> languages;
  std::vector<std::string> warnings;
};

// Evaluates every language of `corpus` with every subject (1 or more; reports show the change
// B - A between the first two). Each line is one Decode call on sequence 0 of a fresh-cleared
// Context (batch-invariant engine: results do not depend on other lines). Errors: empty corpus,
// no subjects or a subject without tokenizer (InvalidArgument); tokenizer or forward-pass errors
// are returned with the language and line prefixed.
Result<EvalReport> EvaluateLanguages(const EvalOptions& opts, const EvalCorpus& corpus,
                                     const std::vector<EvalSubject>& subjects, ThreadPool& pool);

// EvalChange of a metric from subject 0 (A) to subject 1 (B): b - a and 100 * (b - a) / a
// (NaN when either is n/a or a == 0).
struct EvalChange {
  double abs = kNotApplicable, pct = kNotApplicable;
};
EvalChange ComputeChange(double a, double b);

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

// A Markdown document: a header line per subject, one table row per language (with per-subject
// metric columns and, for two or more subjects, the change B - A as "+x (+y %)"), and notes.
std::string RenderMarkdown(const EvalReport& report);
// Every number as JSON (n/a as null): {"parallel", "reference", "reference_present",
// "subjects": [{label, description, note, scored}], "languages": [{code, file, lines, chars,
// bytes, words, words_meaningful, is_reference, "metrics": [{tokens, token_premium, fertility,
// scored, scored_tokens, nll_nats, nll_bits, bits_per_char, bits_per_byte}], "change":
// {metric: {abs, pct}} (two or more subjects)}], "warnings"}.
std::string ToJson(const EvalReport& report);
// One SVG document with grouped bar charts (one group per language, one bar per subject):
// token premium with a reference line at 1.0 (tokens per character for unaligned text), and
// bits per character when any subject was scored. Horizontal bars past 12 languages.
std::string RenderCharts(const EvalReport& report);

}  // namespace sangam::adapt
