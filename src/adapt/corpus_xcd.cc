// Reader for the translated strings in LibreOffice's configuration layers (registry_<lang>.xcd).
#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {

Result<std::vector<std::string>> ParseXcdValues(std::string_view xml, const std::string& lang_tag,
                                                const std::string& name) {
  std::vector<std::string> values;
  const std::string open = "<value xml:lang=\"" + lang_tag + "\"";
  size_t at = 0;
  while ((at = xml.find(open, at)) != std::string_view::npos) {
    const size_t gt = xml.find('>', at);
    if (gt == std::string_view::npos) {
      return DataLossError(StrFormat("xcd: '%s': unterminated <value> tag at byte %zu", name.c_str(), at));
    }
    const std::string_view tag = xml.substr(at, gt - at);
    if (!tag.empty() && tag.back() == '/') {  // <value xml:lang="hi"/>: empty
      at = gt + 1;
      continue;
    }
    const size_t end = xml.find("</value>", gt);
    if (end == std::string_view::npos) {
      return DataLossError(StrFormat("xcd: '%s': <value> at byte %zu is never closed", name.c_str(), at));
    }
    const std::string inner = DecodeEntities(xml.substr(gt + 1, end - gt - 1));
    // oor:separator="X" makes the value a list.
    char sep = 0;
    const size_t sep_at = tag.find("oor:separator=\"");
    if (sep_at != std::string_view::npos && sep_at + 16 < tag.size() && tag[sep_at + 16] == '"') {
      sep = tag[sep_at + 15];
    }
    size_t start = 0;
    while (start <= inner.size()) {
      size_t stop = sep ? inner.find(sep, start) : std::string::npos;
      if (stop == std::string::npos) stop = inner.size();
      if (stop > start) values.emplace_back(inner.substr(start, stop - start));
      start = stop + 1;
    }
    at = end + 8;
  }
  return values;
}

Result<std::vector<std::string>> ReadXcdValues(const std::string& path, const std::string& lang_tag) {
  ASSIGN_OR_RETURN(std::string xml, ReadFileToString(path));
  return ParseXcdValues(xml, lang_tag, path);
}

}  // namespace sangam::adapt
