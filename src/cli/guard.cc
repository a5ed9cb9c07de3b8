// sangam guard: placeholder registration (the real command is being written).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterGuard(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("guard", "(not yet available)");
  return {cmd, [] { return UnimplementedError("guard: not yet available"); }};
}

}  // namespace sangam::cli
