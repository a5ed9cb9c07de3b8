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

// The judge of guard check / eval / serve: --judge MODEL (`judge.model`) if given, else the
// policy's `judge:` block; the gate and reply length come from the command line when given
// (`gate` >= 0, `max_tokens` > 0), else from the policy, else 0 and 16. nullptr when neither names
// a model.
Result<std::unique_ptr<guard::JudgeRail>> MakeJudgeRail(ModelOptions judge, float gate, int max_tokens,
                                                       std::shared_ptr<const guard::Policy> policy);

Command RegisterGuardTrain(CLI::App& guard);
Command RegisterGuardEval(CLI::App& guard);
Command RegisterGuardCalibrate(CLI::App& guard);

}  // namespace sangam::cli
