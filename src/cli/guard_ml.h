// The `sangam guard train`, `eval` and `calibrate` subcommands (added under `sangam guard`).
#pragma once

#include <memory>
#include <string>

#include "cli/common.h"
#include "sangam/guard.h"
#include "sangam/guard_judge.h"

namespace sangam::cli {

// --policy of the guard commands: the policy file, or the built-in policy when `path` is empty.
Result<std::shared_ptr<const guard::Policy>> LoadPolicyOrDefault(const std::string& path);

// The judge options of guard check / eval / serve.
struct JudgeFlags {
  ModelOptions model;   // --judge MODEL; empty: the policy's judge.model, if any
  float gate = -1.0f;   // --judge-gate; < 0: the policy's judge.gate, else 0
  int max_tokens = 0;   // --judge-max-tokens; 0: the policy's judge.max_tokens, else 16
};
// Registers --judge, --judge-gate, --judge-max-tokens and the judge's threads option
// (`threads_flag`, e.g. "-t,--threads"; its default is model.threads as set before the call).
// `what` ends the --judge help: what the judge is asked and what its verdict does.
void AddJudgeOptions(CLI::App* cmd, JudgeFlags* f, const std::string& what, const std::string& threads_flag);
// The judge these flags and the policy name (the flags win); nullptr when neither names a model.
Result<std::unique_ptr<guard::JudgeRail>> MakeJudgeRail(const JudgeFlags& f, std::shared_ptr<const guard::Policy> policy);

Command RegisterGuardTrain(CLI::App& guard);
Command RegisterGuardEval(CLI::App& guard);
Command RegisterGuardCalibrate(CLI::App& guard);

}  // namespace sangam::cli
