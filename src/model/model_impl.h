// The loaded model's internal representation: hyperparameters, bound weights, tokenizer (internal).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/arch.h"
#include "sangam/model.h"

namespace sangam::model {

struct LayerWeights {
  tensor::MatrixView wq, wk, wv, wo;     // (C -> Hq*hd), (C -> Hkv*hd) x2, (Hq*hd -> C)
  tensor::MatrixView gate, up, down;     // (C -> F) x2, (F -> C)
  std::vector<float> attn_norm, ffn_norm;  // (C) copied to F32
  std::vector<float> bq, bk, bv;         // empty when the arch has no biases
};

struct Weights {
  tensor::MatrixView tok_embd;   // (V rows of C)
  tensor::MatrixView output;     // tok_embd when tied
  std::vector<float> output_norm;
  std::vector<float> rope_freqs;  // per-frequency divisors (n_rot/2); empty = none
  std::vector<LayerWeights> layers;
};

// Reads <arch>.* hyperparameters; NotFound/InvalidArgument naming the key. n_vocab is taken
// from the token_embd tensor by the caller.
Result<Hparams> ReadHparams(const gguf::File& file, const ArchSpec& arch);

// Binds and validates every tensor the architecture needs (presence, shape, type); copies 1-D
// tensors to F32. Fills hp.n_vocab, hp.tied_output and hp.qkv_bias.
Result<Weights> BindWeights(const gguf::File& file, const ArchSpec& arch, Hparams& hp);

// Llama 3 per-frequency RoPE divisors computed from the rope.scaling.* hyperparameters
// (the same formula convert_hf_to_gguf.py uses to write rope_freqs.weight).
std::vector<float> Llama3RopeFactors(const Hparams& hp);

// Builds a Model from an opened GGUF (or converted llama2.c) file.
Result<std::unique_ptr<Model>> LoadFromGgufFile(std::unique_ptr<gguf::File> file);
// Converts a llama2.c checkpoint (+ tokenizer.bin) to an in-memory GGUF File (load_llama2c.cc).
Result<std::unique_ptr<gguf::File>> OpenLlama2c(const std::string& path, const LoadOptions& opts);

class ModelImpl final : public Model {
 public:
  ModelImpl(std::unique_ptr<gguf::File> file, const ArchSpec& arch, Hparams hp, Weights w,
            std::unique_ptr<tokenizer::Tokenizer> tok)
      : file_(std::move(file)), arch_(arch), hp_(std::move(hp)), w_(std::move(w)),
        tok_(std::move(tok)) {}

  const Hparams& hparams() const override { return hp_; }
  const tokenizer::Tokenizer& tokenizer() const override { return *tok_; }
  const gguf::File& file() const override { return *file_; }
  size_t weight_bytes_per_token() const override;
  int64_t n_params() const override;
  int64_t matmul_params_per_token() const override;

  const ArchSpec& arch() const { return arch_; }
  const Weights& weights() const { return w_; }

 private:
  std::unique_ptr<gguf::File> file_;
  const ArchSpec& arch_;
  Hparams hp_;
  Weights w_;
  std::unique_ptr<tokenizer::Tokenizer> tok_;
};

}  // namespace sangam::model
