// Guard evaluation: labelled data sets (readers for the public safety suites and a generic
// CSV/JSONL format), binary and per-category confusion counts, precision / recall / F1 / FPR per
// category, language, data set and source group, latency percentiles, Markdown and JSON reports.
//
// Readers return InvalidArgument naming file and line for malformed input and NotFound for
// missing files; they never abort. Everything here is thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

// The label meaning "harmful, but no specific category" (e.g. XSafety's jailbreak-style sets).
// It counts in the binary (flagged / not flagged) metrics only.
inline constexpr std::string_view kUnsafeLabel = "unsafe";

struct EvalExample {
  std::string text;
  std::vector<std::string> labels;  // expected category codes; empty = safe
  std::string language = "und";     // ISO 639-1 code when the set says so
  std::string dataset;              // "ailuminate", "xsafety", "moderation", "toxigen", "hatecheck", file stem
  std::string group;                // the source's own category, e.g. "xsafety/Insult", "ailuminate/vcr"
  // What decides the example's train / held-out split (empty: the text). Examples that are
  // versions of one item share it, so no item is on both sides: XSafety's translations of one
  // prompt ("xsafety/<category>/<row>"), HateCheck's cases from one template ("hatecheck/templ/<id>").
  std::string split_key;
  bool harmful() const { return !labels.empty(); }
};

// The fixed 50/50 split of labelled examples used to train the shipped classifier on half of a
// development set and measure it on the other half: true for the held-out half. Decided by the
// first byte of SHA-256("sangam-guard-split-v1\n" + split key), so it is stable across runs,
// machines and file orders.
bool InHeldOutHalf(const EvalExample& e);

// The classifier training labels for an evaluation example: its codes, with kUnsafeLabel
// turned into "injection" for XSafety's instruction attacks (goal hijacking, prompt leaking,
// role-play instructions) and kept as "unsafe" otherwise; {"benign"} for a safe example.
std::vector<std::string> TrainingLabels(const EvalExample& e);

// --- Readers -----------------------------------------------------------------------------------
// AILuminate prompt-set CSV (release_prompt_id,prompt_text,hazard,persona,locale,...): every row
// harmful; hazard -> S-code (vcr S1, ncr S2, src S3, cse S4, dfm S5, spc_* S6 (spc_ele S13),
// prv S7, ipv S8, iwp S9, hte S10, ssh S11, sxc_prn S12); locale en_US -> "en".
Result<std::vector<EvalExample>> ReadAILuminateCsv(const std::string& path);
// XSafety: DIR/<lang>/<Category>[_n|_en].csv, one prompt per line (CSV-quoted or bare), or .xlsx
// (bn; the prompt in column A of the first sheet). Every category harmful except commonsense
// (benign). Category -> code: Crimes_And_Illegal_Activities S2, Physical_Harm S1, Mental_Health
// S11, Insult S10, Unfairness_And_Discrimination S10, Privacy_And_Property S7, all others
// "unsafe". Folder "sp" is Spanish ("es"). Other files are skipped and listed in *notes.
Result<std::vector<EvalExample>> ReadXSafetyDir(const std::string& dir, std::vector<std::string>* notes);
// OpenAI moderation samples (.jsonl or .jsonl.gz, gz via the system's gzip): {"prompt", "S", "H",
// "V", "HR", "SH", "S3", "H2", "V2"}; S -> S12, H/H2/HR -> S10, V/V2 -> S1, SH -> S11, S3 -> S4;
// rows with no label set to 1 are benign.
Result<std::vector<EvalExample>> ReadModerationJsonl(const std::string& path);
// ToxiGen demonstrations: DIR/**/hate_*.txt (S10) and neutral_*.txt (benign), one per line.
Result<std::vector<EvalExample>> ReadToxiGenDir(const std::string& dir);
// HateCheck test_suite_cases.csv / all_cases.csv: test_case, label_gold (hateful -> S10).
Result<std::vector<EvalExample>> ReadHateCheckCsv(const std::string& path);
// Generic labelled data: .csv with a header naming `text`, `label` and optionally `language`, or
// .jsonl objects with those fields, or .tsv in the training format (label[,label]<TAB>text
// [<TAB>language], '#' comment lines). label: "safe"/"benign"/"" = safe; otherwise category codes
// separated by ',' or ';' (a JSON array also works).
Result<std::vector<EvalExample>> ReadLabeledFile(const std::string& path);
// Plain benign text, one example per line (blank lines skipped), with the given language.
Result<std::vector<EvalExample>> ReadBenignLines(const std::string& path, std::string_view language,
                                                 std::string_view dataset, int64_t max_lines);

// The shared guard dev sets: `path` is guard-dev-sets.tar.xz (extracted with the system's tar to
// a temporary directory) or an extracted folder. Reads every set found; *notes lists what was
// skipped. NotFound when nothing readable is there.
Result<std::vector<EvalExample>> ReadGuardDevSets(const std::string& path, std::vector<std::string>* notes);

// Minimal CSV parsing (RFC 4180: quoted fields with "" escapes and embedded newlines). Exposed for
// tests. InvalidArgument on an unterminated quote.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, std::string_view source);

// --- Metrics -----------------------------------------------------------------------------------
struct Counts {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  int64_t positives() const { return tp + fn; }
  int64_t negatives() const { return fp + tn; }
  int64_t total() const { return tp + fp + fn + tn; }
  // Ratios are 0 when their denominator is 0 (callers show counts alongside).
  double precision() const;
  double recall() const;
  double f1() const;
  double fpr() const;
  double accuracy() const;
  // Mean of the F1 of the positive class and of the negative class (HateCheck's macro-F1).
  double macro_f1() const;
  void Add(bool expected, bool predicted);
};

// What the system under test said about one text.
struct EvalPrediction {
  bool flagged = false;
  std::vector<std::string> categories;  // flagged category codes
  std::string language;                 // detected language (used when the example has "und")
};

struct LatencyStats {
  int64_t n = 0;
  double mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  double checks_per_second = 0;  // 1e6 / mean_us (one thread)
};
LatencyStats ComputeLatency(std::vector<double> micros);

struct EvalReport {
  Counts overall;                          // harmful vs flagged
  std::map<std::string, Counts> by_category;  // per category code: expected code vs flagged code
  std::map<std::string, Counts> by_language;  // binary, per language
  std::map<std::string, Counts> by_dataset;   // binary, per data set
  std::map<std::string, Counts> by_dataset_language;  // binary, "dataset/lang"
  std::map<std::string, Counts> by_group;     // binary, per source group
  LatencyStats latency;
  std::string system;                      // what was evaluated, e.g. "policy default + classifier"
};

// Counts for examples[i] against predictions[i] (sizes must match; extra entries are ignored).
// Category "unsafe" and empty codes are excluded from by_category.
EvalReport ComputeReport(const std::vector<EvalExample>& examples, const std::vector<EvalPrediction>& predictions);

// Runs `check` on every example (single thread, in order), timing each call, and computes the report.
using CheckFn = std::function<EvalPrediction(std::string_view text)>;
EvalReport RunEval(const std::vector<EvalExample>& examples, const CheckFn& check);

std::string ReportMarkdown(const EvalReport& r);
std::string ReportJson(const EvalReport& r);

}  // namespace sangam::guard
