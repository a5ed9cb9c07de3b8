// sangam eval: per-language token statistics (token premium, fertility) and bits per character /
// byte of one or two models (or one model with and without LoRA adapters) on parallel or plain text.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sangam/chart.h"
#include "sangam/eval.h"
#include "sangam/gguf.h"
#include "sangam/log.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct EvalCmdOptions {
  std::vector<std::string> models;
  std::vector<std::string> loras;
  std::string tokenizer;
  int threads = 0;
  int64_t ctx_size = 0;
  std::string parallel;
  std::vector<std::string> text;
  std::string langs;
  std::string ref = "eng_Latn";
  int64_t max_lines = 0;
  bool tokens_only = false;
  std::string json, markdown, chart;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool HasGgufMagic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  f.read(magic, 4);
  return f.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

// One -m: the model when it has weights (and they are needed), else its tokenizer alone.
struct LoadedSubject {
  LoadedTokenizer tok_only;
  std::unique_ptr<model::Model> model;
  const tokenizer::Tokenizer* tok = nullptr;
  std::string note;
};

Result<LoadedSubject> LoadSubject(const EvalCmdOptions& o, const std::string& path) {
  ModelOptions mo;
  mo.model = path;
  mo.tokenizer = o.tokenizer;
  RETURN_IF_ERROR(CheckFileExists(path, "model file (-m)"));
  LoadedSubject s;
  bool weights = true;
  if (HasGgufMagic(path)) {
    ASSIGN_OR_RETURN(auto file, gguf::File::Open(path));
    weights = file->FindTensor("token_embd.weight") != nullptr;
  }
  if (o.tokens_only || !weights) {
    ASSIGN_OR_RETURN(s.tok_only, LoadTokenizer(mo));
    s.tok = s.tok_only.tok;
    s.note = weights ? "tokens only (--tokens-only)" : "tokens only: the file has no weights";
    return s;
  }
  ASSIGN_OR_RETURN(s.model, LoadModel(mo));
  s.tok = &s.model->tokenizer();
  return s;
}

std::string Describe(const std::string& path, const std::vector<std::string>& loras) {
  std::string d = path;
  for (const std::string& l : loras) d += " + LoRA " + l;
  return d;
}

Status RunEval(const EvalCmdOptions& o) {
  if (o.models.empty()) return InvalidArgumentError("eval: give a model or vocabulary with -m");
  if (o.models.size() > 2) {
    return InvalidArgumentError(StrFormat("eval: at most two models (-m A -m B), got %zu", o.models.size()));
  }
  if (o.parallel.empty() == o.text.empty()) {
    return InvalidArgumentError("eval: give either --parallel DIR or --text FILE... --langs LIST");
  }
  const std::vector<std::string> langs = SplitList(o.langs);
  if (!o.text.empty() && langs.empty()) {
    return InvalidArgumentError("eval: --text needs --langs with one language per file (e.g. --langs hi,en)");
  }

  // Subjects: A = the first -m; B = the second -m, or the first again, with --lora adapters.
  std::vector<LoadedSubject> loaded;
  ASSIGN_OR_RETURN(LoadedSubject a, LoadSubject(o, o.models[0]));
  loaded.push_back(std::move(a));
  if (o.models.size() == 2) {
    ASSIGN_OR_RETURN(LoadedSubject b, LoadSubject(o, o.models[1]));
    loaded.push_back(std::move(b));
  }
  const model::Model* lora_base = loaded.back().model.get();
  LoadedLoras loras;
  if (!o.loras.empty()) {
    if (o.tokens_only) return InvalidArgumentError("eval: --lora has no effect with --tokens-only");
    if (lora_base == nullptr) {
      return InvalidArgumentError(StrFormat("eval: --lora needs a model with weights; '%s' has no weights",
                                            o.models.back().c_str()));
    }
    ModelOptions mo;
    mo.loras = o.loras;
    ASSIGN_OR_RETURN(loras, LoadLoras(mo, *lora_base));
  }
  std::vector<adapt::EvalSubject> subjects;
  for (size_t i = 0; i < loaded.size(); ++i) {
    adapt::EvalSubject s;
    s.label = i == 0 ? "A" : "B";
    s.description = o.models[i];
    s.tok = loaded[i].tok;
    s.model = loaded[i].model.get();
    s.note = loaded[i].note;
    if (i == 1 && !o.loras.empty()) {
      s.loras = loras.applied;
      s.description = Describe(o.models[i], o.loras);
    }
    subjects.push_back(std::move(s));
  }
  if (loaded.size() == 1 && !o.loras.empty()) {
    adapt::EvalSubject b = subjects[0];
    b.label = "B";
    b.loras = loras.applied;
    b.description = Describe(o.models[0], o.loras);
    subjects.push_back(std::move(b));
  }

  adapt::EvalCorpus corpus;
  if (!o.parallel.empty()) {
    ASSIGN_OR_RETURN(corpus, adapt::LoadParallelDir(o.parallel, langs, o.ref, o.max_lines));
  } else {
    ASSIGN_OR_RETURN(corpus, adapt::LoadTextFiles(o.text, langs, o.max_lines));
  }
  for (const std::string& w : corpus.warnings) LOG_WARN("%s", w.c_str());
  corpus.warnings.clear();  // printed already; EvaluateLanguages would copy them into the report

  adapt::EvalOptions eo;
  eo.ref = o.ref;
  eo.tokens_only = o.tokens_only;
  eo.n_ctx = o.ctx_size;
  std::unique_ptr<ProgressBar> bar;
  double last = 0;
  eo.progress = [&](int64_t done, int64_t total) {
    if (!bar) bar = std::make_unique<ProgressBar>("eval", total);
    const double now = NowSeconds();
    if (done == total || now - last > 0.1) {
      bar->Update(done, "lines");
      last = now;
    }
  };
  ThreadPool pool(o.threads);
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(adapt::EvalReport report, adapt::EvaluateLanguages(eo, corpus, subjects, pool));
  if (bar) bar->Finish();
  LOG_INFO("eval: %zu languages, %zu subjects in %.1f s", report.languages.size(),
           report.subjects.size(), NowSeconds() - t0);
  for (const std::string& w : report.warnings) LOG_WARN("%s", w.c_str());

  const std::string md = adapt::RenderMarkdown(report);
  std::fwrite(md.data(), 1, md.size(), stdout);
  std::fflush(stdout);
  if (!o.markdown.empty()) RETURN_IF_ERROR(report::WriteTextFileAtomic(o.markdown, md));
  if (!o.json.empty()) RETURN_IF_ERROR(report::WriteTextFileAtomic(o.json, adapt::ToJson(report)));
  if (!o.chart.empty()) RETURN_IF_ERROR(report::WriteTextFileAtomic(o.chart, adapt::RenderCharts(report)));
  return Status::Ok();
}

}  // namespace

Command RegisterEval(CLI::App& root) {
  auto o = std::make_shared<EvalCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "eval", "per-language evaluation: token premium, fertility, bits per character/byte");
  cmd->add_option("-m,--model", o->models,
                  "model or vocabulary-only GGUF (llama2.c .bin also works); give -m twice to compare")
      ->required()
      ->allow_extra_args(false);
  o->threads = PhysicalCoreCount();
  cmd->add_option("-t,--threads", o->threads, "number of threads (default: physical cores)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("-c,--ctx-size", o->ctx_size,
                  "context window in tokens (0 = min(trained context, 4096)); longer lines are "
                  "scored in windows")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--lora", o->loras,
                  "LoRA adapter FILE[:SCALE] (repeatable); compared as B against A: with one -m, "
                  "A = the model alone and B = the model with the adapters; with two -m, the "
                  "adapters apply to the second")
      ->allow_extra_args(false);
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.bin for llama2.c checkpoints");
  cmd->add_option("--parallel", o->parallel,
                  "directory of aligned files <lang>.dev / .devtest / .txt (or one with a dev/ subdirectory, "
                  "like flores200/)");
  cmd->add_option("--text", o->text, "plain text files, one language each (with --langs)")
      ->expected(1, -1);
  cmd->add_option("--langs", o->langs,
                  "comma-separated languages: FLORES codes (hin_Deva) or ISO codes (hi, hin); default all");
  cmd->add_option("--ref", o->ref, "reference language for the token premium")->capture_default_str();
  cmd->add_option("--max-lines", o->max_lines, "use at most N lines per language (0 = all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_flag("--tokens-only", o->tokens_only, "token statistics only (no forward passes)");
  cmd->add_option("--json", o->json, "write every number as JSON to FILE");
  cmd->add_option("--markdown", o->markdown, "also write the Markdown table to FILE");
  cmd->add_option("--chart", o->chart, "write bar charts (token premium, bits/char) as SVG to FILE");
  cmd->footer(
      "Tokens are counted line by line without BOS (Petrov et al. 2023); token premium = tokens / "
      "tokens of --ref on parallel text; fertility = tokens / whitespace-separated words (n/a for "
      "scripts without spaces); bits/char and bits/byte = NLL of each line's tokens given BOS and "
      "the line's previous tokens, in bits, per Unicode character / UTF-8 byte. Parallel files "
      "must have the same number of lines and every line must be valid UTF-8 (else an error).");
  return {cmd, [o] { return RunEval(*o); }};
}

}  // namespace sangam::cli
