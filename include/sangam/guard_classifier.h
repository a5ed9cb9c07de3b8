// The guard's trainable text classifier: a fastText model (character n-grams + word bigrams,
// one-vs-all sigmoids) that scores a text per hazard category, plus its deterministic trainer.
//
// Model files are ordinary fastText .bin/.ftz files whose labels are `__label__<code>` (a policy
// category code such as "S1".."S14" or a custom code) plus `__label__benign`. Every file is
// validated structurally before fastText sees it, so a corrupt or truncated file is an error
// (DataLoss / InvalidArgument naming the file and what is wrong), never an abort or exit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

class ConceptLexicon;

// The label that marks training text as harmless. It is never returned by Classifier::Score.
inline constexpr std::string_view kBenignLabel = "benign";

// The text the classifier actually sees: NFKC, lower-cased (full Unicode case folding),
// punctuation and symbols split off as separate tokens, Han/Hiragana/Katakana/Thai characters
// one token each (scripts written without spaces), runs of whitespace collapsed to one space.
// Training and Score both apply it, so callers may pass raw or already-normalised text.
// Invalid UTF-8 bytes become U+FFFD. Thread-safe.
std::string ClassifierText(std::string_view text);

// A loaded classifier. With a softmax model the category scores and benign sum to 1; with a
// one-vs-all model each score is an independent probability. Immutable after loading; Score is
// thread-safe (fastText's predict keeps its state on the stack) and costs ~20 us of CPU for a
// 200-character text with the built-in model.
class Classifier {
 public:
  // Loads a fastText model file (.bin or quantized .ftz). NotFound when the file is missing,
  // DataLoss when it is truncated or corrupt, InvalidArgument when it is a fastText file that is
  // not a supervised classifier or has no category labels.
  // A model whose dictionary has concept tag words ("__c_..."; trained with
  // ClassifierTrainOptions::concepts) gets the tags of `concepts` added to every text it scores,
  // by default those of ConceptLexicon::Default().
  static Result<std::unique_ptr<Classifier>> Load(const std::string& path,
                                                  std::shared_ptr<const ConceptLexicon> concepts = nullptr);
  // Same, from the bytes of such a file (copied; `bytes` need not outlive the call).
  static Result<std::unique_ptr<Classifier>> LoadFromMemory(std::string_view bytes,
                                                            std::string_view source_name = "<memory>",
                                                            std::shared_ptr<const ConceptLexicon> concepts = nullptr);
  // The classifier shipped with sangam (data/guard/default-classifier.bin, compiled into the
  // binary). NotFound when the build has none.
  static Result<std::unique_ptr<Classifier>> LoadDefault(std::shared_ptr<const ConceptLexicon> concepts = nullptr);
  virtual ~Classifier() = default;

  // Scores per category code ("S1".."S14", ...) in [0,1] for a text (any bytes). Every category
  // label of the model is present in the map; "benign" is not. Empty/whitespace-only text scores
  // 0 for every category.
  virtual std::map<std::string, float> Score(std::string_view normalized_text) const = 0;
  // The category codes the model knows (label order of the model file), without "benign".
  virtual const std::vector<std::string>& categories() const = 0;
  // Whether the model is quantized (.ftz), and fastText's hyperparameters as "dim=..  minn=.." text.
  virtual bool quantized() const = 0;
  virtual std::string Describe() const = 0;
};

// How harmful a text is by a classifier's scores, and where to put it. A softmax model spreads
// a harmful text's probability over several categories (an insult is part hate, part violence),
// so the decision uses the total: harmful = the sum of all category scores (1 - P(benign)), and
// category = the highest-scoring code for which `usable(code)` is true (e.g. a code the policy
// has); empty when no code is usable or the scores are empty.
struct ClassifierVerdict {
  float harmful = 0.0f;
  std::string category;
};
template <typename UsableFn>
ClassifierVerdict SummarizeScores(const std::map<std::string, float>& scores, UsableFn&& usable) {
  ClassifierVerdict v;
  float best = -1.0f;
  for (const auto& [code, s] : scores) {
    v.harmful += s;
    if (s > best && usable(code)) {
      best = s;
      v.category = code;
    }
  }
  v.harmful = v.harmful > 1.0f ? 1.0f : v.harmful;
  return v;
}

// One training example: a text and its labels (category codes, or {"benign"}).
struct LabeledText {
  std::string text;
  std::vector<std::string> labels;
  std::string language;  // optional, for reports only
};

// Hyperparameters for training. Defaults are those of the shipped classifier.
struct ClassifierTrainOptions {
  int dim = 32;
  int epoch = 20;
  double lr = 0.2;
  int minn = 2;              // character n-gram lengths
  int maxn = 5;
  int word_ngrams = 2;
  bool softmax = true;       // softmax over categories + benign (false: one-vs-all sigmoids)
  int bucket = 100000;       // hash buckets for n-grams
  int min_count = 1;
  int seed = 1;              // training runs on one thread, so a seed gives identical files
  bool quantize = true;      // write a quantized .ftz (product quantization, qnorm, cutoff)
  int cutoff = 0;            // rows kept by quantization (0 = keep all; >0 prunes and retrains)
  int dsub = 2;
  bool verbose = false;      // let fastText print progress to stderr
  // When set, each text is followed by its concept tags (guard_concepts.h). Load with the same
  // lexicon (default: the built-in one) to score with the model.
  const ConceptLexicon* concepts = nullptr;
};

struct ClassifierTrainStats {
  int64_t n_examples = 0;
  int64_t n_labels = 0;       // including benign
  int64_t file_bytes = 0;
  double seconds = 0.0;
};

// Validates `examples` (non-empty, every example has at least one label, labels are
// [A-Za-z0-9_-]+, at least one non-benign label), writes fastText's input file in a temporary
// directory, trains a one-vs-all (or softmax) supervised model on one thread and writes it to `output_path`
// (quantized when opts.quantize). Errors are InvalidArgument naming the example index, or Io.
// fastText's own exceptions are caught and returned as Internal. Not thread-safe with respect
// to other trainings in the same process (fastText uses global state for its progress output).
Result<ClassifierTrainStats> TrainClassifier(const std::vector<LabeledText>& examples,
                                             const ClassifierTrainOptions& opts,
                                             const std::string& output_path);

// Reads training examples from a file: TSV lines `label[,label...]<TAB>text[<TAB>language]`
// ('#' lines and blank lines skipped) or JSONL objects {"text":..., "label": "S1" | ["S1","S10"],
// "language": ...}. InvalidArgument naming file and line for malformed lines.
Result<std::vector<LabeledText>> ReadTrainingFile(const std::string& path);

}  // namespace sangam::guard
