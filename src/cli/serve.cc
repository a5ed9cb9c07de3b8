// sangam serve: placeholder registration (the real command is being written).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterServe(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("serve", "(not yet available)");
  return {cmd, [] { return UnimplementedError("serve: not yet available"); }};
}

}  // namespace sangam::cli
