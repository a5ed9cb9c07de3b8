// Shared helpers of the sangam subcommands.
#include "cli/common.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "sangam/thread_pool.h"

namespace sangam::cli {

void AddModelOptions(CLI::App* cmd, ModelOptions* o, ModelOptionFlags flags) {
  auto* m = cmd->add_option("-m,--model", o->model, "model file (GGUF or llama2.c .bin checkpoint)");
  if (flags.model_required) m->required();
  o->threads = PhysicalCoreCount();
  cmd->add_option("-t,--threads", o->threads, "number of threads (default: physical cores)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  if (flags.ctx) {
    cmd->add_option("-c,--ctx-size", o->ctx_size,
                    "context size in tokens (0 = min(trained context, 4096))")
        ->check(CLI::Range(int64_t{0}, int64_t{1} << 24))
        ->capture_default_str();
  }
  if (flags.chat_template) {
    cmd->add_option("--chat-template", o->chat_template,
                    "chat template name (default: detected from the model's tokenizer.chat_template)");
  }
  if (flags.lora) {
    cmd->add_option("--lora", o->loras,
                    "apply a LoRA adapter: FILE[:SCALE], a llama.cpp GGUF adapter or a PEFT "
                    "directory, SCALE multiplies its alpha/rank (default 1); repeatable")
        ->allow_extra_args(false);
  }
  cmd->add_option("--tokenizer", o->tokenizer,
                  "tokenizer.bin for llama2.c checkpoints (default: tokenizer.bin or tok<vocab>.bin beside it)");
}

void AddSamplingOptions(CLI::App* cmd, sample::SamplerParams* p, int64_t* seed) {
  cmd->add_option("--temp", p->temperature, "temperature; 0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", p->top_k, "keep the K most likely tokens (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", p->top_p, "nucleus sampling: keep the smallest set with mass P (1 = off)")
      ->capture_default_str();
  cmd->add_option("--min-p", p->min_p, "drop tokens below P times the top probability (0 = off)")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", p->repeat_penalty, "penalty for repeated tokens (1 = off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", p->repeat_last_n, "window of recent tokens for the penalties")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", p->frequency_penalty, "subtracted per occurrence (0 = off)")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", p->presence_penalty, "subtracted if present (0 = off)")
      ->capture_default_str();
  cmd->add_option("--seed", *seed, "random seed (-1 = random); same seed, same output")
      ->check(CLI::Range(int64_t{-1}, std::numeric_limits<int64_t>::max()))
      ->capture_default_str();
}

uint64_t ResolveSeed(int64_t seed) {
  if (seed >= 0) return static_cast<uint64_t>(seed);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
         static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

Status CheckFileExists(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty()) return InvalidArgumentError(StrFormat("%s: no file given", what));
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError(StrFormat("%s '%s' does not exist", what, path.c_str()));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgumentError(StrFormat("%s '%s' is a directory, not a file", what, path.c_str()));
  }
  return Status::Ok();
}

Result<LoadedLoras> LoadLoras(const ModelOptions& o, const model::Model& m) {
  LoadedLoras out;
  for (const std::string& spec : o.loras) {
    // FILE:SCALE when the text after the last ':' is a number and FILE is not itself a path.
    std::string path = spec;
    float scale = 1.0f;
    std::error_code ec;
    const size_t colon = spec.rfind(':');
    if (colon != std::string::npos && !std::filesystem::exists(spec, ec)) {
      const std::string num = spec.substr(colon + 1);
      char* end = nullptr;
      const float v = std::strtof(num.c_str(), &end);
      if (!num.empty() && end == num.c_str() + num.size()) {
        if (!std::isfinite(v)) {
          return InvalidArgumentError("--lora '" + spec + "': the scale must be a finite number");
        }
        path = spec.substr(0, colon);
        scale = v;
      }
    }
    if (path.empty()) return InvalidArgumentError("--lora '" + spec + "': no file given");
    ASSIGN_OR_RETURN(model::LoraAdapter ad, model::LoadLoraAdapter(path, m.hparams()));
    out.adapters.push_back(std::make_unique<model::LoraAdapter>(std::move(ad)));
    out.applied.push_back({out.adapters.back().get(), scale});
  }
  return out;
}

Result<std::unique_ptr<model::Model>> LoadModel(const ModelOptions& o) {
  RETURN_IF_ERROR(CheckFileExists(o.model, "model file (-m)"));
  if (!o.tokenizer.empty()) RETURN_IF_ERROR(CheckFileExists(o.tokenizer, "tokenizer file (--tokenizer)"));
  model::LoadOptions lo;
  lo.llama2c_tokenizer = o.tokenizer;
  return model::Model::Load(o.model, lo);
}

namespace {
bool HasGgufMagic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  f.read(magic, 4);
  return f.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}
}  // namespace

Result<LoadedTokenizer> LoadTokenizer(const ModelOptions& o) {
  RETURN_IF_ERROR(CheckFileExists(o.model, "model file (-m)"));
  LoadedTokenizer lt;
  if (HasGgufMagic(o.model)) {
    ASSIGN_OR_RETURN(lt.file, gguf::File::Open(o.model));
    ASSIGN_OR_RETURN(lt.owned, tokenizer::Tokenizer::FromGguf(*lt.file));
    lt.tok = lt.owned.get();
    return lt;
  }
  ASSIGN_OR_RETURN(lt.model, LoadModel(o));
  lt.tok = &lt.model->tokenizer();
  return lt;
}

double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

bool StderrIsTty() { return isatty(STDERR_FILENO) == 1; }
bool StdinIsTty() { return isatty(STDIN_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total > 0 ? total : 1), enabled_(StderrIsTty()) {}

void ProgressBar::Update(int64_t done, const std::string& extra) {
  if (!enabled_) return;
  constexpr int kWidth = 30;
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), ' ');
  std::fprintf(stderr, "\r%s [%s] %3d%% %lld/%lld %s", label_.c_str(), bar.c_str(),
               static_cast<int>(frac * 100), static_cast<long long>(done),
               static_cast<long long>(total_), extra.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

std::string FormatBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? StrFormat("%.0f %s", bytes, units[u]) : StrFormat("%.2f %s", bytes, units[u]);
}

}  // namespace sangam::cli
