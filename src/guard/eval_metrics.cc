// Guard evaluation metrics: confusion counts, latency percentiles, Markdown and JSON reports.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "sangam/guard_eval.h"

namespace sangam::guard {
namespace {

double Ratio(int64_t a, int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest-rank percentile.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

std::string Fmt(double v) { return StrFormat("%.3f", v); }

std::string Row(const std::string& name, const Counts& c, bool with_macro) {
  std::string s = "| " + name + " | " + std::to_string(c.positives()) + " | " + std::to_string(c.negatives()) +
                  " | " + std::to_string(c.tp) + " | " + std::to_string(c.fp) + " | " + std::to_string(c.fn) + " | " +
                  std::to_string(c.tn) + " | " + (c.tp + c.fp ? Fmt(c.precision()) : "-") + " | " +
                  (c.positives() ? Fmt(c.recall()) : "-") + " | " + (c.positives() ? Fmt(c.f1()) : "-") + " | " +
                  (c.negatives() ? Fmt(c.fpr()) : "-");
  if (with_macro) s += " | " + ((c.positives() && c.negatives()) ? Fmt(c.macro_f1()) : std::string("-"));
  return s + " |\n";
}

std::string Table(const std::string& title, const std::string& key, const std::map<std::string, Counts>& m,
                  bool with_macro) {
  std::string s = "### " + title + "\n\n| " + key +
                  " | harmful | benign | TP | FP | FN | TN | precision | recall | F1 | FPR |" +
                  (with_macro ? " macro-F1 |" : "") + "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" +
                  (with_macro ? "---:|" : "") + "\n";
  for (const auto& [k, c] : m) s += Row(k, c, with_macro);
  return s + "\n";
}

nlohmann::json CountsJson(const Counts& c) {
  return {{"tp", c.tp},         {"fp", c.fp},       {"fn", c.fn},   {"tn", c.tn},
          {"precision", c.precision()}, {"recall", c.recall()}, {"f1", c.f1()}, {"fpr", c.fpr()},
          {"macro_f1", c.macro_f1()}, {"harmful", c.positives()}, {"benign", c.negatives()}};
}

nlohmann::json MapJson(const std::map<std::string, Counts>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, c] : m) j[k] = CountsJson(c);
  return j;
}

}  // namespace

double Counts::precision() const { return Ratio(tp, tp + fp); }
double Counts::recall() const { return Ratio(tp, tp + fn); }
double Counts::f1() const { return Ratio(2 * tp, 2 * tp + fp + fn); }
double Counts::fpr() const { return Ratio(fp, fp + tn); }
double Counts::accuracy() const { return Ratio(tp + tn, total()); }
double Counts::macro_f1() const {
  const double f1_neg = Ratio(2 * tn, 2 * tn + fn + fp);
  return (f1() + f1_neg) / 2.0;
}
void Counts::Add(bool expected, bool predicted) {
  if (expected) {
    ++(predicted ? tp : fn);
  } else {
    ++(predicted ? fp : tn);
  }
}

LatencyStats ComputeLatency(std::vector<double> micros) {
  LatencyStats s;
  s.n = static_cast<int64_t>(micros.size());
  if (micros.empty()) return s;
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double v : micros) sum += v;
  s.mean_us = sum / static_cast<double>(micros.size());
  s.p50_us = Percentile(micros, 0.50);
  s.p90_us = Percentile(micros, 0.90);
  s.p99_us = Percentile(micros, 0.99);
  s.max_us = micros.back();
  s.checks_per_second = s.mean_us > 0 ? 1e6 / s.mean_us : 0;
  return s;
}

EvalReport ComputeReport(const std::vector<EvalExample>& examples, const std::vector<EvalPrediction>& predictions) {
  EvalReport r;
  std::set<std::string> codes;
  const size_t n = std::min(examples.size(), predictions.size());
  for (size_t i = 0; i < n; ++i) {
    for (const auto& l : examples[i].labels) codes.insert(l);
    for (const auto& c : predictions[i].categories) codes.insert(c);
  }
  codes.erase(std::string(kUnsafeLabel));
  codes.erase("");
  for (size_t i = 0; i < n; ++i) {
    const EvalExample& ex = examples[i];
    const EvalPrediction& p = predictions[i];
    const bool expected = ex.harmful();
    r.overall.Add(expected, p.flagged);
    std::string lang = ex.language;
    if ((lang.empty() || lang == "und") && !p.language.empty()) lang = p.language;
    if (lang.empty()) lang = "und";
    r.by_language[lang].Add(expected, p.flagged);
    r.by_dataset[ex.dataset].Add(expected, p.flagged);
    r.by_dataset_language[ex.dataset + "/" + lang].Add(expected, p.flagged);
    if (!ex.group.empty()) r.by_group[ex.group].Add(expected, p.flagged);
    for (const std::string& c : codes) {
      const bool e = std::find(ex.labels.begin(), ex.labels.end(), c) != ex.labels.end();
      const bool f = p.flagged && std::find(p.categories.begin(), p.categories.end(), c) != p.categories.end();
      r.by_category[c].Add(e, f);
    }
  }
  return r;
}

EvalReport RunEval(const std::vector<EvalExample>& examples, const CheckFn& check) {
  std::vector<EvalPrediction> preds;
  preds.reserve(examples.size());
  std::vector<double> micros;
  micros.reserve(examples.size());
  for (const EvalExample& ex : examples) {
    const auto t0 = std::chrono::steady_clock::now();
    preds.push_back(check(ex.text));
    const auto t1 = std::chrono::steady_clock::now();
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  EvalReport r = ComputeReport(examples, preds);
  r.latency = ComputeLatency(std::move(micros));
  return r;
}

std::string ReportMarkdown(const EvalReport& r) {
  std::string s = "## Guard evaluation";
  if (!r.system.empty()) s += ": " + r.system;
  s += "\n\n";
  s += StrFormat("%lld texts (%lld harmful, %lld benign). Binary (harmful = flagged with any category): "
                 "precision %.3f, recall %.3f, F1 %.3f, FPR %.3f, macro-F1 %.3f.\n\n",
                 static_cast<long long>(r.overall.total()), static_cast<long long>(r.overall.positives()),
                 static_cast<long long>(r.overall.negatives()), r.overall.precision(), r.overall.recall(),
                 r.overall.f1(), r.overall.fpr(), r.overall.macro_f1());
  s += StrFormat("Latency per check (one thread): mean %.1f us, p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us "
                 "(%.0f checks/s).\n\n",
                 r.latency.mean_us, r.latency.p50_us, r.latency.p90_us, r.latency.p99_us, r.latency.max_us,
                 r.latency.checks_per_second);
  s += Table("Per category (expected code vs flagged code)", "category", r.by_category, false);
  s += Table("Per language (binary)", "language", r.by_language, false);
  s += Table("Per data set (binary)", "data set", r.by_dataset, true);
  s += Table("Per data set and language (binary)", "data set / language", r.by_dataset_language, true);
  s += Table("Per source group (binary)", "group", r.by_group, false);
  return s;
}

std::string ReportJson(const EvalReport& r) {
  nlohmann::json j;
  j["system"] = r.system;
  j["overall"] = CountsJson(r.overall);
  j["by_category"] = MapJson(r.by_category);
  j["by_language"] = MapJson(r.by_language);
  j["by_dataset"] = MapJson(r.by_dataset);
  j["by_dataset_language"] = MapJson(r.by_dataset_language);
  j["by_group"] = MapJson(r.by_group);
  j["latency_us"] = {{"n", r.latency.n},           {"mean", r.latency.mean_us}, {"p50", r.latency.p50_us},
                     {"p90", r.latency.p90_us},    {"p99", r.latency.p99_us},   {"max", r.latency.max_us},
                     {"checks_per_second", r.latency.checks_per_second}};
  return j.dump(2);
}

}  // namespace sangam::guard
