// sangam tokenizer: train a SentencePiece tokenizer on text, extend a model's vocabulary with it.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/thread_pool.h"
#include "sangam/vocab_tools.h"

namespace sangam::cli {
namespace {

struct TokenizerCmdOptions {
  adapt::TokenizerTrainOptions train;
  std::string base, with, out;
  int64_t max_new = 0;
  bool keep_ascii = false;
  int threads = 1;
  // SentencePiece's result depends on its thread count, so training uses a fixed default
  // (reproducible across machines) rather than the number of cores.
  int train_threads = 4;
};

Status RunTrain(TokenizerCmdOptions& o) {
  o.train.verbose = GetLogLevel() <= LogLevel::kDebug;
  o.train.num_threads = o.train_threads;
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(adapt::TokenizerTrainReport r, adapt::TrainTokenizer(o.train));
  std::printf("wrote %s: %d pieces (%s, %d byte, %d special) from %lld lines, %lld characters\n",
              r.model_path.c_str(), r.n_pieces, o.train.type.c_str(), r.n_byte_pieces,
              r.n_special_pieces, static_cast<long long>(r.n_sentences),
              static_cast<long long>(r.n_chars));
  std::printf("character coverage %.4f%% of %lld distinct characters; %.2f characters per token; %.1f s\n",
              100.0 * r.char_coverage, static_cast<long long>(r.n_distinct_chars),
              r.chars_per_token, NowSeconds() - t0);
  return Status::Ok();
}

Status RunExtend(const TokenizerCmdOptions& o) {
  ThreadPool pool(o.threads);
  adapt::ExtendOptions eo;
  eo.max_new = o.max_new;
  eo.keep_ascii = o.keep_ascii;
  ASSIGN_OR_RETURN(adapt::ExtendReport r, adapt::ExtendVocabulary(o.base, o.with, o.out, eo, pool));
  std::printf("wrote %s: vocabulary %lld -> %lld (%lld added, first new id %lld)\n", o.out.c_str(),
              static_cast<long long>(r.n_base_vocab), static_cast<long long>(r.n_vocab),
              static_cast<long long>(r.n_added), static_cast<long long>(r.first_new_id));
  std::printf("skipped %lld: %lld already present, %lld special/byte, %lld ASCII-only, %lld unreachable, %lld over --max-new\n",
              static_cast<long long>(r.n_skipped), static_cast<long long>(r.n_present),
              static_cast<long long>(r.n_special), static_cast<long long>(r.n_ascii),
              static_cast<long long>(r.n_unreachable), static_cast<long long>(r.n_over_limit));
  std::string resized;
  for (const std::string& t : r.resized_tensors) resized += (resized.empty() ? "" : ", ") + t;
  std::printf("resized: %s\n", resized.empty() ? "(none: vocabulary-only file)" : resized.c_str());
  return Status::Ok();
}

}  // namespace

Command RegisterTokenizer(CLI::App& root) {
  auto o = std::make_shared<TokenizerCmdOptions>();
  o->threads = PhysicalCoreCount();
  CLI::App* cmd = root.add_subcommand("tokenizer", "train a tokenizer on text; extend a model's vocabulary with it");
  cmd->require_subcommand(1);

  CLI::App* train = cmd->add_subcommand("train", "train a SentencePiece tokenizer: train --type unigram|bpe --vocab-size N -o OUT FILES...");
  train->add_option("files", o->train.inputs, "UTF-8 text files, one sentence per line")->required();
  train->add_option("-o,--output", o->train.output, "output model (OUT.model is written)")->required();
  train->add_option("--type", o->train.type, "unigram or bpe")->capture_default_str();
  train->add_option("--vocab-size", o->train.vocab_size, "pieces in the model")->required();
  train->add_option("--character-coverage", o->train.character_coverage, "fraction of characters covered")->capture_default_str();
  train->add_option("--byte-fallback", o->train.byte_fallback, "add <0xXX> byte pieces (true/false)")->capture_default_str();
  train->add_option("--max-sentence-length", o->train.max_sentence_length, "longest line used, bytes")->capture_default_str();
  train->add_option("--input-sentence-size", o->train.input_sentence_size, "sample at most this many lines (0 = all)")->capture_default_str();
  train->add_option("--seed", o->train.seed, "seed for line sampling")->capture_default_str();
  train->add_option("-t,--threads", o->train_threads, "training threads (the model depends on this number)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();

  CLI::App* extend = cmd->add_subcommand("extend", "add a tokenizer's new pieces to a model: extend -m BASE.gguf --with NEW.model -o EXT.gguf");
  extend->add_option("-m,--model", o->base, "base model or vocabulary (GGUF)")->required();
  extend->add_option("--with", o->with, "tokenizer whose pieces to add (SentencePiece .model or GGUF)")->required();
  extend->add_option("-o,--output", o->out, "output GGUF")->required();
  extend->add_option("--max-new", o->max_new, "consider at most N new pieces, best first (0 = all)")->capture_default_str();
  extend->add_flag("--keep-ascii", o->keep_ascii, "also add ASCII-only pieces (may change English tokenization)");
  extend->add_option("-t,--threads", o->threads, "number of threads")->check(CLI::Range(1, 1024));

  return {cmd, [o, train, extend]() -> Status {
            if (train->parsed()) return RunTrain(*o);
            if (extend->parsed()) return RunExtend(*o);
            return InvalidArgumentError("tokenizer: choose 'train' or 'extend'");
          }};
}

}  // namespace sangam::cli
