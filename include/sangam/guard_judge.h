// Model-as-judge: any loaded sangam model prompted in Llama Guard 3's format, its reply parsed
// into a verdict ("safe", or "unsafe" + category codes).
//
// The prompt builder and the parser are pure functions (thread-safe). RunJudge uses a model
// (shared, read-only) and creates its own Context per call, so concurrent calls are safe when
// each uses its own ThreadPool. A reply that is neither "safe" nor "unsafe[\n<codes>]" is an
// InvalidArgument error, never a guess.
#pragma once

#include <cstdint>
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

// Folds a judge's verdict into a rules/classifier decision: an "unsafe" verdict flags the text;
// its codes that are policy categories are added (policy order, no duplicates) with score 1, the
// action becomes the most severe of the flagged categories' actions (block when the judge named no
// category the policy has), and a block sets the policy's refusal for the decision's language.
// Adds the reason "judge: unsafe S1,S10" or "judge: safe". A safe verdict never unflags.
void MergeJudgeVerdict(const Policy& policy, const JudgeVerdict& verdict, Decision* decision);

}  // namespace sangam::guard
