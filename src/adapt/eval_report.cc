// Evaluation reports: Markdown table, JSON document and SVG bar charts of an EvalReport.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sangam/chart.h"
#include "sangam/eval.h"

namespace sangam::adapt {
namespace {

std::string Num(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  return StrFormat("%.*f", decimals, v);
}

std::string Signed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  return StrFormat("%+.*f", decimals, v);
}

std::string ChangeText(double a, double b, int decimals) {
  const EvalChange c = ComputeChange(a, b);
  if (!std::isfinite(c.abs)) return "n/a";
  std::string s = Signed(c.abs, decimals);
  if (std::isfinite(c.pct)) s += " (" + Signed(c.pct, 1) + " %)";
  return s;
}

// A per-subject metric shown in the tables and JSON.
struct Metric {
  const char* name;      // column / JSON name
  const char* json;
  int decimals;
  std::function<double(const EvalMetrics&)> get;
};

std::vector<Metric> ShownMetrics(const EvalReport& r) {
  bool any_scored = false, any_fertility = false;
  for (const EvalSubjectInfo& s : r.subjects) any_scored = any_scored || s.scored;
  for (const LanguageEval& l : r.languages) any_fertility = any_fertility || l.words_meaningful;
  std::vector<Metric> m;
  m.push_back({"tokens", "tokens", 0, [](const EvalMetrics& s) { return static_cast<double>(s.tokens); }});
  if (r.parallel && r.ref_present) {
    m.push_back({"premium", "token_premium", 2, [](const EvalMetrics& s) { return s.premium; }});
  }
  if (any_fertility) {
    m.push_back({"fertility", "fertility", 2, [](const EvalMetrics& s) { return s.fertility; }});
  }
  if (any_scored) {
    m.push_back({"bits/char", "bits_per_char", 4, [](const EvalMetrics& s) { return s.bits_per_char; }});
    m.push_back({"bits/byte", "bits_per_byte", 4, [](const EvalMetrics& s) { return s.bits_per_byte; }});
  }
  return m;
}

nlohmann::json JNum(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

// Makes a standalone SVG document nestable: drops the XML declaration and places the root
// <svg> at (0, y). Returns its height through *height.
std::string Nest(const std::string& doc, double y, double* width, double* height) {
  std::string s = doc;
  if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
  while (!s.empty() && (s[0] == '\n' || s[0] == '\r')) s.erase(0, 1);
  auto attr = [&](const char* name) {
    const std::string key = std::string(" ") + name + "=\"";
    const size_t p = s.find(key);
    if (p == std::string::npos) return 0.0;
    return std::atof(s.c_str() + p + key.size());
  };
  *width = attr("width");
  *height = attr("height");
  if (s.rfind("<svg ", 0) == 0) s.insert(5, "x=\"0\" y=\"" + report::Coord(y) + "\" ");
  return s;
}

}  // namespace

std::string RenderMarkdown(const EvalReport& r) {
  const std::vector<Metric> metrics = ShownMetrics(r);
  const size_t ns = r.subjects.size();
  std::string out = "## Per-language evaluation\n\n";
  for (size_t i = 0; i < ns; ++i) {
    const EvalSubjectInfo& s = r.subjects[i];
    out += "- **" + s.label + "**: " + (s.description.empty() ? s.label : s.description);
    if (!s.note.empty()) out += " (" + s.note + ")";
    out += "\n";
  }
  if (r.parallel) {
    out += r.ref_present ? "- token premium = tokens / tokens of " + r.ref + " on the same (parallel) sentences\n"
                         : "- token premium: n/a (reference " + r.ref + " absent)\n";
  } else {
    out += "- unaligned text: token premium n/a\n";
  }
  if (ns >= 2) {
    out += "- change = " + r.subjects[1].label + " - " + r.subjects[0].label + " (percent of " +
           r.subjects[0].label + ")\n";
  }
  out += "- tokens: each line without BOS; fertility = tokens / whitespace-separated words (n/a "
         "for scripts written without spaces)";
  bool any_scored = false;
  for (const EvalSubjectInfo& s : r.subjects) any_scored = any_scored || s.scored;
  if (any_scored) out += "; bits = NLL of each line given BOS, per Unicode character / UTF-8 byte";
  out += "\n\n";

  std::vector<std::string> head = {"language", "lines", "chars", "bytes", "words"};
  std::vector<bool> right = {false, true, true, true, true};
  for (const Metric& m : metrics) {
    for (size_t i = 0; i < ns; ++i) {
      head.push_back(ns == 1 ? m.name : std::string(m.name) + " " + r.subjects[i].label);
      right.push_back(true);
    }
    if (ns >= 2) {
      head.push_back(std::string("change ") + m.name);
      right.push_back(true);
    }
  }
  auto row = [&](const std::vector<std::string>& cells) {
    std::string line = "|";
    for (const std::string& c : cells) line += " " + c + " |";
    return line + "\n";
  };
  out += row(head);
  std::string sep = "|";
  for (bool rt : right) sep += rt ? " --: |" : " :-- |";
  out += sep + "\n";
  for (const LanguageEval& l : r.languages) {
    std::vector<std::string> cells = {l.is_reference ? l.code + " (ref)" : l.code,
                                      std::to_string(l.lines), std::to_string(l.chars),
                                      std::to_string(l.bytes),
                                      l.words_meaningful ? std::to_string(l.words) : std::to_string(l.words) + " (n/a)"};
    for (const Metric& m : metrics) {
      for (size_t i = 0; i < ns; ++i) cells.push_back(Num(m.get(l.subjects[i]), m.decimals));
      if (ns >= 2) cells.push_back(ChangeText(m.get(l.subjects[0]), m.get(l.subjects[1]), m.decimals));
    }
    out += row(cells);
  }
  if (!r.warnings.empty()) {
    out += "\nWarnings:\n";
    for (const std::string& w : r.warnings) out += "- " + w + "\n";
  }
  return out;
}

std::string ToJson(const EvalReport& r) {
  nlohmann::json j;
  j["parallel"] = r.parallel;
  j["reference"] = r.ref;
  j["reference_present"] = r.ref_present;
  j["subjects"] = nlohmann::json::array();
  for (const EvalSubjectInfo& s : r.subjects) {
    j["subjects"].push_back(
        {{"label", s.label}, {"description", s.description}, {"note", s.note}, {"scored", s.scored}});
  }
  j["languages"] = nlohmann::json::array();
  constexpr double kLn2 = 0.69314718055994530942;
  for (const LanguageEval& l : r.languages) {
    nlohmann::json jl = {{"code", l.code},   {"file", l.path},   {"lines", l.lines},
                         {"chars", l.chars}, {"bytes", l.bytes}, {"words", l.words},
                         {"words_meaningful", l.words_meaningful}, {"is_reference", l.is_reference}};
    jl["metrics"] = nlohmann::json::array();
    for (const EvalMetrics& m : l.subjects) {
      jl["metrics"].push_back({{"tokens", m.tokens},
                               {"token_premium", JNum(m.premium)},
                               {"fertility", JNum(m.fertility)},
                               {"scored", m.scored},
                               {"scored_tokens", m.scored_tokens},
                               {"nll_nats", m.scored ? JNum(m.nll_nats) : nullptr},
                               {"nll_bits", m.scored ? JNum(m.nll_nats / kLn2) : nullptr},
                               {"bits_per_char", JNum(m.bits_per_char)},
                               {"bits_per_byte", JNum(m.bits_per_byte)}});
    }
    if (l.subjects.size() >= 2) {
      const EvalMetrics& a = l.subjects[0];
      const EvalMetrics& b = l.subjects[1];
      auto ch = [](double x, double y) {
        const EvalChange c = ComputeChange(x, y);
        return nlohmann::json{{"abs", JNum(c.abs)}, {"pct", JNum(c.pct)}};
      };
      jl["change"] = {{"tokens", ch(static_cast<double>(a.tokens), static_cast<double>(b.tokens))},
                      {"token_premium", ch(a.premium, b.premium)},
                      {"fertility", ch(a.fertility, b.fertility)},
                      {"bits_per_char", ch(a.bits_per_char, b.bits_per_char)},
                      {"bits_per_byte", ch(a.bits_per_byte, b.bits_per_byte)}};
    }
    j["languages"].push_back(std::move(jl));
  }
  j["warnings"] = r.warnings;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string RenderCharts(const EvalReport& r) {
  const bool horizontal = r.languages.size() > 12;
  std::vector<std::string> docs;

  // Token chart: premium on parallel text, else tokens per character. When every subject has the
  // same counts (one tokenizer, e.g. a model with and without an adapter), one series suffices.
  bool same_tokens = true;
  for (const LanguageEval& l : r.languages) {
    for (const EvalMetrics& m : l.subjects) same_tokens = same_tokens && m.tokens == l.subjects[0].tokens;
  }
  const size_t n_tok_series = same_tokens ? std::min<size_t>(1, r.subjects.size()) : r.subjects.size();
  const bool premium = r.parallel && r.ref_present;
  {
    report::BarChartSpec spec;
    spec.title = premium ? "Token premium vs " + r.ref : "Tokens per character";
    spec.y_label = premium ? "token premium (tokens / tokens of " + r.ref + ")" : "tokens per character";
    if (!horizontal) spec.width = 640;
    spec.category_label = "language";
    spec.horizontal = horizontal;
    if (premium) spec.reference_line = 1.0;
    if (premium) spec.reference_label = r.ref;
    if (n_tok_series > 1 || !same_tokens) {
      for (size_t i = 0; i < n_tok_series; ++i) spec.series_names.push_back(r.subjects[i].label);
    }
    for (const LanguageEval& l : r.languages) {
      report::BarGroup g;
      g.label = l.code;
      for (size_t i = 0; i < n_tok_series; ++i) {
        const EvalMetrics& m = l.subjects[i];
        g.values.push_back(premium ? m.premium
                                   : (l.chars > 0 ? static_cast<double>(m.tokens) / static_cast<double>(l.chars)
                                                  : kNotApplicable));
      }
      spec.groups.push_back(std::move(g));
    }
    docs.push_back(report::RenderBarChart(spec));
  }
  std::vector<size_t> scored;
  for (size_t i = 0; i < r.subjects.size(); ++i) {
    if (r.subjects[i].scored) scored.push_back(i);
  }
  if (!scored.empty()) {
    report::BarChartSpec spec;
    spec.title = "Bits per character (lower is better)";
    spec.y_label = "bits per character";
    if (!horizontal) spec.width = 640;
    spec.category_label = "language";
    spec.horizontal = horizontal;
    spec.value_format = "%.3f";
    if (r.subjects.size() > 1) {  // name the series whenever there is more than one subject
      for (size_t i : scored) spec.series_names.push_back(r.subjects[i].label);
    }
    for (const LanguageEval& l : r.languages) {
      report::BarGroup g;
      g.label = l.code;
      for (size_t i : scored) g.values.push_back(l.subjects[i].bits_per_char);
      spec.groups.push_back(std::move(g));
    }
    docs.push_back(report::RenderBarChart(spec));
  }

  std::string body;
  double y = 0, max_w = 0;
  for (const std::string& d : docs) {
    double w = 0, h = 0;
    body += Nest(d, y, &w, &h);
    y += h + 20;
    max_w = std::max(max_w, w);
  }
  const double total_h = y > 20 ? y - 20 : 1;
  const std::string ws = report::Coord(max_w), hs = report::Coord(total_h);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
         "version=\"1.1\" width=\"" + ws + "\" height=\"" + hs + "\" viewBox=\"0 0 " + ws + " " + hs +
         "\">\n<title>sangam eval</title>\n<rect x=\"0\" y=\"0\" width=\"" + ws + "\" height=\"" + hs +
         "\" fill=\"#ffffff\"/>\n" + body + "</svg>\n";
}

}  // namespace sangam::adapt
