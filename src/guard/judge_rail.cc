// JudgeRail: a judge model as a (gated) rail beside the rules and the classifier.
#include <utility>

#include "sangam/guard.h"
#include "sangam/guard_judge.h"
#include "sangam/model.h"

namespace sangam::guard {

const char* JudgeOutcomeName(JudgeOutcome outcome) {
  switch (outcome) {
    case JudgeOutcome::kSkipped: return "skipped";
    case JudgeOutcome::kSafe: return "safe";
    case JudgeOutcome::kUnsafe: return "unsafe";
    case JudgeOutcome::kError: return "error";
  }
  return "error";
}

JudgeRail::JudgeRail(std::unique_ptr<model::Model> model, std::shared_ptr<const Policy> policy,
                     const JudgeRailOptions& opts)
    : model_(std::move(model)),
      policy_(std::move(policy)),
      opts_(opts),
      categories_(JudgeCategoriesFromPolicy(*policy_)),
      pool_(std::make_unique<ThreadPool>(opts.threads)) {}

JudgeRail::~JudgeRail() = default;

Result<std::unique_ptr<JudgeRail>> JudgeRail::Create(std::unique_ptr<model::Model> model,
                                                     std::shared_ptr<const Policy> policy,
                                                     const JudgeRailOptions& opts) {
  if (model == nullptr) return InvalidArgumentError("judge: no model");
  if (policy == nullptr) return InvalidArgumentError("judge: no policy");
  if (!(opts.gate >= 0.0f && opts.gate <= 1.0f)) {
    return InvalidArgumentError(StrFormat("judge: the gate must be in [0, 1] (got %g)", static_cast<double>(opts.gate)));
  }
  if (opts.max_tokens < 1 || opts.max_tokens > 256) {
    return InvalidArgumentError(StrFormat("judge: max_tokens must be in 1..256 (got %d)", opts.max_tokens));
  }
  if (opts.threads < 1) return InvalidArgumentError(StrFormat("judge: threads must be at least 1 (got %d)", opts.threads));
  return std::unique_ptr<JudgeRail>(new JudgeRail(std::move(model), std::move(policy), opts));
}

JudgeOutcome JudgeRail::Apply(std::string_view text, Direction dir, Decision* d, JudgeVerdict* verdict,
                             std::string* error) const {
  return ApplyConversation({{dir == Direction::kOutput ? JudgeRole::kAgent : JudgeRole::kUser, std::string(text)}}, d,
                           verdict, error);
}

JudgeOutcome JudgeRail::ApplyConversation(const std::vector<JudgeTurn>& conversation, Decision* d,
                                          JudgeVerdict* verdict, std::string* error) const {
  const bool gated_out = d->classifier_harm >= 0.0f && d->classifier_harm < opts_.gate;
  if (d->action == Action::kBlock || gated_out) {
    ++skipped_;
    return JudgeOutcome::kSkipped;
  }
  const std::string prompt = BuildLlamaGuardPrompt(categories_, conversation);
  JudgeOptions jo;
  jo.max_tokens = opts_.max_tokens;
  Result<JudgeVerdict> v = [&] {
    std::lock_guard<std::mutex> lk(mu_);
    return RunJudge(*model_, *pool_, prompt, categories_, jo);
  }();
  ++asked_;
  if (!v.ok()) {
    ++errors_;
    if (error != nullptr) *error = v.status().ToString();
    return JudgeOutcome::kError;
  }
  MergeJudgeVerdict(*policy_, *v, d);
  if (verdict != nullptr) *verdict = *v;
  if (v->unsafe) {
    ++unsafe_;
    return JudgeOutcome::kUnsafe;
  }
  return JudgeOutcome::kSafe;
}

JudgeRailStats JudgeRail::stats() const {
  JudgeRailStats s;
  s.asked = asked_.load();
  s.skipped = skipped_.load();
  s.unsafe = unsafe_.load();
  s.errors = errors_.load();
  return s;
}

}  // namespace sangam::guard
