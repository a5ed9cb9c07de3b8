// sangam init: create a new model with random weights (a starting point for training).
#include <cstdio>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct InitCliOptions {
  model::InitOptions init;
  std::string out;
  std::string type = "f32";
  int threads = 1;
};

Status RunInit(InitCliOptions o) {
  if (o.init.arch != "llama" && o.init.arch != "mistral" && o.init.arch != "qwen2") {
    return InvalidArgumentError("init: unknown --arch '" + o.init.arch + "' (valid: llama, mistral, qwen2)");
  }
  ASSIGN_OR_RETURN(o.init.type, tensor::ParseDType(o.type));
  if (o.init.n_embd % o.init.n_head != 0) {
    return InvalidArgumentError(StrFormat("init: --dim %lld is not a multiple of --heads %lld",
                                          static_cast<long long>(o.init.n_embd),
                                          static_cast<long long>(o.init.n_head)));
  }
  if (o.init.n_head % o.init.n_head_kv != 0) {
    return InvalidArgumentError(StrFormat("init: --heads %lld is not a multiple of --kv-heads %lld",
                                          static_cast<long long>(o.init.n_head),
                                          static_cast<long long>(o.init.n_head_kv)));
  }
  if (o.init.tokenizer != "bytes") RETURN_IF_ERROR(CheckFileExists(o.init.tokenizer, "vocabulary source (--vocab-from)"));
  ThreadPool pool(o.threads);
  ProgressBar bar("init", 1);
  bar.Update(0, "writing " + o.out);
  const double t0 = NowSeconds();
  RETURN_IF_ERROR(model::InitModel(o.init, o.out, pool));
  bar.Update(1);
  bar.Finish();
  LOG_INFO("init: wrote %s (%s, dim %lld, %lld layers) in %.2f s", o.out.c_str(),
               o.init.arch.c_str(), static_cast<long long>(o.init.n_embd),
               static_cast<long long>(o.init.n_layer), NowSeconds() - t0);
  return Status::Ok();
}

}  // namespace

Command RegisterInit(CLI::App& root) {
  auto o = std::make_shared<InitCliOptions>();
  o->threads = PhysicalCoreCount();
  auto& i = o->init;
  CLI::App* cmd = root.add_subcommand("init", "create a new model with random weights");
  cmd->add_option("-o,--output", o->out, "output GGUF file")->required();
  cmd->add_option("--arch", i.arch, "architecture: llama, mistral or qwen2")->capture_default_str();
  cmd->add_option("--dim", i.n_embd, "embedding size")->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  cmd->add_option("--layers", i.n_layer, "number of layers")->check(CLI::Range(int64_t{1}, int64_t{4096}))->capture_default_str();
  cmd->add_option("--heads", i.n_head, "attention heads")->check(CLI::Range(int64_t{1}, int64_t{4096}))->capture_default_str();
  cmd->add_option("--kv-heads", i.n_head_kv, "key/value heads (grouped-query attention)")->check(CLI::Range(int64_t{1}, int64_t{4096}))->capture_default_str();
  cmd->add_option("--ffn", i.n_ff, "feed-forward hidden size")->check(CLI::Range(int64_t{1}, int64_t{1} << 22))->capture_default_str();
  cmd->add_option("--ctx", i.n_ctx, "trained context length")->check(CLI::Range(int64_t{1}, int64_t{1} << 24))->capture_default_str();
  cmd->add_option("--vocab-from", i.tokenizer,
                  "vocabulary: a GGUF file, a llama2.c tokenizer.bin, or 'bytes' (built-in byte vocabulary)")
      ->capture_default_str();
  cmd->add_option("--type", o->type, "weight type: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k")->capture_default_str();
  cmd->add_option("--seed", i.seed, "random seed for the weights")->capture_default_str();
  cmd->add_option("--init-std", i.init_std, "standard deviation of the initial weights")->capture_default_str();
  cmd->add_option("--name", i.name, "general.name")->capture_default_str();
  cmd->add_flag("--tied", i.tied_output, "tie the output matrix to the token embedding");
  cmd->add_option("-t,--threads", o->threads, "number of threads")->check(CLI::Range(1, 1024))->capture_default_str();
  return {cmd, [o] { return RunInit(*o); }};
}

}  // namespace sangam::cli
