// The corpus languages (India's 22 scheduled languages plus English), their scripts and sources;
// and installed Debian package versions from the dpkg status file.
#include <algorithm>
#include <cctype>

#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {

const std::vector<LanguageInfo>& CorpusLanguages() {
  // UDHR files are taken only when their script is the one the corpus uses for the language;
  // LibreOffice's catalogues for these locales are all in the listed script.
  static const std::vector<LanguageInfo> kLanguages = {
      {"as", "asm", "Assamese", "Beng", "as", "libreoffice-l10n-as", {}, "Bengali-Assamese script; no UDHR text"},
      {"bn", "ben", "Bengali", "Beng", "bn", "libreoffice-l10n-bn", {"ben"}, ""},
      {"brx", "brx", "Bodo", "Deva", "", "", {}, "Devanagari; no installed source"},
      {"doi", "doi", "Dogri", "Deva", "", "", {}, "Devanagari; no installed source"},
      {"gu", "guj", "Gujarati", "Gujr", "gu", "libreoffice-l10n-gu", {"guj"}, ""},
      {"hi", "hin", "Hindi", "Deva", "hi", "libreoffice-l10n-hi", {"hin"}, ""},
      {"kn", "kan", "Kannada", "Knda", "kn", "libreoffice-l10n-kn", {"kan"}, ""},
      {"ks", "kas", "Kashmiri", "Arab", "", "", {},
       "Perso-Arabic script (Devanagari also used); no installed source"},
      {"kok", "kok", "Konkani", "Deva", "", "", {}, "Devanagari (official script); no installed source"},
      {"mai", "mai", "Maithili", "Deva", "", "", {"mai"}, "UDHR only"},
      {"ml", "mal", "Malayalam", "Mlym", "ml", "libreoffice-l10n-ml", {"mal"},
       "UDHR 'mal_chillus' left out: the same text as 'mal' with atomic chillu letters"},
      {"mni", "mni", "Manipuri (Meitei)", "Mtei", "", "", {},
       "Meitei Mayek script (Bengali script also used); no installed source"},
      {"mr", "mar", "Marathi", "Deva", "mr", "libreoffice-l10n-mr", {"mar"}, ""},
      {"ne", "npi", "Nepali", "Deva", "ne", "libreoffice-l10n-ne", {"nep"}, ""},
      {"or", "ory", "Odia", "Orya", "or", "libreoffice-l10n-or", {}, "no UDHR text"},
      {"pa", "pan", "Punjabi", "Guru", "pa_IN", "libreoffice-l10n-pa-in", {"pan"},
       "Gurmukhi; UDHR 'pnb' (Western Panjabi, Shahmukhi) left out"},
      {"sa", "san", "Sanskrit", "Deva", "", "", {"san"},
       "UDHR only; 'san_gran' (Grantha script) left out"},
      {"sat", "sat", "Santali", "Olck", "", "", {}, "Ol Chiki script; no installed source"},
      {"sd", "snd", "Sindhi", "Arab", "", "", {},
       "Perso-Arabic script (Devanagari also used in India); no installed source"},
      {"ta", "tam", "Tamil", "Taml", "ta", "libreoffice-l10n-ta", {"tam", "tam_LK"},
       "UDHR: Indian and Sri Lankan translations"},
      {"te", "tel", "Telugu", "Telu", "te", "libreoffice-l10n-te", {"tel"}, ""},
      {"ur", "urd", "Urdu", "Arab", "", "", {"urd", "urd_2"}, "UDHR only (two translations)"},
      {"eng", "eng", "English", "Latn", "", "", {"eng"},
       "LibreOffice source strings (msgid), UDHR, and Debian's verbatim-copyable licence texts"},
  };
  return kLanguages;
}

const LanguageInfo* FindCorpusLanguage(std::string_view code) {
  std::string c;
  for (char ch : code) c += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::replace(c.begin(), c.end(), '_', '-');
  if (c == "en") c = "eng";
  if (c == "pa-in") c = "pa";
  for (const LanguageInfo& l : CorpusLanguages()) {
    if (l.code == c || l.iso6393 == c) return &l;
  }
  return nullptr;
}

Result<std::string> DpkgPackageVersion(const std::string& status_path, const std::string& package) {
  ASSIGN_OR_RETURN(std::string status, ReadFileToString(status_path));
  // Paragraphs separated by blank lines; fields "Name: value" (continuation lines start with a space).
  size_t at = 0;
  while (at < status.size()) {
    size_t end = status.find("\n\n", at);
    if (end == std::string::npos) end = status.size();
    const std::string_view para(status.data() + at, end - at);
    std::string pkg, version, state;
    size_t line_start = 0;
    while (line_start < para.size()) {
      size_t nl = para.find('\n', line_start);
      if (nl == std::string_view::npos) nl = para.size();
      const std::string_view line = para.substr(line_start, nl - line_start);
      auto field = [&](std::string_view name, std::string* out) {
        if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name && line[name.size()] == ':') {
          std::string_view v = line.substr(name.size() + 1);
          while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
          *out = std::string(v);
        }
      };
      field("Package", &pkg);
      field("Version", &version);
      field("Status", &state);
      line_start = nl + 1;
    }
    if (pkg == package && state.ends_with(" ok installed")) {
      return version;
    }
    at = end + 2;
  }
  return NotFoundError(StrFormat("dpkg: package '%s' is not installed (per %s)", package.c_str(), status_path.c_str()));
}

}  // namespace sangam::adapt
