// Evaluation input: language codes, scripts, UTF-8 counting and reading parallel / plain files.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "sangam/eval.h"
#include "sangam/file.h"

namespace sangam::adapt {
namespace {

// ISO 639-1 / 639-3 -> FLORES-200 code: the 22 scheduled languages of India, then common ones.
constexpr std::pair<const char*, const char*> kLanguageTable[] = {
    {"as", "asm_Beng"},  {"asm", "asm_Beng"}, {"bn", "ben_Beng"},  {"ben", "ben_Beng"},
    {"brx", "brx_Deva"}, {"doi", "doi_Deva"}, {"gu", "guj_Gujr"},  {"guj", "guj_Gujr"},
    {"hi", "hin_Deva"},  {"hin", "hin_Deva"}, {"kn", "kan_Knda"},  {"kan", "kan_Knda"},
    {"ks", "kas_Arab"},  {"kok", "gom_Deva"}, {"gom", "gom_Deva"}, {"mai", "mai_Deva"},
    {"ml", "mal_Mlym"},  {"mal", "mal_Mlym"}, {"mni", "mni_Beng"}, {"mr", "mar_Deva"},
    {"mar", "mar_Deva"}, {"ne", "npi_Deva"},  {"nep", "npi_Deva"}, {"npi", "npi_Deva"},
    {"or", "ory_Orya"},  {"ori", "ory_Orya"}, {"ory", "ory_Orya"}, {"pa", "pan_Guru"},
    {"pan", "pan_Guru"}, {"sa", "san_Deva"},  {"san", "san_Deva"}, {"sat", "sat_Olck"},
    {"sd", "snd_Arab"},  {"snd", "snd_Arab"}, {"ta", "tam_Taml"},  {"tam", "tam_Taml"},
    {"te", "tel_Telu"},  {"tel", "tel_Telu"}, {"ur", "urd_Arab"},  {"urd", "urd_Arab"},
    // Common languages.
    {"en", "eng_Latn"},  {"eng", "eng_Latn"}, {"fr", "fra_Latn"},  {"de", "deu_Latn"},
    {"es", "spa_Latn"},  {"pt", "por_Latn"},  {"it", "ita_Latn"},  {"nl", "nld_Latn"},
    {"pl", "pol_Latn"},  {"ru", "rus_Cyrl"},  {"uk", "ukr_Cyrl"},  {"el", "ell_Grek"},
    {"tr", "tur_Latn"},  {"ar", "arb_Arab"},  {"fa", "pes_Arab"},  {"he", "heb_Hebr"},
    {"zh", "zho_Hans"},  {"ja", "jpn_Jpan"},  {"ko", "kor_Hang"},  {"th", "tha_Thai"},
    {"lo", "lao_Laoo"},  {"km", "khm_Khmr"},  {"my", "mya_Mymr"},  {"bo", "bod_Tibt"},
    {"vi", "vie_Latn"},  {"id", "ind_Latn"},  {"ms", "zsm_Latn"},  {"sw", "swh_Latn"},
    {"si", "sin_Sinh"},  {"am", "amh_Ethi"},  {"yo", "yor_Latn"},  {"ha", "hau_Latn"},
    {"ps", "pbt_Arab"},  {"tl", "tgl_Latn"},  {"sv", "swe_Latn"},  {"fi", "fin_Latn"},
    {"cs", "ces_Latn"},  {"ro", "ron_Latn"},  {"hu", "hun_Latn"},  {"da", "dan_Latn"},
};

// FLORES script suffixes of scripts written without spaces between words.
constexpr const char* kNoSpaceScripts[] = {"Thai", "Laoo", "Khmr", "Mymr", "Hans",
                                           "Hant", "Jpan", "Tibt", "Hani", "Bali", "Java"};
// Scripts known to separate words with spaces.
constexpr const char* kSpaceScripts[] = {
    "Latn", "Cyrl", "Arab", "Deva", "Beng", "Taml", "Telu", "Knda", "Mlym", "Gujr", "Guru",
    "Orya", "Sinh", "Grek", "Hebr", "Armn", "Geor", "Ethi", "Hang", "Olck", "Tfng", "Kore"};

bool IsNoSpaceCodePoint(uint32_t c) {
  return (c >= 0x0E00 && c <= 0x0EFF) ||    // Thai, Lao
         (c >= 0x0F00 && c <= 0x0FFF) ||    // Tibetan
         (c >= 0x1000 && c <= 0x109F) ||    // Myanmar
         (c >= 0xA9E0 && c <= 0xA9FF) || (c >= 0xAA60 && c <= 0xAA7F) ||
         (c >= 0x1780 && c <= 0x17FF) || (c >= 0x19E0 && c <= 0x19FF) ||  // Khmer
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||  // kana
         (c >= 0xFF66 && c <= 0xFF9F) ||                                  // half-width kana
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||  // Han
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

bool IsWhiteSpace(uint32_t c) {  // Unicode White_Space property
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool IsLetterLike(uint32_t c) {  // rough: letters and marks, not digits/punctuation/symbols
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, symbols, arrows, ...
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
  if (c >= 0xFF00 && c <= 0xFF65) return false;  // full-width forms
  return !IsWhiteSpace(c);
}

// Decodes one code point at s[i]; returns its length or 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t n;
  uint32_t c, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return std::string(s.substr(a, b - a));
}

// Validates the lines of one file and keeps the first max_lines.
Status CheckLines(const std::string& path, std::vector<std::string>* lines, int64_t max_lines) {
  if (lines->empty()) {
    return InvalidArgumentError(StrFormat("eval: '%s' is empty (no lines)", path.c_str()));
  }
  if (max_lines > 0 && static_cast<int64_t>(lines->size()) > max_lines) {
    lines->resize(static_cast<size_t>(max_lines));
  }
  EvalTextCounts c;
  for (size_t i = 0; i < lines->size(); ++i) {
    if (!CountText((*lines)[i], &c)) {
      return InvalidArgumentError(
          StrFormat("eval: %s:%zu: invalid UTF-8 (every line must be valid UTF-8 text)",
                    path.c_str(), i + 1));
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadLines(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError(StrFormat("eval: text file '%s' does not exist", path.c_str()));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgumentError(StrFormat("eval: '%s' is a directory, not a text file", path.c_str()));
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte order mark is not text
  return SplitLines(text);
}

}  // namespace

std::string NormalizeLanguageCode(std::string_view code) {
  std::string c = Trim(code);
  if (c.find('_') != std::string::npos) return c;
  std::string lower = c;
  for (char& ch : lower) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  for (const auto& [from, to] : kLanguageTable) {
    if (lower == from) return to;
  }
  return c;
}

bool ScriptUsesSpaces(std::string_view code, std::string_view sample_text) {
  const size_t us = code.rfind('_');
  if (us != std::string_view::npos) {
    const std::string_view script = code.substr(us + 1);
    for (const char* s : kNoSpaceScripts) {
      if (script == s) return false;
    }
    for (const char* s : kSpaceScripts) {
      if (script == s) return true;
    }
  }
  int64_t no_space = 0, other = 0;
  for (size_t i = 0; i < sample_text.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(sample_text, i, &cp);
    if (n == 0) {
      ++i;
      continue;
    }
    i += n;
    if (IsNoSpaceCodePoint(cp)) {
      ++no_space;
    } else if (IsLetterLike(cp)) {
      ++other;
    }
  }
  return no_space <= other;
}

bool CountText(std::string_view utf8, EvalTextCounts* counts) {
  EvalTextCounts c;
  c.bytes = static_cast<int64_t>(utf8.size());
  bool in_word = false;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(utf8, i, &cp);
    if (n == 0) return false;
    i += n;
    ++c.chars;
    const bool ws = IsWhiteSpace(cp);
    if (!ws && !in_word) ++c.words;
    in_word = !ws;
  }
  *counts = c;
  return true;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

Result<EvalCorpus> LoadParallelDir(const std::string& dir_in, const std::vector<std::string>& langs,
                                   const std::string& ref_in, int64_t max_lines) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir_in, ec)) {
    return NotFoundError(StrFormat("eval: parallel directory '%s' does not exist", dir_in.c_str()));
  }
  if (!fs::is_directory(dir_in, ec)) {
    return InvalidArgumentError(
        StrFormat("eval: '%s' is not a directory (--parallel wants a directory of <lang>.dev files; "
                  "use --text for single files)", dir_in.c_str()));
  }
  fs::path dir = dir_in;
  if (fs::is_directory(dir / "dev", ec)) dir /= "dev";

  EvalCorpus corpus;
  corpus.parallel = true;
  // code -> (extension rank, path); .dev < .devtest < .txt.
  std::map<std::string, std::pair<int, std::string>> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const fs::path& p = entry.path();
    const std::string ext = p.extension().string();
    int rank = ext == ".dev" ? 0 : ext == ".devtest" ? 1 : ext == ".txt" ? 2 : -1;
    if (rank < 0) continue;
    const std::string code = p.stem().string();
    if (code.empty()) continue;
    auto it = files.find(code);
    if (it == files.end()) {
      files[code] = {rank, p.string()};
    } else {
      const bool better = rank < it->second.first;
      corpus.warnings.push_back(StrFormat("eval: %s has several files; using '%s', ignoring '%s'",
                                          code.c_str(), better ? p.string().c_str() : it->second.second.c_str(),
                                          better ? it->second.second.c_str() : p.string().c_str()));
      if (better) it->second = {rank, p.string()};
    }
  }
  if (ec) {
    return IoError(StrFormat("eval: cannot list '%s': %s", dir.string().c_str(), ec.message().c_str()));
  }
  if (files.empty()) {
    return NotFoundError(StrFormat(
        "eval: no language files (<lang>.dev, <lang>.devtest or <lang>.txt) in '%s'", dir.string().c_str()));
  }

  std::vector<std::string> selected;
  std::set<std::string> seen;
  auto add = [&](const std::string& code) {
    if (seen.insert(code).second) selected.push_back(code);
  };
  if (langs.empty()) {
    for (const auto& [code, f] : files) add(code);
  } else {
    for (const std::string& raw : langs) {
      const std::string code = NormalizeLanguageCode(raw);
      if (code.empty()) continue;
      if (files.count(code)) {
        add(code);
        continue;
      }
      bool any = false;
      if (code.find('_') == std::string::npos) {  // "kas" -> kas_Arab, kas_Deva
        for (const auto& [c, f] : files) {
          if (c.rfind(code + "_", 0) == 0) {
            add(c);
            any = true;
          }
        }
      }
      if (!any) {
        return NotFoundError(StrFormat("eval: no file for language '%s'%s in '%s' (expected %s.dev, "
                                       ".devtest or .txt)", raw.c_str(),
                                       code != raw ? (" (" + code + ")").c_str() : "",
                                       dir.string().c_str(), code.c_str()));
      }
    }
  }
  if (selected.empty()) return NotFoundError("eval: --langs selected no language");
  const std::string ref = NormalizeLanguageCode(ref_in);
  if (!ref.empty() && !seen.count(ref) && files.count(ref)) selected.insert(selected.begin(), ref);

  size_t n_first = 0;
  std::string first_path;
  for (const std::string& code : selected) {
    EvalLanguageText lt;
    lt.code = code;
    lt.path = files[code].second;
    ASSIGN_OR_RETURN(lt.lines, ReadLines(lt.path));
    if (lt.lines.empty()) {
      return InvalidArgumentError(StrFormat("eval: '%s' is empty (no lines)", lt.path.c_str()));
    }
    if (first_path.empty()) {
      n_first = lt.lines.size();
      first_path = lt.path;
    } else if (lt.lines.size() != n_first) {
      return InvalidArgumentError(StrFormat(
          "eval: parallel files are not aligned: '%s' has %zu lines, '%s' has %zu (token premiums "
          "need line-aligned translations; use --text for unaligned files)",
          first_path.c_str(), n_first, lt.path.c_str(), lt.lines.size()));
    }
    RETURN_IF_ERROR(CheckLines(lt.path, &lt.lines, max_lines));
    corpus.languages.push_back(std::move(lt));
  }
  return corpus;
}

Result<EvalCorpus> LoadTextFiles(const std::vector<std::string>& files,
                                 const std::vector<std::string>& langs, int64_t max_lines) {
  if (files.empty()) return InvalidArgumentError("eval: no text files given");
  if (files.size() != langs.size()) {
    return InvalidArgumentError(StrFormat(
        "eval: %zu text files but %zu languages in --langs (give one language per file, in order)",
        files.size(), langs.size()));
  }
  EvalCorpus corpus;
  corpus.parallel = false;
  for (size_t i = 0; i < files.size(); ++i) {
    EvalLanguageText lt;
    lt.code = NormalizeLanguageCode(langs[i]);
    if (lt.code.empty()) {
      return InvalidArgumentError(StrFormat("eval: empty language code for '%s'", files[i].c_str()));
    }
    lt.path = files[i];
    ASSIGN_OR_RETURN(lt.lines, ReadLines(lt.path));
    RETURN_IF_ERROR(CheckLines(lt.path, &lt.lines, max_lines));
    corpus.languages.push_back(std::move(lt));
  }
  return corpus;
}

}  // namespace sangam::adapt
