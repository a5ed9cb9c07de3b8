// sangam corpus (placeholder until its implementation lands).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterCorpus(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("corpus", "(not built yet)");
  return {cmd, [] { return UnimplementedError("corpus: not implemented yet"); }};
}

}  // namespace sangam::cli
