// Shared pieces of the sangam subcommands: model options, loading, progress, timing.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/lora.h"
#include "sangam/model.h"
#include "sangam/sample.h"
#include "sangam/status.h"
#include "sangam/tokenizer.h"

namespace sangam::cli {

// Options shared by the commands that run a model.
struct ModelOptions {
  std::string model;          // -m/--model
  int threads = 0;            // -t/--threads; set to PhysicalCoreCount() at registration
  int64_t ctx_size = 0;       // -c/--ctx-size; 0 = min(trained context, 4096)
  std::string chat_template;  // --chat-template NAME
  std::string tokenizer;      // --tokenizer (llama2.c .bin checkpoints)
  std::vector<std::string> loras;  // --lora FILE[:SCALE], repeatable
};

struct ModelOptionFlags {
  bool ctx = true;
  bool chat_template = false;
  bool model_required = true;
  bool lora = false;  // --lora FILE[:SCALE]
};
void AddModelOptions(CLI::App* cmd, ModelOptions* o, ModelOptionFlags flags = {});

// Sampling flags (--temp, --top-k, ...). `seed` -1 = random; resolve with ResolveSeed.
void AddSamplingOptions(CLI::App* cmd, sample::SamplerParams* p, int64_t* seed);
uint64_t ResolveSeed(int64_t seed);

// Loads the model (GGUF or llama2.c checkpoint); NotFound naming -m when the file is absent.
Result<std::unique_ptr<model::Model>> LoadModel(const ModelOptions& o);
Status CheckFileExists(const std::string& path, const char* what);

// The adapters of --lora (GGUF files or PEFT directories, each with an optional :SCALE
// multiplier, default 1), loaded and validated for `m`. `applied` points into `adapters`, so
// keep this alive as long as a Context uses it (it goes into ContextOptions::loras).
struct LoadedLoras {
  std::vector<std::unique_ptr<model::LoraAdapter>> adapters;
  std::vector<model::AppliedLora> applied;
};
Result<LoadedLoras> LoadLoras(const ModelOptions& o, const model::Model& m);

// A tokenizer alone: from a GGUF's metadata (works with vocabulary-only files) or, for other
// files, from the loaded model. Keeps whatever owns the tokenizer alive.
struct LoadedTokenizer {
  std::unique_ptr<gguf::File> file;
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> owned;
  const tokenizer::Tokenizer* tok = nullptr;
};
Result<LoadedTokenizer> LoadTokenizer(const ModelOptions& o);


double NowSeconds();
bool StderrIsTty();
bool StdinIsTty();

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  void Update(int64_t done, const std::string& extra = "");
  void Finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool drawn_ = false;
};

// Human-readable byte count ("1.13 MiB").
std::string FormatBytes(double bytes);

// A subcommand: its CLI11 node and the action run when it was chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<Status()> run;
};

Command RegisterGenerate(CLI::App& root);
Command RegisterChat(CLI::App& root);
Command RegisterTokenize(CLI::App& root);
Command RegisterPerplexity(CLI::App& root);
Command RegisterBench(CLI::App& root);
Command RegisterInfo(CLI::App& root);
Command RegisterInit(CLI::App& root);
Command RegisterQuantize(CLI::App& root);
Command RegisterTrain(CLI::App& root);
Command RegisterTokenizer(CLI::App& root);
Command RegisterEval(CLI::App& root);
Command RegisterCorpus(CLI::App& root);
Command RegisterAdapt(CLI::App& root);
Command RegisterServe(CLI::App& root);
Command RegisterGuard(CLI::App& root);

}  // namespace sangam::cli
