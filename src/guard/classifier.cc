// The fastText-backed guard classifier: validated loading, per-category scoring, training.
#include <fasttext/fasttext.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>

#include "guard/classifier_validate.h"
#include "guard/default_assets.h"
#include "sangam/file.h"
#include "sangam/guard_classifier.h"
#include "sangam/guard_concepts.h"

namespace sangam::guard {
namespace {

constexpr std::string_view kLabelPrefix = "__label__";

// fastText's istream loader skips the magic/version check that sets `version`; this subclass
// runs it (the file was validated already, so it succeeds).
class SangamFastText : public fasttext::FastText {
 public:
  bool CheckHeader(std::istream& in) { return checkModel(in); }
};

class FastTextClassifier final : public Classifier {
 public:
  FastTextClassifier(std::unique_ptr<SangamFastText> ft, FastTextModelInfo info,
                     std::shared_ptr<const ConceptLexicon> concepts)
      : ft_(std::move(ft)), info_(std::move(info)), dict_(ft_->getDictionary()) {
    // A model trained with concept tags has "__c_<concept>" words; it is scored with the same
    // (built-in) lexicon's tags.
    for (int32_t i = 0; i < dict_->nwords(); ++i) {
      if (dict_->getWord(i).rfind(kConceptTagPrefix, 0) == 0) {
        concepts_ = concepts != nullptr ? std::move(concepts)
                                        : std::shared_ptr<const ConceptLexicon>(&ConceptLexicon::Default(),
                                                                                [](const ConceptLexicon*) {});
        break;
      }
    }
    label_code_.resize(info_.labels.size());
    for (size_t i = 0; i < info_.labels.size(); ++i) {
      std::string code = info_.labels[i].substr(kLabelPrefix.size());
      if (code != kBenignLabel) categories_.push_back(code);
      label_code_[i] = std::move(code);
    }
  }

  std::map<std::string, float> Score(std::string_view normalized_text) const override {
    std::map<std::string, float> scores;
    for (const std::string& c : categories_) scores[c] = 0.0f;
    const std::string text =
        concepts_ != nullptr ? TaggedClassifierText(normalized_text, *concepts_) : ClassifierText(normalized_text);
    if (text.empty()) return scores;
    std::istringstream in(text + "\n");  // the end-of-line token, as in training lines
    std::vector<int32_t> words, labels;
    dict_->getLine(in, words, labels);
    if (words.empty()) return scores;
    fasttext::Predictions preds;
    ft_->predict(fasttext::Model::kUnlimitedPredictions, words, preds, 0.0f);
    for (const auto& [log_p, id] : preds) {
      if (id < 0 || static_cast<size_t>(id) >= label_code_.size()) continue;
      const std::string& code = label_code_[id];
      if (code == kBenignLabel) continue;
      // fastText returns log(p + 1e-5).
      float p = std::exp(log_p) - 1e-5f;
      if (!std::isfinite(p)) p = 0.0f;
      scores[code] = std::clamp(p, 0.0f, 1.0f);
    }
    return scores;
  }

  const std::vector<std::string>& categories() const override { return categories_; }
  bool quantized() const override { return info_.quant_input; }
  std::string Describe() const override {
    return StrFormat("fastText %s classifier: dim=%d minn=%d maxn=%d wordNgrams=%d bucket=%d words=%d labels=%zu "
                     "loss=%s%s",
                     info_.quant_input ? "quantized" : "dense", info_.dim, info_.minn, info_.maxn, info_.word_ngrams,
                     info_.bucket, info_.n_words, info_.labels.size(), info_.loss == 4 ? "ova" : "softmax",
                     concepts_ != nullptr ? " concept-tags" : "");
  }

 private:
  std::unique_ptr<SangamFastText> ft_;
  FastTextModelInfo info_;
  std::shared_ptr<const fasttext::Dictionary> dict_;
  std::vector<std::string> label_code_;  // label id -> code (without prefix)
  std::vector<std::string> categories_;
  std::shared_ptr<const ConceptLexicon> concepts_;  // tags added to the input, when the model has them
};

bool ValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  for (char c : label) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sangam-guard-train-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<Classifier>> Classifier::LoadFromMemory(std::string_view bytes, std::string_view source_name,
                                                               std::shared_ptr<const ConceptLexicon> concepts) {
  ASSIGN_OR_RETURN(FastTextModelInfo info, ValidateFastTextModel(bytes, source_name));
  bool has_category = false;
  for (const std::string& l : info.labels) {
    if (l.rfind(kLabelPrefix, 0) != 0 || !ValidLabel(std::string_view(l).substr(kLabelPrefix.size()))) {
      return InvalidArgumentError(StrFormat("%.*s: classifier label '%s' is not __label__<code>",
                                            static_cast<int>(source_name.size()), source_name.data(), l.c_str()));
    }
    if (l.substr(kLabelPrefix.size()) != kBenignLabel) has_category = true;
  }
  if (!has_category) {
    return InvalidArgumentError(StrFormat("%.*s: classifier has no category labels (only benign)",
                                          static_cast<int>(source_name.size()), source_name.data()));
  }
  auto ft = std::make_unique<SangamFastText>();
  try {
    std::istringstream in{std::string(bytes)};
    if (!ft->CheckHeader(in)) {
      return DataLossError(StrFormat("%.*s: fastText header check failed", static_cast<int>(source_name.size()),
                                     source_name.data()));
    }
    ft->loadModel(in);
  } catch (const std::exception& e) {
    return DataLossError(StrFormat("%.*s: fastText could not load the model: %s", static_cast<int>(source_name.size()),
                                   source_name.data(), e.what()));
  }
  return std::unique_ptr<Classifier>(new FastTextClassifier(std::move(ft), std::move(info), std::move(concepts)));
}

Result<std::unique_ptr<Classifier>> Classifier::Load(const std::string& path, std::shared_ptr<const ConceptLexicon> concepts) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError("classifier: no such file: " + path);
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return LoadFromMemory(bytes, path, std::move(concepts));
}

Result<std::unique_ptr<Classifier>> Classifier::LoadDefault(std::shared_ptr<const ConceptLexicon> concepts) {
  for (const EmbeddedFile& f : DefaultAssets()) {
    if (f.name == "default-classifier.bin") {
      return LoadFromMemory(f.data, "default-classifier.bin (built in)", std::move(concepts));
    }
  }
  return NotFoundError("classifier: this build has no default classifier (data/guard/default-classifier.bin)");
}

Result<ClassifierTrainStats> TrainClassifier(const std::vector<LabeledText>& examples,
                                             const ClassifierTrainOptions& opts, const std::string& output_path) {
  if (examples.empty()) return InvalidArgumentError("guard train: no training examples");
  if (opts.dim < 1 || opts.dim > 1024 || opts.epoch < 1 || opts.epoch > 10000 || !(opts.lr > 0) || opts.minn < 0 ||
      opts.maxn < opts.minn || opts.maxn > 16 || opts.word_ngrams < 1 || opts.word_ngrams > 8 || opts.bucket < 1 ||
      opts.min_count < 1 || opts.cutoff < 0 || opts.dsub < 1) {
    return InvalidArgumentError("guard train: hyperparameter out of range (dim 1..1024, epoch 1..10000, lr > 0, "
                                "0 <= minn <= maxn <= 16, wordNgrams 1..8, bucket >= 1, minCount >= 1, dsub >= 1)");
  }
  std::map<std::string, int64_t> label_counts;
  std::string body;
  int64_t n_used = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    const LabeledText& ex = examples[i];
    if (ex.labels.empty()) return InvalidArgumentError(StrFormat("guard train: example %zu has no label", i + 1));
    std::string line;
    for (const std::string& l : ex.labels) {
      if (!ValidLabel(l)) {
        return InvalidArgumentError(StrFormat("guard train: example %zu has an invalid label '%s' (use [A-Za-z0-9_-])",
                                              i + 1, l.c_str()));
      }
      line += "__label__" + l + " ";
      ++label_counts[l];
    }
    const std::string text =
        opts.concepts != nullptr ? TaggedClassifierText(ex.text, *opts.concepts) : ClassifierText(ex.text);
    if (text.empty()) continue;  // nothing to learn from
    line += text;
    line += '\n';
    body += line;
    ++n_used;
  }
  bool has_category = false;
  for (const auto& [l, n] : label_counts) has_category |= (l != kBenignLabel);
  if (!has_category) return InvalidArgumentError("guard train: every example is 'benign'; need at least one category");
  if (n_used == 0) return InvalidArgumentError("guard train: every example is empty after normalisation");

  TempDir tmp;
  if (tmp.path().empty()) return IoError("guard train: cannot create a temporary directory");
  const std::string input = tmp.path() + "/train.txt";
  {
    std::ofstream f(input, std::ios::binary);
    f << body;
    if (!f.good()) return IoError("guard train: cannot write " + input);
  }
  const auto t0 = std::chrono::steady_clock::now();
  fasttext::Args args;
  args.input = input;
  args.output = tmp.path() + "/model";
  args.model = fasttext::model_name::sup;
  args.loss = opts.softmax ? fasttext::loss_name::softmax : fasttext::loss_name::ova;
  args.dim = opts.dim;
  args.epoch = opts.epoch;
  args.lr = opts.lr;
  args.minn = opts.minn;
  args.maxn = opts.maxn;
  args.wordNgrams = opts.word_ngrams;
  args.bucket = opts.bucket;
  args.minCount = opts.min_count;
  args.minCountLabel = 1;
  args.thread = 1;
  args.seed = opts.seed;
  args.verbose = opts.verbose ? 2 : 0;
  args.t = 1e-4;
  fasttext::FastText ft;
  try {
    ft.train(args);
    if (opts.quantize) {
      fasttext::Args q = args;
      q.qnorm = true;
      q.qout = false;
      q.retrain = opts.cutoff > 0;
      q.cutoff = static_cast<size_t>(opts.cutoff);
      q.dsub = static_cast<size_t>(opts.dsub);
      ft.quantize(q);
    }
    ft.saveModel(output_path);
  } catch (const std::exception& e) {
    return InternalError(std::string("guard train: fastText failed: ") + e.what());
  }
  ClassifierTrainStats stats;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats.n_examples = n_used;
  stats.n_labels = static_cast<int64_t>(label_counts.size());
  std::error_code ec;
  stats.file_bytes = static_cast<int64_t>(std::filesystem::file_size(output_path, ec));
  if (ec) return IoError("guard train: model was not written to " + output_path);
  return stats;
}

}  // namespace sangam::guard
