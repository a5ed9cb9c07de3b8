// Model-as-judge: any loaded sangam model prompted in Llama Guard 3's format, its reply parsed
// into a verdict ("safe", or "unsafe" + category codes).
//
// The prompt builder and the parser are pure functions (thread-safe). RunJudge uses a model
// (shared, read-only) and creates its own Context per call, so concurrent calls are safe when
// each uses its own ThreadPool. A reply that is neither "safe" nor "unsafe[\n<codes>]" is an
// InvalidArgument error, never a guess.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"
#include "sangam/thread_pool.h"

namespace sangam::model {
class Model;
}

namespace sangam::guard {

class Policy;

struct JudgeCategory {
  std::string code;   // "S1"
  std::string title;  // "Violent Crimes" (printed as "S1: Violent Crimes.")
};

// Llama Guard 3's 14 categories (S1 Violent Crimes ... S14 Code Interpreter Abuse).
std::vector<JudgeCategory> LlamaGuard3Categories();
// The policy's hazard categories in policy order: S-codes get Llama Guard 3's titles, custom
// codes their description (or name). Detector categories ("pii", "injection", "language") are
// left out because a judge does not decide them.
std::vector<JudgeCategory> JudgeCategoriesFromPolicy(const Policy& policy);

enum class JudgeRole { kUser, kAgent };
struct JudgeTurn {
  JudgeRole role = JudgeRole::kUser;
  std::string text;
};

// The Llama Guard 3 prompt assessing the LAST turn of `conversation` (its role decides 'User' or
// 'Agent'). Begins with "<|begin_of_text|>" and ends with the assistant header and a blank line,
// exactly as Llama Guard 3's chat template renders it. An empty conversation assesses an empty
// user message.
std::string BuildLlamaGuardPrompt(const std::vector<JudgeCategory>& categories,
                                  const std::vector<JudgeTurn>& conversation);

struct JudgeVerdict {
  bool unsafe = false;
  std::vector<std::string> categories;  // codes from the reply's second line (unsafe only)
  std::string raw;                      // the model's reply as generated
};

// Parses a reply: leading/trailing whitespace ignored; the first line must be "safe" or "unsafe"
// (case-insensitive, an optional trailing '.'); for "unsafe" an optional next line lists codes
// separated by commas. When `known` is non-empty every code must be one of them (InvalidArgument
// otherwise). Anything else is InvalidArgument quoting the reply.
Result<JudgeVerdict> ParseJudgeReply(std::string_view reply, const std::vector<JudgeCategory>& known = {});

struct JudgeOptions {
  int max_tokens = 16;   // generated tokens at most (Llama Guard replies need < 10)
  int64_t n_ctx = 0;     // 0 = prompt length + max_tokens (capped by the model's trained context)
};

// Tokenizes the prompt (control tokens such as <|eot_id|> recognised; "<|begin_of_text|>" is
// replaced by the model's BOS token), runs the model greedily until an end-of-generation token,
// a blank line after the verdict, or max_tokens, and parses the reply. Errors: OutOfRange when the
// prompt does not fit the model's context, InvalidArgument for an unparseable reply (message
// quotes it), model errors as returned.
Result<JudgeVerdict> RunJudge(const model::Model& model, ThreadPool& pool, std::string_view prompt,
                              const std::vector<JudgeCategory>& categories, const JudgeOptions& opts = {});

struct Decision;
enum class Direction;

// Folds a judge's verdict into a rules/classifier decision: an "unsafe" verdict flags the text;
// its codes that are policy categories are added (policy order, no duplicates) with score 1, the
// action becomes the most severe of the flagged categories' actions (block when the judge named no
// category the policy has), and a block sets the policy's refusal for the decision's language.
// Adds the reason "judge: unsafe S1,S10" or "judge: safe" and the score "judge" (1 unsafe, 0 safe).
// A safe verdict never unflags.
void MergeJudgeVerdict(const Policy& policy, const JudgeVerdict& verdict, Decision* decision);

// A judge model as a rail beside the rules and the classifier, for `guard check/eval --judge` and
// `serve --judge`. With a gate it is a cascade: only texts the classifier finds at least a little
// harmful (Decision::classifier_harm >= gate) are put to the (slow) judge, so ordinary traffic
// stays at the classifier's speed while the judge decides the doubtful ones.
struct JudgeRailOptions {
  int max_tokens = 16;  // longest reply, in tokens
  int threads = 1;      // threads of the judge's forward passes
  // Ask the judge only when the classifier's total harm reaches this (0 = always). A decision that
  // is already a block is never put to the judge; one the classifier did not score (no classifier
  // in the policy, or a direction it does not run on) always is.
  float gate = 0.0f;
};

enum class JudgeOutcome { kSkipped, kSafe, kUnsafe, kError };
// "skipped", "safe", "unsafe", "error".
const char* JudgeOutcomeName(JudgeOutcome outcome);

struct JudgeRailStats {
  int64_t asked = 0, skipped = 0, unsafe = 0, errors = 0;
};

class JudgeRail {
 public:
  // InvalidArgument for a gate outside [0, 1] or max_tokens outside 1..256.
  static Result<std::unique_ptr<JudgeRail>> Create(std::unique_ptr<model::Model> model,
                                                   std::shared_ptr<const Policy> policy,
                                                   const JudgeRailOptions& opts);
  ~JudgeRail();
  // Puts `text` (the user's turn for kInput, the agent's for kOutput) to the judge unless the gate
  // or an earlier block says not to, and folds the verdict into *d (MergeJudgeVerdict) and into
  // *verdict when given. kError (an unparseable reply, a prompt longer than the judge's context)
  // leaves *d unchanged and puts the reason into *error when given. Thread-safe: calls are
  // serialised on one judge.
  JudgeOutcome Apply(std::string_view text, Direction dir, Decision* d, JudgeVerdict* verdict = nullptr,
                     std::string* error = nullptr) const;
  // The same for a conversation, as Llama Guard 3 reads it: the LAST turn is assessed in the
  // context of the earlier ones. *d is the decision to gate on and fold into (e.g. the last
  // user turn's, with classifier_harm the highest of the turns').
  JudgeOutcome ApplyConversation(const std::vector<JudgeTurn>& conversation, Decision* d,
                                 JudgeVerdict* verdict = nullptr, std::string* error = nullptr) const;
  JudgeRailStats stats() const;
  const JudgeRailOptions& options() const { return opts_; }

 private:
  JudgeRail(std::unique_ptr<model::Model> model, std::shared_ptr<const Policy> policy, const JudgeRailOptions& opts);
  std::unique_ptr<model::Model> model_;
  std::shared_ptr<const Policy> policy_;
  JudgeRailOptions opts_;
  std::vector<JudgeCategory> categories_;
  std::unique_ptr<ThreadPool> pool_;
  mutable std::mutex mu_;
  mutable std::atomic<int64_t> asked_{0}, skipped_{0}, unsafe_{0}, errors_{0};
};

}  // namespace sangam::guard
