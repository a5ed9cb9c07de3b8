// sangam guard train / eval: placeholder registration (the real commands are being written).
#include "cli/guard_ml.h"

namespace sangam::cli {

Command RegisterGuardTrain(CLI::App& guard) {
  CLI::App* cmd = guard.add_subcommand("train", "(not yet available)");
  return {cmd, [] { return UnimplementedError("guard train: not yet available"); }};
}

Command RegisterGuardEval(CLI::App& guard) {
  CLI::App* cmd = guard.add_subcommand("eval", "(not yet available)");
  return {cmd, [] { return UnimplementedError("guard eval: not yet available"); }};
}

}  // namespace sangam::cli
