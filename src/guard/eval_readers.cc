// Readers for labelled guard evaluation data: AILuminate, XSafety, OpenAI moderation samples,
// ToxiGen, HateCheck, generic CSV/JSONL, plain benign lines, and the shared dev-set tarball.
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "sangam/file.h"
#include "sangam/guard_classifier.h"
#include "sangam/guard_eval.h"
#include "sangam/sha256.h"
#include "guard/xlsx.h"

extern char** environ;

namespace sangam::guard {
namespace fs = std::filesystem;
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  const size_t e = s.find_last_not_of(ws);
  s.erase(e == std::string::npos ? 0 : e + 1);
  return s;
}

std::string StripBom(std::string s) {
  if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) s.erase(0, 3);
  return s;
}

Result<std::string> ReadAll(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFoundError("guard eval: no such file: " + path);
  return ReadFileToString(path);
}

// Runs argv[0] (found on PATH) with stdout captured into *out (when non-null). No shell.
Status RunProgram(const std::vector<std::string>& argv, std::string* out) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return IoError("guard eval: pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return NotFoundError("guard eval: cannot run '" + argv[0] + "' (is it installed?)");
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) {
    if (out) out->append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    return IoError("guard eval: command failed: " + cmd);
  }
  return Status::Ok();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string LangFromLocale(std::string locale) {
  const size_t u = locale.find_first_of("_-");
  if (u != std::string::npos) locale.resize(u);
  std::transform(locale.begin(), locale.end(), locale.begin(), ::tolower);
  return locale.empty() ? "und" : locale;
}

int FindColumn(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (Trim(StripBom(header[i])) == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> SplitCodes(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',' || c == ';') {
      cur = Trim(cur);
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> LabelsFromString(const std::string& label) {
  std::string l = Trim(label);
  std::string lower = l;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.empty() || lower == "safe" || lower == "benign" || lower == "0" || lower == "false" || lower == "none") {
    return {};
  }
  if (lower == "unsafe" || lower == "harmful" || lower == "1" || lower == "true") return {std::string(kUnsafeLabel)};
  return SplitCodes(l);
}

const char* AILuminateCode(const std::string& hazard) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"vcr", "S1"}, {"ncr", "S2"}, {"src", "S3"},  {"cse", "S4"},  {"dfm", "S5"},     {"spc_fin", "S6"},
      {"spc_hlt", "S6"}, {"spc_lgl", "S6"}, {"spc_ele", "S13"}, {"prv", "S7"}, {"ipv", "S8"}, {"iwp", "S9"},
      {"hte", "S10"}, {"ssh", "S11"}, {"sxc_prn", "S12"}};
  for (const auto& [k, v] : kMap) {
    if (hazard == k) return v;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, std::string_view source) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, field_started = false;
  int64_t line = 1, quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && Trim(field).empty()) {
      in_quotes = true;
      field_started = true;
      quote_line = line;
      field.clear();
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      if (!row.empty() || field_started || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      field_started = false;
    } else {
      field.push_back(c);
    }
  }
  if (in_quotes) {
    return InvalidArgumentError(StrFormat("%.*s:%lld: unterminated quoted CSV field", static_cast<int>(source.size()),
                                          source.data(), static_cast<long long>(quote_line)));
  }
  if (!row.empty() || field_started || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<EvalExample>> ReadAILuminateCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadAll(path));
  ASSIGN_OR_RETURN(auto rows, ParseCsv(StripBom(text), path));
  if (rows.empty()) return InvalidArgumentError(path + ": empty AILuminate CSV");
  const int c_text = FindColumn(rows[0], "prompt_text"), c_hazard = FindColumn(rows[0], "hazard"),
            c_locale = FindColumn(rows[0], "locale");
  if (c_text < 0 || c_hazard < 0) {
    return InvalidArgumentError(path + ": AILuminate CSV needs columns prompt_text and hazard");
  }
  std::vector<EvalExample> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (static_cast<int>(r.size()) <= std::max(c_text, c_hazard)) {
      return InvalidArgumentError(StrFormat("%s: row %zu has %zu fields", path.c_str(), i + 1, r.size()));
    }
    EvalExample ex;
    ex.text = r[c_text];
    const std::string hazard = Trim(r[c_hazard]);
    const char* code = AILuminateCode(hazard);
    ex.labels = {code ? code : std::string(kUnsafeLabel)};
    ex.language = c_locale >= 0 && c_locale < static_cast<int>(r.size()) ? LangFromLocale(Trim(r[c_locale])) : "en";
    ex.dataset = "ailuminate";
    ex.group = "ailuminate/" + hazard;
    out.push_back(std::move(ex));
  }
  return out;
}

Result<std::vector<EvalExample>> ReadXSafetyDir(const std::string& dir, std::vector<std::string>* notes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFoundError("guard eval: XSafety folder not found: " + dir);
  std::vector<fs::path> langs;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) langs.push_back(e.path());
  }
  std::sort(langs.begin(), langs.end());
  std::vector<EvalExample> out;
  for (const fs::path& ld : langs) {
    std::string lang = ld.filename().string();
    if (lang == "sp") lang = "es";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(ld, ec)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::set<std::string> seen;  // hi has the commonsense set twice (commen_sense.csv)
    for (const fs::path& f : files) {
      if (f.extension() != ".csv" && f.extension() != ".xlsx") {
        if (notes) notes->push_back("xsafety: skipped " + f.string() + " (not CSV or XLSX)");
        continue;
      }
      std::string cat = f.stem().string();
      for (const char* suf : {"_n", "_en"}) {
        if (EndsWith(cat, suf)) cat.resize(cat.size() - std::string_view(suf).size());
      }
      const bool benign = cat == "commonsense" || cat == "commen_sense";
      if (cat == "commen_sense") cat = "commonsense";
      std::vector<std::string> labels;
      if (!benign) {
        if (cat == "Crimes_And_Illegal_Activities") labels = {"S2"};
        else if (cat == "Physical_Harm") labels = {"S1"};
        else if (cat == "Mental_Health") labels = {"S11"};
        else if (cat == "Insult" || cat == "Unfairness_And_Discrimination") labels = {"S10"};
        else if (cat == "Privacy_And_Property") labels = {"S7"};
        else labels = {std::string(kUnsafeLabel)};
      }
      std::vector<std::vector<std::string>> rows;
      if (f.extension() == ".xlsx") {  // bn: one sheet, the prompt in column A, no header
        ASSIGN_OR_RETURN(rows, ReadXlsxFirstSheet(f.string()));
      } else {
        ASSIGN_OR_RETURN(std::string text, ReadAll(f.string()));
        ASSIGN_OR_RETURN(rows, ParseCsv(StripBom(text), f.string()));
      }
      for (size_t row = 0; row < rows.size(); ++row) {
        const auto& r = rows[row];
        if (r.empty()) continue;
        std::string t = Trim(r[0]);
        for (size_t k = 1; k < r.size(); ++k) t += "," + r[k];  // unquoted commas belong to the text
        t = Trim(t);
        if (t.empty() || !seen.insert(cat + "\n" + t).second) continue;
        EvalExample ex;
        ex.text = std::move(t);
        ex.labels = labels;
        ex.language = lang;
        ex.dataset = "xsafety";
        ex.group = "xsafety/" + cat;
        ex.split_key = StrFormat("xsafety/%s/%zu", cat.c_str(), row);  // the languages are row-parallel
        out.push_back(std::move(ex));
      }
    }
  }
  return out;
}

namespace {

// Calls fn(object, line number) for every non-empty line of JSON Lines `text`; a line that is not
// a JSON object with a string field `key` is InvalidArgument naming path:line. Stops at fn's error.
Status ForEachJsonLine(const std::string& text, const std::string& path, const char* key,
                       const std::function<Status(const nlohmann::json&, int64_t)>& fn) {
  size_t start = 0;
  int64_t lineno = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++lineno;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_string()) {
      return InvalidArgumentError(StrFormat("%s:%lld: expected a JSON object with a \"%s\" string", path.c_str(),
                                            static_cast<long long>(lineno), key));
    }
    RETURN_IF_ERROR(fn(j, lineno));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<EvalExample>> ReadModerationJsonl(const std::string& path) {
  std::string text;
  if (EndsWith(path, ".gz")) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return NotFoundError("guard eval: no such file: " + path);
    RETURN_IF_ERROR(RunProgram({"gzip", "-dc", path}, &text));
  } else {
    ASSIGN_OR_RETURN(text, ReadAll(path));
  }
  static const std::pair<const char*, const char*> kMap[] = {{"S", "S12"}, {"H", "S10"}, {"H2", "S10"},
                                                             {"HR", "S10"}, {"V", "S1"}, {"V2", "S1"},
                                                             {"SH", "S11"}, {"S3", "S4"}};
  std::vector<EvalExample> out;
  RETURN_IF_ERROR(ForEachJsonLine(text, path, "prompt", [&](const nlohmann::json& j, int64_t) -> Status {
    EvalExample ex;
    ex.text = j["prompt"].get<std::string>();
    std::set<std::string> codes;
    std::string group;
    for (const auto& [k, code] : kMap) {
      if (j.contains(k) && j[k].is_number() && j[k].get<double>() > 0.5) {
        codes.insert(code);
        group += group.empty() ? k : std::string("+") + k;
      }
    }
    ex.labels.assign(codes.begin(), codes.end());
    ex.language = "en";
    ex.dataset = "moderation";
    ex.group = "moderation/" + (group.empty() ? std::string("none") : group);
    out.push_back(std::move(ex));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<EvalExample>> ReadToxiGenDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFoundError("guard eval: ToxiGen folder not found: " + dir);
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && e.path().extension() == ".txt" && (name.rfind("hate_", 0) == 0 || name.rfind("neutral_", 0) == 0)) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<EvalExample> out;
  for (const fs::path& f : files) {
    const std::string stem = f.stem().string();
    const bool hate = stem.rfind("hate_", 0) == 0;
    ASSIGN_OR_RETURN(std::string text, ReadAll(f.string()));
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = Trim(text.substr(start, end - start));
      start = end + 1;
      if (line.rfind("- ", 0) == 0) line = Trim(line.substr(2));
      if (line.empty()) continue;
      EvalExample ex;
      ex.text = std::move(line);
      if (hate) ex.labels = {"S10"};
      ex.language = "en";
      ex.dataset = "toxigen";
      ex.group = "toxigen/" + stem;
      out.push_back(std::move(ex));
    }
  }
  if (out.empty()) return NotFoundError("guard eval: no hate_*.txt / neutral_*.txt files under " + dir);
  return out;
}

Result<std::vector<EvalExample>> ReadHateCheckCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadAll(path));
  ASSIGN_OR_RETURN(auto rows, ParseCsv(StripBom(text), path));
  if (rows.empty()) return InvalidArgumentError(path + ": empty HateCheck CSV");
  const int c_text = FindColumn(rows[0], "test_case"), c_label = FindColumn(rows[0], "label_gold"),
            c_func = FindColumn(rows[0], "functionality"), c_templ = FindColumn(rows[0], "templ_id");
  if (c_text < 0 || c_label < 0) return InvalidArgumentError(path + ": HateCheck CSV needs test_case and label_gold");
  std::vector<EvalExample> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (static_cast<int>(r.size()) <= std::max(c_text, c_label)) {
      return InvalidArgumentError(StrFormat("%s: row %zu has %zu fields", path.c_str(), i + 1, r.size()));
    }
    const std::string label = Trim(r[c_label]);
    if (label != "hateful" && label != "non-hateful") {
      return InvalidArgumentError(StrFormat("%s: row %zu has label_gold '%s'", path.c_str(), i + 1, label.c_str()));
    }
    EvalExample ex;
    ex.text = Trim(r[c_text]);
    if (label == "hateful") ex.labels = {"S10"};
    ex.language = "en";
    ex.dataset = "hatecheck";
    ex.group = "hatecheck/" + (c_func >= 0 && c_func < static_cast<int>(r.size()) ? r[c_func] : std::string("?"));
    if (c_templ >= 0 && c_templ < static_cast<int>(r.size()) && !Trim(r[c_templ]).empty()) {
      ex.split_key = "hatecheck/templ/" + Trim(r[c_templ]);
    }
    out.push_back(std::move(ex));
  }
  return out;
}

Result<std::vector<EvalExample>> ReadLabeledFile(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  std::vector<EvalExample> out;
  if (EndsWith(path, ".tsv")) {  // the training format: label[,label]<TAB>text[<TAB>language]
    ASSIGN_OR_RETURN(std::vector<LabeledText> rows, ReadTrainingFile(path));
    for (LabeledText& r : rows) {
      EvalExample ex;
      ex.text = std::move(r.text);
      for (const std::string& l : r.labels) {
        for (std::string& code : LabelsFromString(l)) ex.labels.push_back(std::move(code));
      }
      if (!Trim(r.language).empty()) ex.language = Trim(r.language);
      ex.dataset = stem;
      ex.group = stem + "/" + (ex.labels.empty() ? std::string("safe") : ex.labels[0]);
      out.push_back(std::move(ex));
    }
    return out;
  }
  ASSIGN_OR_RETURN(std::string text, ReadAll(path));
  text = StripBom(text);
  if (EndsWith(path, ".jsonl")) {
    RETURN_IF_ERROR(ForEachJsonLine(text, path, "text", [&](const nlohmann::json& j, int64_t lineno) -> Status {
      EvalExample ex;
      ex.text = j["text"].get<std::string>();
      if (j.contains("label")) {
        const auto& l = j["label"];
        if (l.is_string()) {
          ex.labels = LabelsFromString(l.get<std::string>());
        } else if (l.is_array()) {
          for (const auto& x : l) {
            if (x.is_string() && !LabelsFromString(x.get<std::string>()).empty()) ex.labels.push_back(Trim(x.get<std::string>()));
          }
        } else if (!l.is_null()) {
          return InvalidArgumentError(StrFormat("%s:%lld: \"label\" must be a string or an array", path.c_str(),
                                                static_cast<long long>(lineno)));
        }
      }
      if (j.contains("language") && j["language"].is_string()) ex.language = j["language"].get<std::string>();
      ex.dataset = stem;
      ex.group = stem + "/" + (ex.labels.empty() ? std::string("safe") : ex.labels[0]);
      out.push_back(std::move(ex));
      return Status::Ok();
    }));
    return out;
  }
  if (!EndsWith(path, ".csv")) return InvalidArgumentError(path + ": --data must be a .csv, .tsv or .jsonl file");
  ASSIGN_OR_RETURN(auto rows, ParseCsv(text, path));
  if (rows.empty()) return InvalidArgumentError(path + ": empty CSV");
  const int c_text = FindColumn(rows[0], "text"), c_label = FindColumn(rows[0], "label"),
            c_lang = FindColumn(rows[0], "language");
  if (c_text < 0 || c_label < 0) return InvalidArgumentError(path + ": CSV header must name 'text' and 'label'");
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (static_cast<int>(r.size()) <= std::max(c_text, c_label)) {
      return InvalidArgumentError(StrFormat("%s: row %zu has %zu fields", path.c_str(), i + 1, r.size()));
    }
    EvalExample ex;
    ex.text = r[c_text];
    ex.labels = LabelsFromString(r[c_label]);
    if (c_lang >= 0 && c_lang < static_cast<int>(r.size()) && !Trim(r[c_lang]).empty()) ex.language = Trim(r[c_lang]);
    ex.dataset = stem;
    ex.group = stem + "/" + (ex.labels.empty() ? std::string("safe") : ex.labels[0]);
    out.push_back(std::move(ex));
  }
  return out;
}

Result<std::vector<EvalExample>> ReadBenignLines(const std::string& path, std::string_view language,
                                                 std::string_view dataset, int64_t max_lines) {
  ASSIGN_OR_RETURN(std::string text, ReadAll(path));
  std::vector<EvalExample> out;
  size_t start = 0;
  while (start < text.size() && (max_lines <= 0 || static_cast<int64_t>(out.size()) < max_lines)) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = Trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    EvalExample ex;
    ex.text = std::move(line);
    ex.language = std::string(language);
    ex.dataset = std::string(dataset);
    ex.group = std::string(dataset) + "/" + std::string(language);
    out.push_back(std::move(ex));
  }
  return out;
}

Result<std::vector<EvalExample>> ReadGuardDevSets(const std::string& path, std::vector<std::string>* notes) {
  std::error_code ec;
  std::string root = path;
  std::string tmp;
  if (fs::is_regular_file(path, ec)) {
    std::string tmpl = (fs::temp_directory_path() / "sangam-guard-eval-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return IoError("guard eval: cannot create a temporary directory");
    tmp = tmpl;
    Status st = RunProgram({"tar", "-xf", path, "-C", tmp}, nullptr);
    if (!st.ok()) {
      fs::remove_all(tmp, ec);
      return st;
    }
    root = tmp;
  } else if (!fs::is_directory(path, ec)) {
    return NotFoundError("guard eval: dev sets not found: " + path);
  }
  // The sets may sit one folder down (tarballs usually have a top folder).
  auto find_dir = [&](const std::string& name) -> std::string {
    for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
      if (e.is_directory() && e.path().filename() == name) return e.path().string();
    }
    return "";
  };
  std::vector<EvalExample> all;
  auto add = [&](Result<std::vector<EvalExample>> r, const std::string& what) {
    if (!r.ok()) {
      if (notes) notes->push_back(what + ": " + r.status().ToString());
      return;
    }
    for (auto& e : *r) all.push_back(std::move(e));
  };
  if (std::string d = find_dir("ailuminate"); !d.empty()) {
    std::vector<std::string> csvs;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (e.path().extension() == ".csv") csvs.push_back(e.path().string());
    }
    std::sort(csvs.begin(), csvs.end());
    for (const auto& f : csvs) add(ReadAILuminateCsv(f), "ailuminate");
  } else if (notes) {
    notes->push_back("ailuminate: folder not found");
  }
  if (std::string d = find_dir("xsafety"); !d.empty()) add(ReadXSafetyDir(d, notes), "xsafety");
  if (std::string d = find_dir("openai_moderation"); !d.empty()) {
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string f = e.path().string();
      if (EndsWith(f, ".jsonl") || EndsWith(f, ".jsonl.gz")) add(ReadModerationJsonl(f), "moderation");
    }
  }
  if (std::string d = find_dir("toxigen_demos"); !d.empty()) add(ReadToxiGenDir(d), "toxigen");
  if (std::string d = find_dir("hatecheck"); !d.empty()) {
    const std::string f = fs::exists(d + "/test_suite_cases.csv") ? d + "/test_suite_cases.csv" : d + "/all_cases.csv";
    add(ReadHateCheckCsv(f), "hatecheck");
  }
  if (!tmp.empty()) fs::remove_all(tmp, ec);
  if (all.empty()) return NotFoundError("guard eval: no readable data sets under " + path);
  return all;
}

}  // namespace sangam::guard

namespace sangam::guard {

bool InHeldOutHalf(const EvalExample& e) {
  const std::string hex = Sha256Hex("sangam-guard-split-v1\n" + (e.split_key.empty() ? e.text : e.split_key));
  const char c = hex[1];  // low nibble of the first byte
  const int v = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
  return (v & 1) != 0;
}

std::vector<std::string> TrainingLabels(const EvalExample& e) {
  if (e.labels.empty()) return {"benign"};
  std::vector<std::string> out;
  for (const std::string& l : e.labels) {
    if (l != kUnsafeLabel) {
      out.push_back(l);
    } else if (e.group == "xsafety/Goal_Hijacking" || e.group == "xsafety/Prompt_Leaking" ||
               e.group == "xsafety/Role_Play_Instruction") {
      out.push_back("injection");
    } else {
      out.push_back(std::string(kUnsafeLabel));
    }
  }
  return out;
}

}  // namespace sangam::guard
