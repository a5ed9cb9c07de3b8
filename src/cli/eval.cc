// sangam eval (placeholder until its implementation lands).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterEval(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("eval", "(not built yet)");
  return {cmd, [] { return UnimplementedError("eval: not implemented yet"); }};
}

}  // namespace sangam::cli
