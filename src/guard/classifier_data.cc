// ReadTrainingFile: the guard classifier's training-set formats (TSV and JSONL).
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "sangam/guard_classifier.h"

namespace sangam::guard {
namespace {

std::vector<std::string> SplitLabels(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<LabeledText>> ReadTrainingFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("guard train: cannot open " + path);
  const bool jsonl = path.size() >= 6 && path.substr(path.size() - 6) == ".jsonl";
  std::vector<LabeledText> out;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    LabeledText ex;
    if (jsonl) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string() ||
          !j.contains("label")) {
        return InvalidArgumentError(StrFormat("%s:%lld: expected a JSON object with \"text\" and \"label\"",
                                              path.c_str(), static_cast<long long>(lineno)));
      }
      ex.text = j["text"].get<std::string>();
      const auto& lab = j["label"];
      if (lab.is_string()) {
        ex.labels = SplitLabels(lab.get<std::string>());
      } else if (lab.is_array()) {
        for (const auto& l : lab) {
          if (!l.is_string()) {
            return InvalidArgumentError(StrFormat("%s:%lld: \"label\" array must hold strings", path.c_str(),
                                                  static_cast<long long>(lineno)));
          }
          ex.labels.push_back(l.get<std::string>());
        }
      } else {
        return InvalidArgumentError(StrFormat("%s:%lld: \"label\" must be a string or an array of strings",
                                              path.c_str(), static_cast<long long>(lineno)));
      }
      if (j.contains("language") && j["language"].is_string()) ex.language = j["language"].get<std::string>();
    } else {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) {
        return InvalidArgumentError(StrFormat("%s:%lld: expected 'label<TAB>text[<TAB>language]'", path.c_str(),
                                              static_cast<long long>(lineno)));
      }
      ex.labels = SplitLabels(std::string_view(line).substr(0, tab));
      std::string rest = line.substr(tab + 1);
      const size_t tab2 = rest.find('\t');
      if (tab2 != std::string::npos) {
        ex.language = rest.substr(tab2 + 1);
        rest.resize(tab2);
      }
      ex.text = std::move(rest);
    }
    if (ex.labels.empty()) {
      return InvalidArgumentError(StrFormat("%s:%lld: no label", path.c_str(), static_cast<long long>(lineno)));
    }
    out.push_back(std::move(ex));
  }
  return out;
}

}  // namespace sangam::guard
