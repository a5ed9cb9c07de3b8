// sangam bench: llama-bench style throughput (pp = one batched forward of P tokens, tg = N
// single-token decodes; median of R repetitions) with each result's share of the machine's
// roofline: tg against measured memory bandwidth, pp against peak FP32 (or int8) compute.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/sample.h"
#include "sangam/thread_pool.h"
#if __has_include("sangam/roofline.h")
#include "sangam/roofline.h"
#define SANGAM_HAVE_ROOFLINE 1
#endif

namespace sangam::cli {
namespace {

struct BenchOptions {
  ModelOptions m;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int reps = 5;
  bool json = false;
  bool machine = false;
};

struct Ceilings {
  double mem_gbs = 0;        // measured memory bandwidth
  double fp32_gflops = 0;    // peak FP32 FMA throughput
  double int8_gops = 0;      // peak int8 dot-product throughput
  bool available = false;
};

Ceilings MeasureCeilings(ThreadPool& pool) {
  Ceilings c;
#ifdef SANGAM_HAVE_ROOFLINE
  c.mem_gbs = tensor::MeasureMemoryBandwidthGBs(pool);
  c.fp32_gflops = tensor::MeasurePeakFp32Gflops(pool);
  c.int8_gops = tensor::MeasurePeakInt8Gops(pool);
  c.available = c.mem_gbs > 0 && c.fp32_gflops > 0;
#else
  (void)pool;
#endif
  return c;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The weight type holding most bytes among the 2-D tensors ("Q8_0", "F32", ...).
std::string DominantType(const gguf::File& f) {
  std::map<uint32_t, size_t> bytes;
  for (const auto& t : f.tensors()) {
    if (t.n_dims >= 2) bytes[static_cast<uint32_t>(t.type)] += t.n_bytes;
  }
  uint32_t best = 0;
  size_t best_bytes = 0;
  for (const auto& [type, b] : bytes) {
    if (b > best_bytes) {
      best = type;
      best_bytes = b;
    }
  }
  return tensor::GgmlTypeName(best);
}

struct TestResult {
  std::string test;
  int64_t n_prompt = 0, n_gen = 0;
  std::vector<double> samples;  // tokens/s per repetition
  double tps = 0;
  double achieved = 0;          // GB/s (tg) or GFLOPS/GOPS (pp) at the median speed
  double ceiling = 0;
  std::string metric;
  std::optional<double> share;
};

Status RunBench(BenchOptions o) {
  ThreadPool pool(o.m.threads);
  if (o.machine) {
    const Ceilings c = MeasureCeilings(pool);
    if (!c.available) return UnimplementedError("bench: roofline measurements are not available in this build");
    if (o.json) {
      nlohmann::json j = {{"n_threads", o.m.threads},
                          {"memory_bandwidth_gbs", c.mem_gbs},
                          {"peak_fp32_gflops", c.fp32_gflops},
                          {"peak_int8_gops", c.int8_gops},
                          {"isa", tensor::IsaName(tensor::SelectedIsa())}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("threads:           %d\n", o.m.threads);
      std::printf("isa:               %s\n", tensor::IsaName(tensor::SelectedIsa()));
      std::printf("memory bandwidth:  %.2f GB/s\n", c.mem_gbs);
      std::printf("peak FP32 (FMA):   %.2f GFLOPS\n", c.fp32_gflops);
      std::printf("peak int8:         %.2f GOPS\n", c.int8_gops);
    }
    return Status::Ok();
  }
  if (o.m.model.empty()) return InvalidArgumentError("bench: -m/--model is required (or use --machine)");
  if (o.n_prompt <= 0 && o.n_gen <= 0) return InvalidArgumentError("bench: nothing to run (-p 0 -n 0)");
  ASSIGN_OR_RETURN(auto model, LoadModel(o.m));
  const int32_t n_vocab = model->tokenizer().n_vocab();
  model::ContextOptions co;
  co.n_ctx = std::max<int64_t>({o.n_prompt, o.n_gen, 1});
  co.n_batch = std::max<int64_t>(o.n_prompt, 1);
  if (o.m.ctx_size > 0 && o.m.ctx_size < co.n_ctx) {
    return InvalidArgumentError(StrFormat("bench: -c %lld is smaller than the test sizes (%lld)",
                                          static_cast<long long>(o.m.ctx_size), static_cast<long long>(co.n_ctx)));
  }
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(*model, co));

  LOG_INFO("bench: measuring machine ceilings...");
  const Ceilings ceil = MeasureCeilings(pool);
  const std::string dominant = DominantType(model->file());
  const bool quantized = [&] {
    auto r = tensor::ParseDType(dominant);
    return r.ok() && tensor::Traits(*r).quantized;
  }();
  size_t model_size = 0;
  for (const auto& t : model->file().tensors()) model_size += t.n_bytes;
  const std::string model_type = model->hparams().arch + " " + dominant;

  sample::Rng rng(1234);
  auto random_token = [&] { return static_cast<int32_t>(rng.Next() % static_cast<uint64_t>(n_vocab)); };
  // Warm-up (page in the weights, size the scratch buffers).
  {
    ctx->SeqClear(0);
    const int32_t w[1] = {random_token()};
    RETURN_IF_ERROR(ctx->Eval(pool, w).status());
  }
  std::vector<TestResult> results;
  if (o.n_prompt > 0) {
    TestResult r;
    r.test = StrFormat("pp%lld", static_cast<long long>(o.n_prompt));
    r.n_prompt = o.n_prompt;
    std::vector<model::BatchToken> batch(static_cast<size_t>(o.n_prompt));
    for (int rep = 0; rep < o.reps; ++rep) {
      ctx->SeqClear(0);
      for (int64_t i = 0; i < o.n_prompt; ++i) {
        batch[static_cast<size_t>(i)] = {random_token(), static_cast<int32_t>(i), 0, i == o.n_prompt - 1};
      }
      const double t0 = NowSeconds();
      RETURN_IF_ERROR(ctx->Decode(pool, batch));
      const double dt = NowSeconds() - t0;
      r.samples.push_back(o.n_prompt / std::max(dt, 1e-9));
    }
    r.tps = Median(r.samples);
    r.achieved = r.tps * 2.0 * static_cast<double>(model->matmul_params_per_token()) / 1e9;
    r.metric = quantized ? "GOPS" : "GFLOPS";
    r.ceiling = quantized ? ceil.int8_gops : ceil.fp32_gflops;
    if (ceil.available && r.ceiling > 0) r.share = r.achieved / r.ceiling;
    results.push_back(r);
  }
  if (o.n_gen > 0) {
    TestResult r;
    r.test = StrFormat("tg%lld", static_cast<long long>(o.n_gen));
    r.n_gen = o.n_gen;
    double bytes_per_token = 0;
    for (int rep = 0; rep < o.reps; ++rep) {
      ctx->SeqClear(0);
      double kv_bytes = 0;
      const double t0 = NowSeconds();
      for (int64_t i = 0; i < o.n_gen; ++i) {
        kv_bytes += static_cast<double>(ctx->kv_bytes_per_token(0));
        const int32_t t[1] = {random_token()};
        RETURN_IF_ERROR(ctx->Eval(pool, t).status());
      }
      const double dt = NowSeconds() - t0;
      r.samples.push_back(o.n_gen / std::max(dt, 1e-9));
      bytes_per_token = static_cast<double>(model->weight_bytes_per_token()) + kv_bytes / o.n_gen;
    }
    r.tps = Median(r.samples);
    r.achieved = r.tps * bytes_per_token / 1e9;
    r.metric = "GB/s";
    r.ceiling = ceil.mem_gbs;
    if (ceil.available && r.ceiling > 0) r.share = r.achieved / r.ceiling;
    results.push_back(r);
  }

  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : results) {
      nlohmann::json j = {{"test", r.test},
                          {"n_prompt", r.n_prompt},
                          {"n_gen", r.n_gen},
                          {"tokens_per_s", r.tps},
                          {"samples_tokens_per_s", r.samples},
                          {"repetitions", o.reps},
                          {"achieved", r.achieved},
                          {"roofline_metric", r.metric},
                          {"roofline_ceiling", r.ceiling},
                          {"n_threads", o.m.threads},
                          {"model_type", model_type},
                          {"model_size", model_size},
                          {"model_n_params", model->n_params()},
                          {"model_file", o.m.model},
                          {"isa", tensor::IsaName(tensor::SelectedIsa())}};
      j["roofline_share"] = r.share ? nlohmann::json(*r.share) : nlohmann::json(nullptr);
      arr.push_back(j);
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return Status::Ok();
  }
  std::printf("| %-20s | %10s | %10s | %7s | %8s | %12s | %-28s |\n", "model", "size", "params", "threads",
              "test", "t/s", "roofline");
  std::printf("| %.20s | %.10s | %.10s | %.7s | %.8s | %.12s | %.28s |\n", "--------------------",
              "----------", "----------", "-------", "--------", "------------",
              "----------------------------");
  bool above = false;
  for (const auto& r : results) {
    above = above || (r.share && *r.share > 1.0);
    const std::string roof =
        r.share ? StrFormat("%5.1f%% (%.1f of %.1f %s)", *r.share * 100.0, r.achieved, r.ceiling, r.metric.c_str())
                : StrFormat("n/a (%.2f %s)", r.achieved, r.metric.c_str());
    std::printf("| %-20s | %10s | %9.2fM | %7d | %8s | %12.2f | %-28s |\n", model_type.c_str(),
                FormatBytes(double(model_size)).c_str(), model->n_params() / 1e6, o.m.threads, r.test.c_str(),
                r.tps, roof.c_str());
  }
  if (above) {
    LOG_INFO("bench: a share above 100%% means the data stayed in the CPU caches "
             "(the model is smaller than the caches), so DRAM bandwidth is not the limit");
  }
  return Status::Ok();
}

}  // namespace

Command RegisterBench(CLI::App& root) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = root.add_subcommand(
      "bench", "measure prompt (pp) and generation (tg) speed and their share of the machine's roofline");
  AddModelOptions(cmd, &o->m, {.ctx = true, .chat_template = false, .model_required = false});
  cmd->add_option("-p,--n-prompt", o->n_prompt, "prompt tokens for the pp test (0 = skip)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", o->n_gen, "generated tokens for the tg test (0 = skip)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", o->reps, "repetitions (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print a JSON array of results");
  cmd->add_flag("--machine", o->machine,
                "only measure and print the machine's ceilings (memory bandwidth, peak FP32, peak int8)");
  cmd->footer("Roofline: tg against measured memory bandwidth (weight bytes per token + KV bytes); "
              "pp against peak FP32 FMA (2 FLOPs per matrix weight per token; embedding lookup and attention not counted), or peak int8 for quantized models.");
  return {cmd, [o] { return RunBench(*o); }};
}

}  // namespace sangam::cli
