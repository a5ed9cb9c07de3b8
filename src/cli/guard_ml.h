// The `sangam guard train`, `eval` and `calibrate` subcommands (added under `sangam guard`).
#pragma once

#include <memory>
#include <string>

#include "cli/common.h"
#include "sangam/guard.h"

namespace sangam::cli {

// --policy of the guard commands: the policy file, or the built-in policy when `path` is empty.
Result<std::shared_ptr<const guard::Policy>> LoadPolicyOrDefault(const std::string& path);

Command RegisterGuardTrain(CLI::App& guard);
Command RegisterGuardEval(CLI::App& guard);
Command RegisterGuardCalibrate(CLI::App& guard);

}  // namespace sangam::cli
