// sangam tokenizer (placeholder until its implementation lands).
#include "cli/common.h"

namespace sangam::cli {

Command RegisterTokenizer(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("tokenizer", "(not built yet)");
  return {cmd, [] { return UnimplementedError("tokenizer: not implemented yet"); }};
}

}  // namespace sangam::cli
