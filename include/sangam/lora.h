// LoRA adapters: the in-memory form, llama.cpp GGUF adapters and Hugging Face PEFT directories
// (read and write), merging into a model file, and applying adapters at inference time.
//
// A LoRA pair on a base weight W (n_out rows of n_in, GGUF order) adds scale * B A with
// A (rank, n_in) and B (n_out, rank), both row-major F32; y = W x + scale * B (A x).
// scale = alpha / rank, or alpha / sqrt(rank) with rsLoRA, times the user's multiplier.
//
// File formats:
// - llama.cpp GGUF adapter: general.type = "adapter", general.architecture = base arch,
//   adapter.type = "lora", adapter.lora.alpha (f32); tensors "<base>.lora_a" with GGUF
//   ne = {n_in, rank} and "<base>.lora_b" with ne = {rank, n_out} (any float/quantized type sangam
//   supports is read; F32 written), in model order with lora_a before lora_b. llama.cpp
//   computes scale = alpha / rank, and alpha == 0 (or absent) means scale 1; sangam reads such a
//   file as alpha = rank. So an rsLoRA adapter is written with alpha' = alpha * sqrt(rank) (same
//   effective scale in llama.cpp); sangam also writes adapter.lora.sangam.{rslora, alpha,
//   dropout} and general.base_model.0.name so it reads back exactly. Reading: "*_norm.weight"
//   tensors (mergekit extras) are ignored like llama.cpp does; LoRA on anything but the seven
//   projections (token_embd, output) is Unimplemented; all pairs must share one rank.
// - PEFT directory: adapter_config.json (peft_type "LORA", r, lora_alpha, target_modules,
//   lora_dropout, use_rslora, bias "none", task_type "CAUSAL_LM", base_model_name_or_path) and
//   adapter_model.safetensors with tensors
//   "base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight" and
//   "base_model.model.model.layers.{i}.mlp.{gate,up,down}_proj.lora_{A,B}.weight" (F32 written;
//   F32/F16/BF16/F64 read; the "base_model.model." prefix is optional when reading). Which
//   pairs exist is decided by the tensors; target_modules (a list, or a string: one name,
//   "all-linear" or a regex) is only checked for modules sangam cannot apply (embed_tokens,
//   lm_head, ...: Unimplemented). Also Unimplemented: non-empty rank_pattern/alpha_pattern
//   (per-module ranks/alphas), use_dora, fan_in_fan_out, bias other than "none",
//   modules_to_save, adapter_model.bin. A missing lora_A or lora_B, or a shape that does not
//   fit (rank r, the model's projection), is InvalidArgument naming layer and module.
//   Q/K row order: for models with "norm" (GPT-J style, adjacent-pair) RoPE, i.e. llama and
//   mistral, convert_hf_to_gguf.py stores attn_q/attn_k with rows permuted from Hugging Face
//   order (LlamaModel.permute: reshape (H, 2, d/2, n_in), swap axes 1 and 2), so the rows of B
//   for q and k are permuted the same way when reading (and back when writing): per head of d
//   rows, gguf row 2i+a = hf row a*d/2+i (a in {0,1}, i < d/2), H = n_head for q and n_head_kv
//   for k. A is unchanged (the permutation acts on output rows only). NeoX-style RoPE models
//   (qwen2) keep Hugging Face order in GGUF: no permutation.
//
// Thread-safety: no shared state (WriteMergedModel runs on the given pool); a LoraAdapter is a
// plain value, read-only while a Context or a merge uses it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sangam/model.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"

namespace sangam::model {

// Which projection of a Llama block a LoRA pair targets.
enum class LoraTarget { kQ, kK, kV, kO, kGate, kUp, kDown };
// "q","k","v","o","gate","up","down".
const char* LoraTargetName(LoraTarget t);
// GGUF base tensor name of `t` in layer `layer`: "blk.3.attn_q.weight", "blk.3.ffn_gate.weight".
std::string LoraTargetTensorName(LoraTarget t, int64_t layer);
// Parses "q,k,v,o,gate,up,down" (also "all" / "all-linear"; HF names q_proj, ..., down_proj
// accepted; spaces around entries ignored; duplicates dropped, first-seen order kept).
// InvalidArgument names an unknown (or empty) entry and lists the valid ones.
Result<std::vector<LoraTarget>> ParseLoraTargets(const std::string& list);

struct LoraPair {
  int64_t layer = 0;
  LoraTarget target = LoraTarget::kQ;
  int64_t n_in = 0, n_out = 0;
  std::vector<float> a;  // (rank, n_in)
  std::vector<float> b;  // (n_out, rank)
};

struct LoraAdapter {
  std::string arch;          // base architecture ("llama", ...)
  std::string base_name;     // base model name (informational)
  int64_t rank = 0;
  float alpha = 0.0f;
  bool rslora = false;
  float dropout = 0.0f;      // recorded in PEFT config (training-time only)
  std::vector<LoraPair> pairs;
  // alpha / rank, or alpha / sqrt(rank) with rsLoRA.
  float scale() const;
};

// Checks that every pair's layer and shapes fit `hp` (n_in/n_out of that projection, a/b sizes,
// rank >= 1, at most one pair per weight) and that `arch`, when set, is hp.arch. InvalidArgument
// naming the pair ("lora: blk.3.attn_q.weight: lora_b has 64 rows, model has 128").
Status ValidateLoraAdapter(const LoraAdapter& adapter, const Hparams& hp);

// Reads a llama.cpp GGUF adapter file (detected by its magic) or a PEFT directory (or its
// adapter_model.safetensors / adapter_config.json path), converting PEFT to GGUF row order.
// `hp` is the base model's (validated against). Errors name the file and what is wrong:
// NotFound (missing path or file), InvalidArgument (not an adapter, wrong arch or shapes),
// Unimplemented (valid but unsupported features), DataLoss (corrupt file).
Result<LoraAdapter> LoadLoraAdapter(const std::string& path, const Hparams& hp);
// Writes atomically (temporary file + rename). Validates against `hp` first.
Status SaveLoraGguf(const LoraAdapter& adapter, const Hparams& hp, const std::string& path);
// Creates `dir` if needed; writes both files atomically (each by itself). Validates first.
Status SavePeftAdapter(const LoraAdapter& adapter, const Hparams& hp, const std::string& dir);

// AppliedLora (an adapter with a --lora FILE:SCALE multiplier) is declared in sangam/model.h.

// Writes `base` as a new GGUF with metadata copied and, for every weight:
//   W' = W (+ overrides[name] instead, when given) + sum over adapters of scale * B A,
// computed in F32 and stored back in W's own type (or `type` for 2-D matrices when set, with
// QuantizeModel's block-size fallbacks; general.file_type then updated). 1-D tensors stay F32.
// Streams one tensor at a time (the delta is added row by row: row r += sum_k scale*B[r,k]*A[k,:]);
// the output appears atomically. Overrides must name an existing tensor (NotFound) and have its
// element count (InvalidArgument); out_path must differ from the base's file. `base` may be a
// llama2.c checkpoint (its converted File is streamed).
struct TensorOverride {
  std::string name;           // GGUF tensor name
  const float* data = nullptr;
  int64_t n = 0;
};
struct MergeOptions {
  std::vector<AppliedLora> loras;
  std::vector<TensorOverride> overrides;
  bool set_type = false;
  tensor::DType type = tensor::DType::kF32;
  std::string name;           // general.name of the output; empty = keep
};
Status WriteMergedModel(const Model& base, const MergeOptions& opts, const std::string& out_path,
                        ThreadPool& pool);

}  // namespace sangam::model
