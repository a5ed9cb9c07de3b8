// sangam: the single command-line entry point; parses flags and dispatches to subcommands.
// The only place where a Status becomes an exit code and a "sangam: error: ..." line.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sangam/log.h"

namespace {

// CLI11 messages can span lines; the error contract is one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string StrCat(const char* a, const char* b, const char* c) { return std::string(a) + b + c; }

int Main(int argc, char** argv) {
  CLI::App app{
      "sangam: run, evaluate and build open language models on CPUs.\n"
      "Run 'sangam <command> --help' for the options of a command.",
      "sangam"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sangam 0.1.0");
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "also print debug diagnostics to stderr");
  app.add_flag("-q,--quiet", quiet, "print only errors to stderr");
  app.fallthrough();  // the global flags are accepted after the command too

  using namespace sangam::cli;
  std::vector<Command> commands = {
      RegisterGenerate(app), RegisterChat(app),  RegisterTokenize(app), RegisterPerplexity(app),
      RegisterBench(app),    RegisterInfo(app),  RegisterInit(app),     RegisterQuantize(app), RegisterTrain(app),
      RegisterTokenizer(app), RegisterEval(app),  RegisterCorpus(app),   RegisterAdapt(app),
      RegisterServe(app),     RegisterGuard(app),
  };

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto& cmd : commands) {
      known = known || cmd.app->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + cmd.app->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "sangam: error: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string help = argc > 1 && argv[1][0] != '-' ? StrCat("sangam ", argv[1], " --help") : "sangam --help";
    std::fprintf(stderr, "sangam: error: %s (see '%s')\n", OneLine(e.what()).c_str(), help.c_str());
    return 2;
  }

  if (verbose) sangam::SetLogLevel(sangam::LogLevel::kDebug);
  if (quiet) sangam::SetLogLevel(sangam::LogLevel::kError);
  for (const auto& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    sangam::Status st;
    try {
      st = cmd.run();
    } catch (const std::exception& e) {  // third-party code (JSON, CLI11) may throw
      st = sangam::InternalError(std::string("unexpected exception: ") + e.what());
    }
    if (!st.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "sangam: error: %s\n", OneLine(st.message()).c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "sangam: error: no command given (see 'sangam --help')\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
