// sangam quantize: re-encode a model's weight matrices in another type.
#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct QuantizeOptions {
  std::string in, out, type;
  int threads = 1;
};

Status RunQuantize(const QuantizeOptions& o) {
  ASSIGN_OR_RETURN(tensor::DType type, tensor::ParseDType(o.type));
  if (tensor::Traits(type).type == tensor::DType::kQ8_K) {
    return InvalidArgumentError("quantize: Q8_K is an activation format, not a weight type");
  }
  RETURN_IF_ERROR(CheckFileExists(o.in, "input model"));
  ThreadPool pool(o.threads);
  ProgressBar bar("quantize", 1);
  bar.Update(0, "to " + o.type);
  const double t0 = NowSeconds();
  RETURN_IF_ERROR(model::QuantizeModel(o.in, o.out, type, pool));
  bar.Update(1);
  bar.Finish();
  std::error_code e1, e2;
  const auto in_size = std::filesystem::file_size(o.in, e1);
  const auto out_size = std::filesystem::file_size(o.out, e2);
  LOG_INFO("quantize: %s -> %s (%s): %s -> %s in %.2f s", o.in.c_str(), o.out.c_str(),
               tensor::Traits(type).name, FormatBytes(e1 ? 0.0 : double(in_size)).c_str(),
               FormatBytes(e2 ? 0.0 : double(out_size)).c_str(), NowSeconds() - t0);
  return Status::Ok();
}

}  // namespace

Command RegisterQuantize(CLI::App& root) {
  auto o = std::make_shared<QuantizeOptions>();
  o->threads = PhysicalCoreCount();
  CLI::App* cmd = root.add_subcommand("quantize", "re-encode a model's weight matrices: quantize IN OUT TYPE");
  cmd->add_option("input", o->in, "input model (GGUF)")->required();
  cmd->add_option("output", o->out, "output GGUF file")->required();
  cmd->add_option("type", o->type, "target type: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k")->required();
  cmd->add_option("-t,--threads", o->threads, "number of threads")->check(CLI::Range(1, 1024))->capture_default_str();
  return {cmd, [o] { return RunQuantize(*o); }};
}

}  // namespace sangam::cli
