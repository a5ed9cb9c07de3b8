// sangam adapt (placeholder until its implementation lands).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterAdapt(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("adapt", "(not built yet)");
  return {cmd, [] { return UnimplementedError("adapt: not implemented yet"); }};
}

}  // namespace sangam::cli
