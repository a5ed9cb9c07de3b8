// The trainable Llama graph: parameters (full weights, LoRA pairs, extra vocabulary rows) over a
// loaded base model, and the loss with its gradient for a batch.
//
// Modes (GraphConfig):
// - full: every tensor (embeddings, norms, all matrices, output, biases) becomes a trainable F32
//   copy of the base (any base dtype, dequantized once).
// - LoRA (lora.rank > 0): the base stays frozen in its own dtype (F32, F16, BF16, Q8_0, Q4_0,
//   Q4_K, Q6_K; never materialised whole: frozen matrices are dequantized 64 rows at a time
//   inside each product). Pairs A (r, in) ~ Kaiming-uniform as PEFT (bound 1/sqrt(in)), B = 0;
//   output y = W x + scale * B A dropout(x), scale = alpha/r or alpha/sqrt(r) (rsLoRA).
// - rows_from >= 0: rows [rows_from, V) of token_embd and output are trainable (after a
//   vocabulary extension), in addition to LoRA or alone.
// The forward matches the inference path's math (F32 activations, same RMSNorm/RoPE formulas);
// frozen products use the dequantized weights exactly (no activation quantization), so gradients
// are exact gradients of the computed loss. Loss = mean cross-entropy over the batch's
// non-ignored targets. Results do not depend on the thread count (fixed summation orders).
// Dropout masks come from a counter-based hash of (seed, micro-step, pair, element): no hidden
// generator state, so resume needs only micro_step().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sangam/lora.h"
#include "sangam/model.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"
#include "sangam/train_data.h"

namespace sangam::train {

struct LoraConfig {
  int64_t rank = 0;  // 0 = no LoRA
  float alpha = 16.0f;
  bool rslora = false;
  float dropout = 0.0f;  // in [0, 1)
  std::vector<model::LoraTarget> targets = {model::LoraTarget::kQ, model::LoraTarget::kK,
                                            model::LoraTarget::kV, model::LoraTarget::kO};
};

struct GraphConfig {
  bool full = false;
  LoraConfig lora;
  int64_t rows_from = -1;   // -1 = no extra trainable rows
  bool recompute = false;   // keep only each layer's input; recompute the layer in backward
  uint64_t seed = 0;        // LoRA init and dropout
};

// One trainable tensor. `name` is the GGUF tensor name ("blk.0.attn_q.weight"), or
// "<base>.lora_a" / "<base>.lora_b" for LoRA, or "token_embd.weight.rows" / "output.weight.rows"
// for extra rows. shape is outermost-first (rows, cols).
struct Param {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data, grad;
  bool is_norm_or_embedding = false;  // for --no-decay-norms-embeddings
};

class TrainGraph {
 public:
  // Errors: InvalidArgument for a config that trains nothing, a bad rank/dropout/rows_from, or an
  // unsupported model (sliding-window attention).
  static Result<std::unique_ptr<TrainGraph>> Create(const model::Model& base,
                                                    const GraphConfig& cfg);
  ~TrainGraph();

  // Forward + backward over `batch`: returns the batch's mean loss and accumulates
  // grad_scale * d(loss)/d(param) into every Param::grad. Advances micro_step().
  // Error (nothing changed) on token ids / targets out of range.
  Result<float> ForwardBackward(ThreadPool& pool, const Batch& batch, float grad_scale);
  // Forward only: sum of per-token losses and the number of counted targets (for validation).
  Status Loss(ThreadPool& pool, const Batch& batch, double* loss_sum, int64_t* n_targets);
  // Logits (rows*ctx, V) of the batch's inputs (tests compare with inference).
  Result<std::vector<float>> Logits(ThreadPool& pool, const Batch& batch);

  std::vector<Param>& params();
  const std::vector<Param>& params() const;
  void ZeroGrad();
  int64_t micro_step() const;
  void set_micro_step(int64_t s);
  const GraphConfig& config() const;
  const model::Hparams& hparams() const;

  // The LoRA pairs as an adapter (empty pairs when LoRA is off).
  model::LoraAdapter ExportLora() const;
  // Full tensors that replace base tensors in a merged export: every trained full tensor, and
  // token_embd/output with their extra rows applied. Owned by the returned object.
  struct Overrides {
    std::vector<std::vector<float>> storage;
    std::vector<model::TensorOverride> list;
  };
  Overrides ExportOverrides() const;

 private:
  struct Impl;
  explicit TrainGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sangam::train
