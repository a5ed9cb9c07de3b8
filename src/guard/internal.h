// Guard internals shared by the detectors, the policy parser and the tests (not a public API).
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/set.h>

#include "sangam/guard.h"
#include "sangam/sha256.h"
#include "sangam/status.h"


namespace sangam::guard::internal {

// ---- text utilities (normalize.cc) ----
// Valid UTF-8 is returned unchanged; each invalid or truncated sequence becomes U+FFFD.
std::string RepairUtf8(std::string_view text);
bool IsValidUtf8(std::string_view text);
// Largest n <= text.size() such that text[0, n) ends on a UTF-8 character boundary.
size_t Utf8Floor(std::string_view text, size_t n);
// The keyword regex for one entry of a policy's word list (already normalised), with Unicode
// word boundaries unless the entry is in a script written without spaces; a trailing '*' allows
// any word-character suffix (agglutinative languages).
std::string KeywordRegex(std::string_view normalized_keyword, bool prefix);

// ---- SHA-256 (core's) ----
using ::sangam::Sha256Hex;

// ---- PII (pii.cc) ----
enum class PiiType { kEmail, kPhone, kCard, kIban, kAadhaar, kPan, kIp, kSecret };
const char* PiiTypeName(PiiType t);          // "email", ...
const char* PiiPlaceholder(PiiType t);       // "[EMAIL]", ...
bool PiiTypeFromName(std::string_view name, PiiType* out);
extern const char* const kPiiTypeNames;      // "email, phone, card, iban, aadhaar, pan, ip, secret"
struct PiiMatch {
  PiiType type;
  size_t begin = 0, end = 0;  // byte range in the text
};
// Non-overlapping matches in text order. `types` empty = none.
std::vector<PiiMatch> FindPii(std::string_view text, const std::vector<PiiType>& types);
bool LuhnValid(std::string_view digits);
bool VerhoeffValid(std::string_view digits);
bool IbanValid(std::string_view compact);  // letters/digits only, no spaces
// Shannon entropy in bits per character.
double Entropy(std::string_view s);

// ---- language and script (language.cc) ----
struct LanguageGuess {
  std::string language = "und";
  std::string script;  // Unicode script long name, "" when none
};
LanguageGuess DetectLanguage(std::string_view valid_utf8);
// Whether CLD2's code is linked (libcld2.so); without it only the script fallback runs.
bool Cld2Available();

// ---- prompt injection (injection.cc) ----
struct InjectionResult {
  float score = 0;
  std::vector<std::string> reasons;
};
// `normalized` is NormalizeForMatching's output; `original` the repaired input (for base64 blobs).
InjectionResult ScoreInjection(std::string_view normalized, std::string_view original);

// ---- policy (policy.cc) ----
enum Detector : uint32_t {
  kDetKeywords = 1u << 0,
  kDetPatterns = 1u << 1,
  kDetPii = 1u << 2,
  kDetLanguage = 1u << 3,
  kDetInjection = 1u << 4,
  kDetClassifier = 1u << 5,
};

struct Rule {
  std::string category;  // code
  std::string language;  // list it came from ("en", "any", ...)
  std::string text;      // the word/phrase as written, or the regex
  bool is_pattern = false;
};

struct PolicyData {
  std::string source;  // file name for messages
  std::string name, version, hash;
  std::vector<Category> categories;
  std::vector<Rule> rules;
  std::vector<std::string> languages_input, languages_output;  // empty = any
  std::vector<PiiType> pii_types;
  std::map<std::string, std::string> refusals;
  uint32_t detectors_input = 0, detectors_output = 0;
  std::string classifier_path;  // "" none, "default" = embedded
  // A concept lexicon file (classifier.concepts) replacing the built-in one for a model trained
  // with concept tags; "" = the built-in lexicon.
  std::string classifier_concepts_path;
  // The classifier flags a text when its total harmful probability (1 - P(benign)) reaches this;
  // the text then gets the most likely category the policy has (classifier.threshold).
  float classifier_threshold = 0.5f;
  // Per detected language (classifier.language_thresholds), overriding classifier_threshold.
  std::map<std::string, float> classifier_language_thresholds;
  bool log_raw_text = false;
  std::optional<JudgeSpec> judge;  // `judge:`, when given
  // Compiled matchers; index -> rule index.
  std::shared_ptr<RE2::Set> keyword_set, pattern_set;
  std::vector<int> keyword_rule, pattern_rule;
  // One compiled regex per rule (same form as in the sets), to locate matches for redaction.
  std::vector<std::shared_ptr<RE2>> rule_regex;
};

// Byte ranges [begin, end) of whole whitespace-separated words of `text` whose matching form
// (NormalizeForMatching of up to `max_words` consecutive words) matches `re`; the shortest such
// run of words from each start, left to right, without overlaps.
std::vector<std::pair<size_t, size_t>> FindRuleSpans(std::string_view text, const RE2& re, size_t max_words);

class PolicyImpl final : public Policy {
 public:
  explicit PolicyImpl(PolicyData d) : d_(std::move(d)) {}
  const std::string& hash() const override { return d_.hash; }
  const std::string& name() const override { return d_.name; }
  const std::vector<Category>& categories() const override { return d_.categories; }
  std::string RefusalMessage(std::string_view language) const override;
  bool log_raw_text() const override { return d_.log_raw_text; }
  size_t longest_keyword_bytes() const override {
    size_t n = 0;
    for (const Rule& r : d_.rules) {
      if (!r.is_pattern) n = std::max(n, r.text.size());
    }
    return n;
  }
  const JudgeSpec* judge() const override { return d_.judge ? &*d_.judge : nullptr; }
  const PolicyData& data() const { return d_; }
  const Category* Find(std::string_view code) const;

 private:
  PolicyData d_;
};

// ---- audit (audit.cc) ----
class AuditLog {
 public:
  // Opens or creates the SQLite database (WAL mode, append-only table enforced by triggers).
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path);
  virtual ~AuditLog() = default;
  // Appends one row. Thread-safe.
  virtual Status Record(const Decision& d, Direction dir, const std::string& policy_hash,
                        std::string_view text, bool store_raw_text) = 0;
};

}  // namespace sangam::guard::internal
