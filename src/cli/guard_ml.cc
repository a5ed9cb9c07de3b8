// sangam guard train / eval: train the guard's fastText classifier; evaluate a policy (or the
// classifier alone) on labelled data sets with per-category and per-language metrics and latency.
#include "cli/guard_ml.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sangam/corpus.h"
#include "sangam/file.h"
#include "sangam/guard.h"
#include "sangam/guard_classifier.h"
#include "sangam/guard_concepts.h"
#include "sangam/guard_eval.h"
#include "sangam/guard_judge.h"
#include "sangam/model.h"

namespace sangam::cli {

void AddJudgeOptions(CLI::App* cmd, JudgeFlags* f, const std::string& what, const std::string& threads_flag) {
  cmd->add_option("--judge", f->model.model,
                  "also ask this model (GGUF, e.g. a Llama Guard 3 conversion) in Llama Guard 3's format" + what +
                      " (default: the policy's judge.model, if any)");
  cmd->add_option("--judge-gate", f->gate,
                  "ask the judge only when the classifier's harm score (1 - P(benign)) reaches this: a cascade that "
                  "keeps ordinary text at the classifier's speed (default: the policy's judge.gate, else 0 = always "
                  "ask)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--judge-max-tokens", f->max_tokens,
                  "longest judge reply, in tokens (default: the policy's judge.max_tokens, else 16)")
      ->check(CLI::Range(1, 256));
  cmd->add_option(threads_flag, f->model.threads, "threads for the judge model")->capture_default_str();
}

Result<std::unique_ptr<guard::JudgeRail>> MakeJudgeRail(const JudgeFlags& f, std::shared_ptr<const guard::Policy> policy) {
  const guard::JudgeSpec* spec = policy ? policy->judge() : nullptr;
  ModelOptions model = f.model;
  if (model.model.empty() && spec != nullptr) model.model = spec->model;
  if (model.model.empty()) return std::unique_ptr<guard::JudgeRail>();
  guard::JudgeRailOptions jo;
  jo.threads = model.threads;
  jo.gate = f.gate >= 0.0f ? f.gate : (spec ? spec->gate : 0.0f);
  jo.max_tokens = f.max_tokens > 0 ? f.max_tokens : (spec ? spec->max_tokens : 16);
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> m, LoadModel(model));
  return guard::JudgeRail::Create(std::move(m), std::move(policy), jo);
}

namespace {

// FILE[:LANG] of --benign-text: the language is what follows the last ':' unless it holds a '/'.
Result<std::vector<guard::EvalExample>> ReadBenignSpec(const std::string& spec, int64_t max_lines) {
  std::string path = spec, lang = "und";
  if (const size_t colon = spec.rfind(':'); colon != std::string::npos && colon + 1 < spec.size() &&
                                            spec.find('/', colon) == std::string::npos) {
    path = spec.substr(0, colon);
    lang = spec.substr(colon + 1);
  }
  return guard::ReadBenignLines(path, lang, "benign-text", max_lines);
}

// --concepts FILE: a concept lexicon, shared with the classifier that scores with it.
Result<std::shared_ptr<const guard::ConceptLexicon>> LoadLexicon(const std::string& path) {
  ASSIGN_OR_RETURN(guard::ConceptLexicon lex, guard::ConceptLexicon::Load(path));
  return std::make_shared<const guard::ConceptLexicon>(std::move(lex));
}

// --split: which half of the labelled examples to keep.
Status ApplySplit(const std::string& split, std::vector<guard::EvalExample>* examples) {
  if (split == "all") return Status::Ok();
  if (split != "train" && split != "heldout") {
    return InvalidArgumentError("--split must be all, train or heldout, not '" + split + "'");
  }
  const bool keep_heldout = split == "heldout";
  std::erase_if(*examples, [&](const guard::EvalExample& e) { return guard::InHeldOutHalf(e) != keep_heldout; });
  return Status::Ok();
}

struct TrainFlags {
  std::vector<std::string> data;
  std::string dev_sets;
  std::string split = "train";
  std::vector<std::string> exclude;  // data sets of --dev-sets left out
  bool binary = false;               // every harmful label becomes "unsafe"
  std::vector<std::string> benign_text;
  int64_t benign_max = 1000;
  std::string out;
  guard::ClassifierTrainOptions opts;
  bool no_quantize = false;
  bool no_concepts = false;
  std::string concepts;  // lexicon file instead of the built-in one
};

Status RunTrain(const TrainFlags& f) {
  std::vector<guard::LabeledText> all;
  for (const std::string& path : f.data) {
    ASSIGN_OR_RETURN(auto part, guard::ReadTrainingFile(path));
    std::fprintf(stderr, "guard train: %s: %zu examples\n", path.c_str(), part.size());
    for (auto& e : part) all.push_back(std::move(e));
  }
  std::vector<guard::EvalExample> labelled;
  if (!f.dev_sets.empty()) {
    std::vector<std::string> notes;
    ASSIGN_OR_RETURN(labelled, guard::ReadGuardDevSets(f.dev_sets, &notes));
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    const size_t before = labelled.size();
    RETURN_IF_ERROR(ApplySplit(f.split, &labelled));
    std::vector<bool> used(f.exclude.size(), false);
    std::erase_if(labelled, [&](const guard::EvalExample& e) {
      for (size_t i = 0; i < f.exclude.size(); ++i) {
        if (f.exclude[i] == e.dataset || f.exclude[i] == e.group) {
          used[i] = true;
          return true;
        }
      }
      return false;
    });
    for (size_t i = 0; i < f.exclude.size(); ++i) {
      if (!used[i]) {
        return InvalidArgumentError("guard train: --exclude " + f.exclude[i] +
                                    " matches no data set or group of --dev-sets in split '" + f.split +
                                    "' (data sets: ailuminate, xsafety, moderation, toxigen, hatecheck; groups look "
                                    "like xsafety/Insult, see the by_group part of `guard eval --json`)");
      }
    }
    std::fprintf(stderr, "guard train: %s: %zu of %zu examples (split %s)\n", f.dev_sets.c_str(), labelled.size(),
                 before, f.split.c_str());
  }
  for (const std::string& spec : f.benign_text) {
    ASSIGN_OR_RETURN(auto part, ReadBenignSpec(spec, f.benign_max));
    std::fprintf(stderr, "guard train: %s: %zu benign lines\n", spec.c_str(), part.size());
    for (auto& e : part) labelled.push_back(std::move(e));
  }
  for (const guard::EvalExample& e : labelled) {
    all.push_back(guard::LabeledText{e.text, guard::TrainingLabels(e), e.language});
  }
  if (all.empty()) return InvalidArgumentError("guard train: no examples; give --data, --dev-sets or --benign-text");
  if (f.binary) {
    for (guard::LabeledText& e : all) {
      const bool benign = e.labels.size() == 1 && e.labels[0] == guard::kBenignLabel;
      if (!benign) e.labels = {std::string(guard::kUnsafeLabel)};
    }
  }
  guard::ClassifierTrainOptions opts = f.opts;
  opts.quantize = !f.no_quantize;
  std::shared_ptr<const guard::ConceptLexicon> custom;  // --concepts; null: the built-in lexicon
  if (!f.concepts.empty()) {
    if (f.no_concepts) return InvalidArgumentError("guard train: --concepts and --no-concepts contradict each other");
    ASSIGN_OR_RETURN(custom, LoadLexicon(f.concepts));
    if (custom->num_terms() == 0) return InvalidArgumentError("guard train: " + f.concepts + " has no terms");
    opts.concepts = custom.get();
  } else if (!f.no_concepts && guard::ConceptLexicon::Default().num_terms() > 0) {
    opts.concepts = &guard::ConceptLexicon::Default();
  }
  if (opts.concepts != nullptr) {
    std::fprintf(stderr, "guard train: concept tags from %s (%zu terms, %zu concepts)\n",
                 f.concepts.empty() ? "the built-in lexicon" : f.concepts.c_str(), opts.concepts->num_terms(),
                 opts.concepts->concepts().size());
  }
  ASSIGN_OR_RETURN(guard::ClassifierTrainStats st, guard::TrainClassifier(all, opts, f.out));
  // Load it back: a file we cannot load is a failed training.
  ASSIGN_OR_RETURN(auto cls, guard::Classifier::Load(f.out, custom));
  std::printf("wrote %s: %lld examples, %lld labels, %s, %.1f s\n%s\n", f.out.c_str(),
              static_cast<long long>(st.n_examples), static_cast<long long>(st.n_labels),
              FormatBytes(static_cast<double>(st.file_bytes)).c_str(), st.seconds, cls->Describe().c_str());
  return Status::Ok();
}

struct EvalFlags {
  std::string policy;
  std::vector<std::string> data;
  std::string dev_sets;
  std::vector<std::string> benign_text;  // FILE[:LANG]
  int64_t benign_max = 1000;
  std::string classifier;
  std::string concepts;
  bool classifier_only = false;
  float threshold = 0.5f;
  bool json = false;
  std::string out;
  std::vector<std::string> only_datasets;
  std::string split = "all";
  int64_t max_per_dataset = 0;  // 0 = all
  JudgeFlags judge;
};

// Keeps at most `n` examples of each (data set, language): those whose text hashes lowest (FNV-1a,
// stable across runs and machines), so the
// sample is spread over the whole file and the same on every run. The kept examples stay in order.
void SamplePerDataset(int64_t n, std::vector<guard::EvalExample>* examples) {
  std::map<std::string, std::vector<std::pair<uint64_t, size_t>>> groups;
  for (size_t i = 0; i < examples->size(); ++i) {
    const guard::EvalExample& e = (*examples)[i];
    groups[e.dataset + "/" + e.language].emplace_back(adapt::Fnv1a64(e.text), i);
  }
  std::vector<bool> keep(examples->size(), false);
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end());
    for (size_t k = 0; k < members.size() && static_cast<int64_t>(k) < n; ++k) keep[members[k].second] = true;
  }
  std::vector<guard::EvalExample> out;
  for (size_t i = 0; i < examples->size(); ++i) {
    if (keep[i]) out.push_back(std::move((*examples)[i]));
  }
  *examples = std::move(out);
}

Status RunEvalCmd(const EvalFlags& f) {
  std::vector<guard::EvalExample> examples;
  std::vector<std::string> notes;
  if (!f.dev_sets.empty()) {
    ASSIGN_OR_RETURN(auto ex, guard::ReadGuardDevSets(f.dev_sets, &notes));
    for (auto& e : ex) examples.push_back(std::move(e));
  }
  for (const std::string& path : f.data) {
    ASSIGN_OR_RETURN(auto ex, guard::ReadLabeledFile(path));
    for (auto& e : ex) examples.push_back(std::move(e));
  }
  RETURN_IF_ERROR(ApplySplit(f.split, &examples));
  for (const std::string& spec : f.benign_text) {
    ASSIGN_OR_RETURN(auto ex, ReadBenignSpec(spec, f.benign_max));
    for (auto& e : ex) examples.push_back(std::move(e));
  }
  if (!f.only_datasets.empty()) {
    std::erase_if(examples, [&](const guard::EvalExample& e) {
      return std::find(f.only_datasets.begin(), f.only_datasets.end(), e.dataset) == f.only_datasets.end();
    });
  }
  if (f.max_per_dataset > 0) SamplePerDataset(f.max_per_dataset, &examples);
  if (!f.judge.model.model.empty() && f.classifier_only) {
    return InvalidArgumentError("guard eval: --judge works with a policy (rules + classifier + judge), not with --classifier-only");
  }
  if (examples.empty()) {
    return InvalidArgumentError("guard eval: no examples; give --data FILE.csv|jsonl, --dev-sets DIR|TARBALL or "
                                "--benign-text FILE[:LANG]");
  }
  for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());

  guard::EvalReport report;
  if (f.classifier_only) {
    std::unique_ptr<guard::Classifier> cls;
    std::shared_ptr<const guard::ConceptLexicon> lexicon;
    if (!f.concepts.empty()) {
      ASSIGN_OR_RETURN(lexicon, LoadLexicon(f.concepts));
    }
    if (f.classifier.empty()) {
      ASSIGN_OR_RETURN(cls, guard::Classifier::LoadDefault(lexicon));
    } else {
      ASSIGN_OR_RETURN(cls, guard::Classifier::Load(f.classifier, lexicon));
    }
    const float thr = f.threshold;
    report = guard::RunEval(examples, [&](std::string_view text) {
      guard::EvalPrediction p;
      const guard::ClassifierVerdict v = guard::SummarizeScores(cls->Score(text), [](const std::string&) { return true; });
      if (v.harmful >= thr && !v.category.empty()) p.categories.push_back(v.category);
      p.flagged = !p.categories.empty();
      return p;
    });
    report.system = StrFormat("classifier %s alone, threshold %.2f",
                              f.classifier.empty() ? "(built-in)" : f.classifier.c_str(), thr);
  } else {
    ASSIGN_OR_RETURN(auto policy, LoadPolicyOrDefault(f.policy));
    ASSIGN_OR_RETURN(auto g, guard::Guard::Create(policy));
    // Model-as-judge, as in `guard check --judge`: an "unsafe" verdict flags the example; a reply
    // that cannot be parsed (or a prompt too long for the judge) leaves the rules' decision alone
    // and is counted.
    ASSIGN_OR_RETURN(std::unique_ptr<guard::JudgeRail> judge,
                     MakeJudgeRail(f.judge, policy));
    std::string first_error;
    int64_t done = 0;
    std::unique_ptr<ProgressBar> bar;
    if (judge) bar = std::make_unique<ProgressBar>("guard eval (judge)", static_cast<int64_t>(examples.size()));
    report = guard::RunEval(examples, [&](std::string_view text) {
      guard::Decision d = g->Check(text, guard::Direction::kInput);
      if (judge) {
        std::string error;
        if (judge->Apply(text, guard::Direction::kInput, &d, nullptr, &error) == guard::JudgeOutcome::kError &&
            first_error.empty()) {
          first_error = error;
        }
        const guard::JudgeRailStats st = judge->stats();
        bar->Update(++done, StrFormat("asked %lld, unsafe %lld, unusable %lld", static_cast<long long>(st.asked),
                                      static_cast<long long>(st.unsafe), static_cast<long long>(st.errors)));
      }
      guard::EvalPrediction p;
      p.flagged = d.flagged;
      p.categories = d.categories;
      p.language = d.language;
      return p;
    });
    report.system = "policy " + (f.policy.empty() ? std::string("(built-in default)") : f.policy) + " via Guard::Check";
    if (judge) {
      bar->Finish();
      const guard::JudgeRailStats st = judge->stats();
      report.system += StrFormat(" + judge (gate %.2f: asked on %lld of %lld examples, %lld of %lld verdicts unsafe, "
                                 "%lld replies unusable)",
                                 static_cast<double>(judge->options().gate),
                                 static_cast<long long>(st.asked), static_cast<long long>(st.asked + st.skipped),
                                 static_cast<long long>(st.unsafe), static_cast<long long>(st.asked),
                                 static_cast<long long>(st.errors));
      if (st.errors > 0) {
        std::fprintf(stderr, "guard eval: the judge gave %lld unusable replies of %lld (the rules' decision stands); first: %s\n",
                     static_cast<long long>(st.errors), static_cast<long long>(st.asked), first_error.c_str());
      }
    }
  }
  const std::string text = f.json ? guard::ReportJson(report) + "\n" : guard::ReportMarkdown(report);
  if (!f.out.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(f.out, text));
    std::fprintf(stderr, "wrote %s\n", f.out.c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return Status::Ok();
}

struct CalibrateFlags {
  std::string policy;
  std::vector<std::string> benign_text;  // FILE[:LANG]
  int64_t benign_max = 0;
  double target_fpr = 0.045;
  double min_threshold = 0.5;
  std::vector<std::string> min_threshold_for;  // LANG:VALUE, overriding min_threshold
  int64_t min_lines = 100;
};

// Per detected language, the lowest classifier threshold that flags at most target_fpr of the
// given ordinary text; printed as the policy's `classifier.language_thresholds`.
Status RunCalibrate(const CalibrateFlags& f) {
  if (f.benign_text.empty()) return InvalidArgumentError("guard calibrate: give ordinary text with --benign-text FILE[:LANG]");
  if (!(f.target_fpr >= 0.0 && f.target_fpr < 1.0)) return InvalidArgumentError("guard calibrate: --target-fpr must be in [0, 1)");
  std::map<std::string, float> floor_for;
  for (const std::string& spec : f.min_threshold_for) {
    const size_t colon = spec.find(':');
    const std::string lang = spec.substr(0, colon);
    bool lang_ok = lang.size() >= 2 && lang.size() <= 3;
    for (char c : lang) lang_ok = lang_ok && c >= 'a' && c <= 'z';
    char* end = nullptr;
    const double v = colon == std::string::npos ? -1.0 : std::strtod(spec.c_str() + colon + 1, &end);
    if (!lang_ok || colon == std::string::npos || end == nullptr || *end != '\0' || !(v >= 0.0 && v <= 1.0)) {
      return InvalidArgumentError("guard calibrate: --min-threshold-for '" + spec +
                                  "' must be LANG:VALUE with a language code such as en and a value in [0, 1]");
    }
    floor_for[lang] = static_cast<float>(v);
  }
  ASSIGN_OR_RETURN(auto policy, LoadPolicyOrDefault(f.policy));
  ASSIGN_OR_RETURN(auto g, guard::Guard::Create(policy));
  std::map<std::string, std::vector<float>> harm;  // detected language -> classifier scores
  int64_t texts = 0;
  for (const std::string& spec : f.benign_text) {
    ASSIGN_OR_RETURN(auto ex, ReadBenignSpec(spec, f.benign_max));
    for (const guard::EvalExample& e : ex) {
      const guard::Decision d = g->Evaluate(e.text, guard::Direction::kInput);
      if (d.classifier_harm < 0.0f) {
        return InvalidArgumentError("guard calibrate: the policy's classifier did not run on input (enable the "
                                       "'classifier' detector for input)");
      }
      harm[d.language].push_back(d.classifier_harm);
      ++texts;
    }
  }
  std::fprintf(stderr, "guard calibrate: %lld texts, target false-positive rate %.3f\n", static_cast<long long>(texts),
               f.target_fpr);
  std::fprintf(stderr, "%-8s %7s %10s %8s\n", "language", "texts", "threshold", "FPR");
  std::string yaml;
  for (auto& [lang, v] : harm) {
    if (static_cast<int64_t>(v.size()) < f.min_lines || lang == "und") {
      std::fprintf(stderr, "%-8s %7zu %10s %8s  (skipped: fewer than %lld texts or undetermined)\n", lang.c_str(),
                   v.size(), "-", "-", static_cast<long long>(f.min_lines));
      continue;
    }
    std::sort(v.begin(), v.end(), std::greater<float>());
    // At most k texts may score at or above the threshold: put it just above the (k+1)-th highest.
    const size_t k = static_cast<size_t>(f.target_fpr * static_cast<double>(v.size()));
    float thr = k < v.size() ? std::nextafter(v[k], 2.0f) : 0.0f;
    const auto fl = floor_for.find(lang);
    thr = std::clamp(thr, fl != floor_for.end() ? fl->second : static_cast<float>(f.min_threshold), 1.0f);
    const size_t fp = static_cast<size_t>(std::count_if(v.begin(), v.end(), [&](float h) { return h >= thr; }));
    std::fprintf(stderr, "%-8s %7zu %10.6f %8.4f\n", lang.c_str(), v.size(), thr,
                 static_cast<double>(fp) / static_cast<double>(v.size()));
    yaml += StrFormat("%s%s: %.6f", yaml.empty() ? "" : ", ", lang.c_str(), thr);
  }
  std::printf("classifier:\n  language_thresholds: {%s}\n", yaml.c_str());
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const guard::Policy>> LoadPolicyOrDefault(const std::string& path) {
  return path.empty() ? guard::Policy::Default() : guard::Policy::Load(path);
}

Command RegisterGuardTrain(CLI::App& guard) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = guard.add_subcommand(
      "train",
      "train the guard's text classifier (fastText: char n-grams + word bigrams, softmax over categories "
      "and benign) from labelled text");
  cmd->add_option("--data", f->data,
                  "training file(s): TSV 'label[,label]<TAB>text[<TAB>lang]' or JSONL {text,label}; labels are "
                  "category codes (S1..S14, custom) or 'benign'");
  cmd->add_option("--dev-sets", f->dev_sets,
                  "also train on labelled suites (guard-dev-sets.tar.xz or its folder); see --split");
  cmd->add_option("--split", f->split,
                  "with --dev-sets: 'train' keeps the half that `guard eval --split heldout` leaves out, 'all' "
                  "keeps everything")
      ->capture_default_str();
  cmd->add_option("--exclude", f->exclude,
                  "with --dev-sets: leave these data sets (ailuminate, xsafety, moderation, toxigen, hatecheck) or "
                  "groups (xsafety/Mental_Health, ...) out, e.g. to measure how the classifier does on a suite it "
                  "never saw");
  cmd->add_option("--benign-text", f->benign_text, "plain text, one benign example per line: FILE[:LANG]");
  cmd->add_option("--benign-max", f->benign_max, "at most this many lines per --benign-text file")
      ->capture_default_str();
  cmd->add_flag("--binary", f->binary, "two classes only: every harmful label becomes 'unsafe' (harmful vs benign)");
  cmd->add_option("-o,--out", f->out, "output model (.ftz when quantized, else .bin)")->required();
  cmd->add_option("--dim", f->opts.dim, "embedding size")->capture_default_str();
  cmd->add_option("--epoch", f->opts.epoch, "passes over the data")->capture_default_str();
  cmd->add_option("--lr", f->opts.lr, "learning rate")->capture_default_str();
  cmd->add_option("--minn", f->opts.minn, "shortest character n-gram")->capture_default_str();
  cmd->add_option("--maxn", f->opts.maxn, "longest character n-gram")->capture_default_str();
  cmd->add_option("--word-ngrams", f->opts.word_ngrams, "word n-gram length")->capture_default_str();
  cmd->add_option("--bucket", f->opts.bucket, "n-gram hash buckets")->capture_default_str();
  cmd->add_option("--cutoff", f->opts.cutoff, "rows kept when quantizing (0 = all)")->capture_default_str();
  cmd->add_option("--dsub", f->opts.dsub, "dimensions per product-quantization code when quantizing")
      ->capture_default_str();
  cmd->add_option("--min-count", f->opts.min_count, "words seen fewer times are left out of the vocabulary")
      ->capture_default_str();
  cmd->add_option("--seed", f->opts.seed, "random seed (training is single-threaded: same seed, same file)")
      ->capture_default_str();
  cmd->add_flag("--no-quantize", f->no_quantize, "write an unquantized .bin");
  cmd->add_flag("--no-concepts", f->no_concepts,
                "do not add the built-in concept lexicon's cross-lingual tags (__c_explosive, ...) to the texts");
  cmd->add_option("--concepts", f->concepts,
                  "concept lexicon (CONCEPT<TAB>LANG<TAB>TERM lines) instead of the built-in data/guard/concepts.tsv; "
                  "policies using the model then need classifier.concepts: FILE");
  cmd->add_flag("-v,--verbose", f->opts.verbose, "fastText progress on stderr");
  return {cmd, [f] { return RunTrain(*f); }};
}

Command RegisterGuardEval(CLI::App& guard) {
  auto f = std::make_shared<EvalFlags>();
  f->judge.model.threads = PhysicalCoreCount();
  CLI::App* cmd = guard.add_subcommand(
      "eval", "measure a guard policy (or its classifier alone) on labelled data: precision, recall, F1, FPR per "
              "category / language / data set, plus latency");
  cmd->add_option("--policy", f->policy, "policy file (.yaml/.toml); default: the built-in policy");
  cmd->add_option("--data", f->data, "labelled .csv (text,label[,language]) or .jsonl; label 'safe' or codes");
  cmd->add_option("--dev-sets", f->dev_sets,
                  "guard-dev-sets.tar.xz or its extracted folder (AILuminate, XSafety, moderation, ToxiGen, "
                  "HateCheck)");
  cmd->add_option("--benign-text", f->benign_text, "plain text, one benign example per line: FILE[:LANG]");
  cmd->add_option("--benign-max", f->benign_max, "at most this many lines per --benign-text file")
      ->capture_default_str();
  cmd->add_option("--only", f->only_datasets, "keep only these data sets (ailuminate, xsafety, moderation, ...)");
  cmd->add_option("--split", f->split,
                  "labelled examples to keep: all, or the 'train' / 'heldout' half of the fixed split that "
                  "`guard train --dev-sets` uses (--benign-text is always kept)")
      ->capture_default_str();
  cmd->add_flag("--classifier-only", f->classifier_only, "evaluate the classifier alone (no rules, no policy)");
  cmd->add_option("--classifier", f->classifier, "with --classifier-only: model file (default: built-in)");
  cmd->add_option("--concepts", f->concepts,
                  "with --classifier-only: the concept lexicon the model was trained with (default: built-in)");
  cmd->add_option("--threshold", f->threshold, "with --classifier-only: flag when the summed category probability (1 - P(benign)) reaches this")->capture_default_str();
  cmd->add_option("--max-per-dataset", f->max_per_dataset,
                  "keep at most N examples of each data set and language (a fixed sample spread over the file; "
                  "0 = all), e.g. to measure a slow judge model")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  AddJudgeOptions(cmd, &f->judge, ", as `guard check --judge` does; an 'unsafe' verdict flags the example",
                  "-t,--threads");
  cmd->add_flag("--json", f->json, "JSON instead of Markdown");
  cmd->add_option("-o,--out", f->out, "write the report to this file");
  return {cmd, [f] { return RunEvalCmd(*f); }};
}

Command RegisterGuardCalibrate(CLI::App& guard) {
  auto f = std::make_shared<CalibrateFlags>();
  CLI::App* cmd = guard.add_subcommand(
      "calibrate", "choose the classifier's threshold per language from ordinary text: the lowest that flags at most "
                   "--target-fpr of it; prints classifier.language_thresholds for a policy");
  cmd->add_option("--policy", f->policy, "policy file whose classifier is calibrated; default: the built-in policy");
  cmd->add_option("--benign-text", f->benign_text,
                  "ordinary text in your deployment's languages, one example per line: FILE[:LANG] (grouped by the "
                  "language the guard detects)")
      ->required();
  cmd->add_option("--benign-max", f->benign_max, "at most this many lines per file (0 = all)")->capture_default_str();
  cmd->add_option("--target-fpr", f->target_fpr, "false-positive rate to allow on that text")->capture_default_str();
  cmd->add_option("--min-threshold", f->min_threshold, "never go below this threshold")->capture_default_str();
  cmd->add_option("--min-threshold-for", f->min_threshold_for,
                  "LANG:VALUE: another floor for one language (e.g. en:0.98 where other benign text, such as "
                  "hate-adjacent statements, needs a higher threshold than --benign-text shows)");
  cmd->add_option("--min-lines", f->min_lines, "languages with fewer texts keep the policy's threshold")
      ->capture_default_str();
  cmd->footer(
      "\nExample:\n"
      "  sangam guard calibrate --benign-text news.de.txt:de --benign-text news.hi.txt:hi --target-fpr 0.03 \\\n"
      "      >> my-policy.yaml   # then merge the printed block into the policy's classifier: section\n");
  return {cmd, [f] { return RunCalibrate(*f); }};
}

}  // namespace sangam::cli
