// The `sangam guard train` and `sangam guard eval` subcommands (added under `sangam guard`).
#pragma once

#include "cli/common.h"

namespace sangam::cli {

Command RegisterGuardTrain(CLI::App& guard);
Command RegisterGuardEval(CLI::App& guard);
Command RegisterGuardCalibrate(CLI::App& guard);

}  // namespace sangam::cli
