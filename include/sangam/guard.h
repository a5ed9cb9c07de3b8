// Guardrails: a deployment's policy (categories, actions, thresholds, keyword/pattern lists per
// language, PII types, refusal messages per language, detectors on input and output), enforced on
// input text and on streamed output, with an audit log.
//
// This header is the contract the server and the CLI use. Implementations live in src/guard/.
// Everything here is thread-safe after construction unless a comment says otherwise.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

// Ordered by severity: a decision's action is the most severe action of its flagged categories.
enum class Action { kAllow = 0, kLog = 1, kWarn = 2, kRedact = 3, kBlock = 4 };
const char* ActionName(Action a);  // "allow", "log", "warn", "redact", "block"
Result<Action> ActionFromName(std::string_view name);

enum class Direction { kInput, kOutput };
const char* DirectionName(Direction d);  // "input", "output"

// The matching form of a text, used by the keyword and pattern detectors and given to the
// classifier (training and scoring must use the same function). Any bytes are accepted (invalid
// UTF-8 becomes U+FFFD). Steps: NFKC + case folding; removal of zero-width characters (U+200B,
// U+2060, U+FEFF, ZWJ/ZWNJ) and bidi controls; Cyrillic/Greek/... look-alikes inside Latin words
// mapped to Latin (ICU confusable skeletons); spaced or dotted letters joined ("k i l l", "k.i.l.l"
// -> "kill"); leetspeak mapped in tokens mixing letters with digits/@/$ ("k1ll" -> "kill");
// whitespace collapsed to single spaces. See docs/GUARD.md for why ZWJ/ZWNJ are removed here
// (they select glyph shapes in Indic scripts but never distinguish words; the original text,
// which is what is released or redacted, keeps them). Thread-safe.
std::string NormalizeForMatching(std::string_view text);

// One policy category: a Llama Guard 3 hazard code ("S1".."S14") or a custom code.
// Built-in detector categories also appear as categories: "pii", "injection", "language".
struct Category {
  std::string code;         // "S1", "pii", ...
  std::string name;         // short snake_case name used in API output, e.g. "violent_crimes"
  std::string description;  // what it covers (also used in the model-as-judge prompt)
  Action action = Action::kBlock;
  float threshold = 0.5f;   // classifier score at which the category is flagged
};

// A judge model named by the policy (`judge: {model, gate, max_tokens}`), used by `guard check`,
// `guard eval` and `serve` when their --judge option is not given. The guard library itself never
// loads it (see JudgeRail in guard_judge.h).
struct JudgeSpec {
  std::string model;    // GGUF file, as written in the policy
  float gate = 0.0f;    // ask only when the classifier's harm score reaches this (0 = always)
  int max_tokens = 16;  // longest reply, in tokens
};

// A parsed, validated policy. `hash` is the SHA-256 (hex) of the policy file's bytes (for the
// audit log); the default policy's hash is of its embedded text.
class Policy {
 public:
  // Parses YAML (.yaml/.yml) or TOML (.toml). InvalidArgument naming the file, line and key for
  // anything malformed (unknown keys, bad actions, thresholds outside [0,1], bad regexes, ...).
  static Result<std::shared_ptr<const Policy>> Load(const std::string& path);
  static Result<std::shared_ptr<const Policy>> Parse(std::string_view text, std::string_view source_name);
  // The built-in default policy (data/guard/default-policy.yaml compiled into the binary).
  static Result<std::shared_ptr<const Policy>> Default();
  virtual ~Policy() = default;

  virtual const std::string& hash() const = 0;
  virtual const std::string& name() const = 0;
  virtual const std::vector<Category>& categories() const = 0;
  // The refusal message for a language code (falls back to "en", then to a generic message).
  virtual std::string RefusalMessage(std::string_view language) const = 0;
  virtual bool log_raw_text() const = 0;  // whether the audit log may store raw text
  // Bytes of the longest keyword (as written in the policy); the stream rail holds back at least
  // three times this (spaced-out letters double a word's length), capped at kMaxHoldbackBytes.
  virtual size_t longest_keyword_bytes() const = 0;
  // The policy's judge, or nullptr when it names none.
  virtual const JudgeSpec* judge() const = 0;
};

// The result of checking one text.
struct Decision {
  bool flagged = false;               // any category flagged
  Action action = Action::kAllow;     // most severe action among flagged categories
  std::vector<std::string> categories;       // codes of flagged categories, policy order
  std::map<std::string, float> scores;       // every scored category code -> score in [0, 1]
  std::string language = "und";       // detected language (ISO 639-1 or -3; "und" when unsure)
  std::string script;                 // dominant Unicode script name, e.g. "Devanagari"
  std::string redacted;               // the text with PII replaced by typed placeholders
                                      // ("[EMAIL]", "[PHONE]", ...) and, for flagged categories
                                      // whose action is redact, their keyword/pattern matches by
                                      // "[<NAME>]" (whole words); equals the input if none
  std::string message;                // the policy's refusal message when action == kBlock
  std::vector<std::string> reasons;   // short human-readable explanations (detector + match kind)
  // PII found, as byte ranges [begin, end) of the checked text (after invalid UTF-8 was repaired,
  // which leaves valid UTF-8 unchanged) with their placeholders; `redacted` applies them all.
  struct Redaction {
    size_t begin = 0, end = 0;
    std::string placeholder;  // "[EMAIL]", ..., or "[HATE]" (the category's name) for a rule match
    std::string category = "pii";  // the category whose match this is
  };
  std::vector<Redaction> redactions;
  // The classifier's total harmful probability (1 - P(benign)), or -1 when it did not run; what
  // `classifier.threshold` / `language_thresholds` are compared with (see `sangam guard calibrate`).
  float classifier_harm = -1.0f;
  // {"flagged", "action", "categories", "scores", "language"} as `sangam guard check` prints it,
  // plus "redacted" when PII was found and "message" when the action is block.
  std::string ToJson() const;
};

struct GuardOptions {
  std::string audit_db;   // SQLite file for the append-only audit log; empty = no audit log
};

class Guard {
 public:
  static Result<std::unique_ptr<Guard>> Create(std::shared_ptr<const Policy> policy,
                                               const GuardOptions& opts = {});
  virtual ~Guard() = default;
  // Checks a text (any bytes: invalid UTF-8 is repaired with U+FFFD before checking, never an
  // error). Records the decision in the audit log when one is configured. Thread-safe.
  virtual Decision Check(std::string_view text, Direction dir) const = 0;
  // The same decision as Check, but never written to the audit log (the stream rail uses it for
  // its intermediate checks and audits only the final one).
  virtual Decision Evaluate(std::string_view text, Direction dir) const = 0;
  // Appends a decision made from this guard's Check or Evaluate and then changed outside it (a
  // judge's verdict folded in: its scores then hold "judge") to the audit log, as a row of its
  // own; does nothing without an audit log. Thread-safe.
  virtual void Record(const Decision& decision, std::string_view text, Direction dir) const = 0;
  virtual const Policy& policy() const = 0;
};

// The output rail for one streamed reply. Text is released only once it can no longer change a
// decision: the last `holdback_bytes` bytes (rounded to whole UTF-8 characters and whole words)
// are held back, and on every Push the unreleased text plus up to kContextBytes of released text
// before it (starting at a word boundary) is re-checked, so the cost per piece is bounded; Finish
// checks the whole reply (that check is audited). Released text has the placeholders of every
// category whose action is redact. The hold-back grows to 3x the policy's longest keyword (at
// most kMaxHoldbackBytes), so a banned keyword never reaches the client in any normalised-evasion
// form; a pattern longer than the hold-back can be caught only by Finish. Not thread-safe (one
// per stream).
class StreamGuard {
 public:
  static constexpr size_t kContextBytes = 256;
  static constexpr size_t kMaxHoldbackBytes = 1024;
  StreamGuard(const Guard& guard, size_t holdback_bytes = 64);
  // Appends generated text. Returns the text that may be sent now. When the policy blocks,
  // *blocked becomes true, nothing more is ever released, and decision() says why.
  std::string Push(std::string_view piece, bool* blocked);
  // End of generation: checks the whole text and releases the held-back rest (or blocks).
  std::string Finish(bool* blocked);
  const Decision& decision() const { return decision_; }

 private:
  std::string Release(bool final, bool* blocked);

  const Guard& guard_;
  size_t holdback_;
  std::vector<std::string> redact_categories_;  // categories whose action is redact: their spans are replaced in released text
  std::string text_;       // everything generated so far
  size_t released_ = 0;    // bytes of text_ already released
  bool blocked_ = false;
  Decision decision_;
};

}  // namespace sangam::guard
