// Reads the first worksheet of an .xlsx file: a small ZIP reader (stored/deflate via zlib), a
// hand-written XML scanner, and the SpreadsheetML parts (workbook, relationships, shared strings).
#define ZLIB_CONST
#include "guard/xlsx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <utility>

#include "sangam/file.h"

namespace sangam::guard {
namespace {

using Rows = std::vector<std::vector<std::string>>;

constexpr size_t kMaxCellSlots = size_t{1} << 22;     // cells incl. gaps across kept rows
constexpr size_t kMaxTextBytes = size_t{256} << 20;   // decoded text across all cells / strings
constexpr size_t kMaxSharedStrings = size_t{1} << 22;
constexpr size_t kMaxXmlDepth = 256;
constexpr uint64_t kMaxColumns = 16384;  // Excel's XFD

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimWs(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// ---------------------------------------------------------------- ZIP container

constexpr uint32_t kSigLocal = 0x04034b50;
constexpr uint32_t kSigCentral = 0x02014b50;
constexpr uint32_t kSigEocd = 0x06054b50;
constexpr uint32_t kSigZip64Locator = 0x07064b50;

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint32_t csize = 0;
  uint32_t usize = 0;
  uint32_t local_offset = 0;
};

// A read-only view of a ZIP archive's central directory; entries are extracted on demand. The
// archive bytes must outlive the object.
class ZipArchive {
 public:
  static Result<ZipArchive> Open(std::string_view data, const std::string& name);
  // Exact name first, then ASCII case-insensitively (OPC part names are case-insensitive).
  const ZipEntry* Find(std::string_view entry_name) const;
  Result<std::string> Extract(const ZipEntry& e) const;

 private:
  Status Corrupt(const std::string& what) const { return DataLossError("xlsx: " + name_ + ": " + what); }

  std::string_view data_;
  std::string name_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> exact_;
  std::unordered_map<std::string, size_t> lower_;
};

Result<ZipArchive> ZipArchive::Open(std::string_view data, const std::string& name) {
  ZipArchive z;
  z.data_ = data;
  z.name_ = name;
  const auto* b = reinterpret_cast<const uint8_t*>(data.data());
  const uint64_t size = data.size();
  if (size < 22) {
    return z.Corrupt(StrFormat("too small to be a ZIP archive (%llu bytes; an .xlsx is a ZIP file)",
                               static_cast<unsigned long long>(size)));
  }
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  uint64_t eocd = UINT64_MAX;
  const uint64_t lowest = size - 22 > 0xFFFF ? size - 22 - 0xFFFF : 0;
  for (uint64_t p = size - 22;; --p) {
    if (Le32(b + p) == kSigEocd && p + 22 + Le16(b + p + 20) <= size) {
      eocd = p;
      break;
    }
    if (p == lowest) break;
  }
  if (eocd == UINT64_MAX) {
    return z.Corrupt("no ZIP end-of-central-directory record (truncated, or not an .xlsx/ZIP file)");
  }
  const uint16_t disk = Le16(b + eocd + 4);
  const uint16_t cd_disk = Le16(b + eocd + 6);
  const uint16_t n_on_disk = Le16(b + eocd + 8);
  const uint16_t n_total = Le16(b + eocd + 10);
  const uint32_t cd_size = Le32(b + eocd + 12);
  const uint32_t cd_off = Le32(b + eocd + 16);
  if (n_total == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu ||
      (eocd >= 20 && Le32(b + eocd - 20) == kSigZip64Locator)) {
    return UnimplementedError("xlsx: " + name + ": ZIP64 archives are not supported");
  }
  if (disk != 0 || cd_disk != 0 || n_on_disk != n_total) {
    return UnimplementedError("xlsx: " + name + ": multi-disk (split) ZIP archives are not supported");
  }
  if (static_cast<uint64_t>(cd_off) + cd_size > eocd) {
    return z.Corrupt(StrFormat("central directory (offset=%u, size=%u) extends past the "
                               "end-of-central-directory record at offset %llu",
                               cd_off, cd_size, static_cast<unsigned long long>(eocd)));
  }
  const uint64_t cd_end = static_cast<uint64_t>(cd_off) + cd_size;
  uint64_t p = cd_off;
  z.entries_.reserve(n_total);
  for (uint32_t i = 0; i < n_total; ++i) {
    if (p + 46 > cd_end) {
      return z.Corrupt(StrFormat("central directory entry %u of %u at offset %llu is truncated "
                                 "(directory ends at %llu)",
                                 i, n_total, static_cast<unsigned long long>(p),
                                 static_cast<unsigned long long>(cd_end)));
    }
    const uint8_t* h = b + p;
    if (Le32(h) != kSigCentral) {
      return z.Corrupt(StrFormat("central directory entry %u at offset %llu has a bad signature "
                                 "0x%08x (expected 0x%08x)",
                                 i, static_cast<unsigned long long>(p), Le32(h), kSigCentral));
    }
    ZipEntry e;
    e.flags = Le16(h + 8);
    e.method = Le16(h + 10);
    e.crc = Le32(h + 16);
    e.csize = Le32(h + 20);
    e.usize = Le32(h + 24);
    const uint16_t name_len = Le16(h + 28);
    const uint16_t extra_len = Le16(h + 30);
    const uint16_t comment_len = Le16(h + 32);
    e.local_offset = Le32(h + 42);
    const uint64_t next = p + 46 + name_len + extra_len + comment_len;
    if (next > cd_end) {
      return z.Corrupt(StrFormat("central directory entry %u at offset %llu: name/extra/comment "
                                 "(%u+%u+%u bytes) extend past the directory end at %llu",
                                 i, static_cast<unsigned long long>(p), name_len, extra_len,
                                 comment_len, static_cast<unsigned long long>(cd_end)));
    }
    e.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    if (e.csize == 0xFFFFFFFFu || e.usize == 0xFFFFFFFFu || e.local_offset == 0xFFFFFFFFu) {
      return UnimplementedError("xlsx: " + name + ": entry '" + e.name +
                                "' uses ZIP64 sizes/offsets, which are not supported");
    }
    z.exact_.emplace(e.name, z.entries_.size());
    z.lower_.emplace(AsciiLower(e.name), z.entries_.size());
    z.entries_.push_back(std::move(e));
    p = next;
  }
  return z;
}

const ZipEntry* ZipArchive::Find(std::string_view entry_name) const {
  auto it = exact_.find(std::string(entry_name));
  if (it != exact_.end()) return &entries_[it->second];
  it = lower_.find(AsciiLower(entry_name));
  return it == lower_.end() ? nullptr : &entries_[it->second];
}

Result<std::string> ZipArchive::Extract(const ZipEntry& e) const {
  const std::string what = "entry '" + e.name + "'";
  const std::string where = "xlsx: " + name_ + ": " + what;
  const auto* b = reinterpret_cast<const uint8_t*>(data_.data());
  const uint64_t size = data_.size();
  if (e.flags & 1) return UnimplementedError(where + " is encrypted");
  if (e.usize > kXlsxMaxEntryBytes) {
    return ResourceExhaustedError(StrFormat("%s is %u bytes uncompressed; the limit is %llu bytes",
                                            where.c_str(), e.usize,
                                            static_cast<unsigned long long>(kXlsxMaxEntryBytes)));
  }
  const uint64_t lh = e.local_offset;
  if (lh + 30 > size) {
    return Corrupt(StrFormat("%s: local header (offset=%u) is past the end of the file (size=%llu)",
                             what.c_str(), e.local_offset, static_cast<unsigned long long>(size)));
  }
  if (Le32(b + lh) != kSigLocal) {
    return Corrupt(StrFormat("%s: bad local header signature 0x%08x at offset %u", what.c_str(),
                             Le32(b + lh), e.local_offset));
  }
  const uint64_t data_off = lh + 30 + Le16(b + lh + 26) + Le16(b + lh + 28);
  if (data_off + e.csize > size) {
    return Corrupt(StrFormat("%s: data (offset=%llu, size=%u) extends past the end of the file "
                             "(size=%llu)",
                             what.c_str(), static_cast<unsigned long long>(data_off), e.csize,
                             static_cast<unsigned long long>(size)));
  }
  const uint8_t* src = b + data_off;
  std::string out;
  if (e.method == 0) {
    if (e.csize != e.usize) {
      return Corrupt(StrFormat("%s: stored entry has compressed size %u but uncompressed size %u",
                               what.c_str(), e.csize, e.usize));
    }
    out.assign(reinterpret_cast<const char*>(src), e.csize);
  } else if (e.method == 8) {
    // One extra byte of room tells "inflates to more than declared" from "exactly as declared".
    out.resize(static_cast<size_t>(e.usize) + 1);
    z_stream s{};
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
      return ResourceExhaustedError(where + ": zlib inflateInit2 failed");
    }
    s.next_in = src;
    s.avail_in = e.csize;
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&s, Z_FINISH);
    const uint64_t produced = s.total_out;
    const std::string zmsg = s.msg ? s.msg : "";
    inflateEnd(&s);
    if (rc == Z_MEM_ERROR) return ResourceExhaustedError(where + ": out of memory while inflating");
    if (rc == Z_DATA_ERROR) return Corrupt(what + ": corrupt deflate data (" + zmsg + ")");
    if (produced > e.usize) {
      return Corrupt(StrFormat("%s: inflates to more than the declared %u bytes", what.c_str(),
                               e.usize));
    }
    if (rc != Z_STREAM_END) {
      return Corrupt(StrFormat("%s: deflate data ends early (%llu of %u bytes produced)",
                               what.c_str(), static_cast<unsigned long long>(produced), e.usize));
    }
    if (produced != e.usize) {
      return Corrupt(StrFormat("%s: inflates to %llu bytes but the directory says %u",
                               what.c_str(), static_cast<unsigned long long>(produced), e.usize));
    }
    out.resize(e.usize);
  } else {
    return UnimplementedError(StrFormat("%s uses compression method %u (only 0=stored and "
                                        "8=deflate are supported)",
                                        where.c_str(), e.method));
  }
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()),
            static_cast<uInt>(out.size())));
  if (crc != e.crc) {
    return Corrupt(StrFormat("%s: CRC-32 mismatch (computed 0x%08x, directory says 0x%08x)",
                             what.c_str(), crc, e.crc));
  }
  return out;
}

// ---------------------------------------------------------------- text decoding

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends XML character data with entities decoded and line ends normalised (CRLF/CR -> LF, as
// an XML parser must). Unknown or malformed references are kept literally.
void AppendXmlText(std::string_view raw, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '\r') {
      out->push_back('\n');
      i += (i + 1 < raw.size() && raw[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (c != '&') {
      out->push_back(c);
      ++i;
      continue;
    }
    const size_t semi = raw.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out->push_back('&');
      ++i;
      continue;
    }
    const std::string_view ent = raw.substr(i + 1, semi - i - 1);
    bool ok = true;
    if (ent == "amp") {
      out->push_back('&');
    } else if (ent == "lt") {
      out->push_back('<');
    } else if (ent == "gt") {
      out->push_back('>');
    } else if (ent == "quot") {
      out->push_back('"');
    } else if (ent == "apos") {
      out->push_back('\'');
    } else if (ent.size() >= 2 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      const std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      ok = !digits.empty();
      for (char d : digits) {
        const int v = hex ? HexValue(d) : (d >= '0' && d <= '9' ? d - '0' : -1);
        if (v < 0) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        if (cp > 0x10FFFF) cp = 0x110000;  // stays out of range without overflowing
      }
      if (ok) AppendUtf8(cp, out);
    } else {
      ok = false;
    }
    if (ok) {
      i = semi + 1;
    } else {
      out->push_back('&');
      ++i;
    }
  }
}

std::string XmlText(std::string_view raw) {
  std::string out;
  AppendXmlText(raw, &out);
  return out;
}

// Decodes OOXML's _xHHHH_ escapes (one UTF-16 code unit each; surrogate pairs combine, lone
// surrogates and NUL become U+FFFD). "_x005F_" is a literal underscore, so "_x005F_x0041_"
// decodes to "_x0041_".
std::string DecodeXEscapes(std::string_view s) {
  if (s.find("_x") == std::string_view::npos) return std::string(s);
  auto unit_at = [&](size_t i, uint32_t* u) {
    if (i + 7 > s.size() || s[i] != '_' || (s[i + 1] != 'x' && s[i + 1] != 'X') || s[i + 6] != '_') {
      return false;
    }
    uint32_t v = 0;
    for (size_t k = 2; k < 6; ++k) {
      const int h = HexValue(s[i + k]);
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    *u = v;
    return true;
  };
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t u = 0;
    if (!unit_at(i, &u)) {
      out.push_back(s[i++]);
      continue;
    }
    i += 7;
    uint32_t lo = 0;
    if (u >= 0xD800 && u <= 0xDBFF && unit_at(i, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 7;
    }
    AppendUtf8(u, &out);
  }
  return out;
}

// ---------------------------------------------------------------- XML scanner

enum class XmlKind { kStart, kEnd, kText, kCData, kEof };

struct XmlAttr {
  std::string_view name;  // qualified, e.g. "r:id"
  std::string_view raw;   // undecoded value
};

struct XmlToken {
  XmlKind kind = XmlKind::kEof;
  std::string_view name;  // local name (prefix removed) for kStart / kEnd
  std::vector<XmlAttr> attrs;
  std::string_view text;  // raw character data for kText / kCData
};

std::string_view LocalName(std::string_view q) {
  const size_t c = q.rfind(':');
  return c == std::string_view::npos ? q : q.substr(c + 1);
}

// Decoded value of the attribute whose local name is `local`; with `prefixed`, only one that has a
// namespace prefix (r:id, not Id). Empty optional-like flag via *found.
std::string Attr(const XmlToken& t, std::string_view local, bool* found = nullptr,
                 bool prefixed = false) {
  for (const XmlAttr& a : t.attrs) {
    if (LocalName(a.name) == local && (!prefixed || a.name.find(':') != std::string_view::npos)) {
      if (found) *found = true;
      return XmlText(a.raw);
    }
  }
  if (found) *found = false;
  return {};
}

// A pull scanner over one XML document: start tags (a self-closing tag yields kStart then kEnd),
// end tags, character data, CDATA. Skips the declaration, processing instructions, comments and
// DOCTYPE. Checks that end tags match and nesting stays under kMaxXmlDepth; errors are DataLoss
// naming the document and byte offset. Does not resolve namespaces beyond dropping prefixes.
class XmlScanner {
 public:
  XmlScanner(std::string_view xml, std::string where) : x_(xml), where_(std::move(where)) {
    if (x_.size() >= 3 && x_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  Status Next(XmlToken* t) {
    t->attrs.clear();
    t->text = {};
    t->name = {};
    if (pending_end_) {
      pending_end_ = false;
      t->kind = XmlKind::kEnd;
      t->name = LocalName(pending_name_);
      return Status::Ok();
    }
    if (pos_ == 0 && x_.size() >= 2 &&
        ((x_[0] == '\xFF' && x_[1] == '\xFE') || (x_[0] == '\xFE' && x_[1] == '\xFF'))) {
      return UnimplementedError(where_ + ": UTF-16 XML is not supported");
    }
    while (true) {
      if (pos_ >= x_.size()) {
        if (!stack_.empty()) {
          return Error(x_.size(), "document ends inside <" + std::string(stack_.back()) + ">");
        }
        t->kind = XmlKind::kEof;
        return Status::Ok();
      }
      if (x_[pos_] != '<') {
        const size_t lt = x_.find('<', pos_);
        const size_t end = lt == std::string_view::npos ? x_.size() : lt;
        t->kind = XmlKind::kText;
        t->text = x_.substr(pos_, end - pos_);
        pos_ = end;
        return Status::Ok();
      }
      const std::string_view rest = x_.substr(pos_);
      if (rest.substr(0, 2) == "<?") {
        RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
        continue;
      }
      if (rest.substr(0, 4) == "<!--") {
        RETURN_IF_ERROR(SkipPast("-->", "comment"));
        continue;
      }
      if (rest.substr(0, 9) == "<![CDATA[") {
        const size_t start = pos_ + 9;
        const size_t end = x_.find("]]>", start);
        if (end == std::string_view::npos) return Error(pos_, "unterminated CDATA section");
        t->kind = XmlKind::kCData;
        t->text = x_.substr(start, end - start);
        pos_ = end + 3;
        return Status::Ok();
      }
      if (rest.substr(0, 2) == "<!") {  // DOCTYPE, possibly with an internal subset [...]
        const size_t gt = x_.find('>', pos_);
        const size_t br = x_.find('[', pos_);
        if (br != std::string_view::npos && (gt == std::string_view::npos || br < gt)) {
          RETURN_IF_ERROR(SkipPast("]>", "DOCTYPE"));
        } else {
          RETURN_IF_ERROR(SkipPast(">", "declaration"));
        }
        continue;
      }
      if (rest.substr(0, 2) == "</") return EndTag(t);
      return StartTag(t);
    }
  }

 private:
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  Status Error(size_t at, const std::string& what) const {
    return DataLossError(StrFormat("%s: malformed XML at byte %zu: %s", where_.c_str(), at, what.c_str()));
  }

  Status SkipPast(std::string_view terminator, const char* what) {
    const size_t end = x_.find(terminator, pos_ + 1);
    if (end == std::string_view::npos) return Error(pos_, std::string("unterminated ") + what);
    pos_ = end + terminator.size();
    return Status::Ok();
  }

  void SkipSpace() {
    while (pos_ < x_.size() && IsSpace(x_[pos_])) ++pos_;
  }

  std::string_view ReadName(bool attribute) {
    const size_t start = pos_;
    while (pos_ < x_.size()) {
      const char c = x_[pos_];
      if (IsSpace(c) || c == '>' || c == '/' || c == '<' || (attribute && c == '=')) break;
      ++pos_;
    }
    return x_.substr(start, pos_ - start);
  }

  Status EndTag(XmlToken* t) {
    const size_t at = pos_;
    pos_ += 2;
    const std::string_view name = ReadName(false);
    SkipSpace();
    if (pos_ >= x_.size() || x_[pos_] != '>') return Error(at, "unterminated end tag");
    ++pos_;
    if (name.empty()) return Error(at, "end tag without a name");
    if (stack_.empty() || stack_.back() != name) {
      return Error(at, "end tag </" + std::string(name) + "> does not match " +
                           (stack_.empty() ? std::string("any open element")
                                           : "<" + std::string(stack_.back()) + ">"));
    }
    stack_.pop_back();
    t->kind = XmlKind::kEnd;
    t->name = LocalName(name);
    return Status::Ok();
  }

  Status StartTag(XmlToken* t) {
    const size_t at = pos_;
    ++pos_;
    const std::string_view name = ReadName(false);
    if (name.empty()) return Error(at, "tag without a name");
    while (true) {
      SkipSpace();
      if (pos_ >= x_.size()) return Error(at, "unterminated tag <" + std::string(name) + ">");
      const char c = x_[pos_];
      if (c == '>') {
        ++pos_;
        if (stack_.size() >= kMaxXmlDepth) return Error(at, "elements nested too deeply");
        stack_.push_back(name);
        break;
      }
      if (c == '/') {
        if (pos_ + 1 >= x_.size() || x_[pos_ + 1] != '>') return Error(pos_, "stray '/' in tag");
        pos_ += 2;
        pending_end_ = true;
        pending_name_ = name;
        break;
      }
      const size_t attr_at = pos_;
      const std::string_view an = ReadName(true);
      if (an.empty()) return Error(attr_at, "bad attribute in <" + std::string(name) + ">");
      SkipSpace();
      if (pos_ >= x_.size() || x_[pos_] != '=') {
        return Error(attr_at, "attribute '" + std::string(an) + "' has no value");
      }
      ++pos_;
      SkipSpace();
      if (pos_ >= x_.size() || (x_[pos_] != '"' && x_[pos_] != '\'')) {
        return Error(attr_at, "attribute '" + std::string(an) + "' value is not quoted");
      }
      const char q = x_[pos_];
      const size_t vend = x_.find(q, pos_ + 1);
      if (vend == std::string_view::npos) return Error(attr_at, "unterminated attribute value");
      t->attrs.push_back({an, x_.substr(pos_ + 1, vend - pos_ - 1)});
      pos_ = vend + 1;
    }
    t->kind = XmlKind::kStart;
    t->name = LocalName(name);
    return Status::Ok();
  }

  std::string_view x_;
  size_t pos_ = 0;
  std::string where_;
  std::vector<std::string_view> stack_;
  bool pending_end_ = false;
  std::string_view pending_name_;
};

// ---------------------------------------------------------------- SpreadsheetML parts

// The relationship id (r:id) of the first <sheet> in the workbook; empty when there is none.
Result<std::string> FirstSheetRelId(std::string_view xml, const std::string& where) {
  XmlScanner sc(xml, where);
  XmlToken t;
  while (true) {
    RETURN_IF_ERROR(sc.Next(&t));
    if (t.kind == XmlKind::kEof) return std::string();
    if (t.kind == XmlKind::kStart && t.name == "sheet") return Attr(t, "id", nullptr, /*prefixed=*/true);
  }
}

struct Relationship {
  std::string id, type, target;
  bool external = false;
};

Result<std::vector<Relationship>> ParseRelationships(std::string_view xml, const std::string& where) {
  XmlScanner sc(xml, where);
  XmlToken t;
  std::vector<Relationship> rels;
  while (true) {
    RETURN_IF_ERROR(sc.Next(&t));
    if (t.kind == XmlKind::kEof) return rels;
    if (t.kind != XmlKind::kStart || t.name != "Relationship") continue;
    Relationship r;
    r.id = Attr(t, "Id");
    r.type = Attr(t, "Type");
    r.target = Attr(t, "Target");
    r.external = Attr(t, "TargetMode") == "External";
    rels.push_back(std::move(r));
  }
}

// A relationship target relative to `base_dir` ("xl/"), or package-absolute when it starts with
// '/', as a ZIP entry name with "." and ".." resolved.
std::string ResolvePartName(std::string_view base_dir, std::string_view target) {
  const std::string joined = !target.empty() && target[0] == '/'
                                 ? std::string(target.substr(1))
                                 : std::string(base_dir) + std::string(target);
  std::vector<std::string_view> segs;
  std::string_view rest = joined;
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string out;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (i) out.push_back('/');
    out.append(segs[i]);
  }
  return out;
}

// Text of the current <t> runs of a string item (<si> or <is>), skipping phonetic <rPh> runs.
struct RunText {
  bool in_t = false;
  int rph_depth = 0;
  std::string text;

  void Reset() {
    in_t = false;
    rph_depth = 0;
    text.clear();
  }
  // Feeds one token seen inside the item.
  void Feed(const XmlToken& t) {
    if (t.kind == XmlKind::kStart) {
      if (t.name == "rPh") ++rph_depth;
      if (t.name == "t") in_t = true;
    } else if (t.kind == XmlKind::kEnd) {
      if (t.name == "rPh" && rph_depth > 0) --rph_depth;
      if (t.name == "t") in_t = false;
    } else if (in_t && rph_depth == 0) {
      if (t.kind == XmlKind::kText) AppendXmlText(t.text, &text);
      if (t.kind == XmlKind::kCData) text.append(t.text);
    }
  }
};

Result<std::vector<std::string>> ParseSharedStrings(std::string_view xml, const std::string& where) {
  XmlScanner sc(xml, where);
  XmlToken t;
  std::vector<std::string> out;
  RunText run;
  bool in_si = false;
  size_t bytes = 0;
  while (true) {
    RETURN_IF_ERROR(sc.Next(&t));
    if (t.kind == XmlKind::kEof) return out;
    if (t.kind == XmlKind::kStart && t.name == "si") {
      in_si = true;
      run.Reset();
    } else if (t.kind == XmlKind::kEnd && t.name == "si" && in_si) {
      in_si = false;
      std::string s = DecodeXEscapes(run.text);
      bytes += s.size();
      if (out.size() >= kMaxSharedStrings || bytes > kMaxTextBytes) {
        return ResourceExhaustedError(where + ": too many shared strings (limit " +
                                      std::to_string(kMaxSharedStrings) + " strings / " +
                                      std::to_string(kMaxTextBytes) + " bytes)");
      }
      out.push_back(std::move(s));
    } else if (in_si) {
      run.Feed(t);
    }
  }
}

// Zero-based column of a cell reference such as "B3" (letters, then digits); false if malformed.
bool ParseColumn(std::string_view ref, size_t* col) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i < ref.size(); ++i) {
    char ch = ref[i];
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') break;
    c = c * 26 + static_cast<uint64_t>(ch - 'A' + 1);
    if (c > kMaxColumns) return false;
  }
  if (i == 0) return false;
  for (; i < ref.size(); ++i) {
    if (ref[i] < '0' || ref[i] > '9') return false;
  }
  *col = static_cast<size_t>(c - 1);
  return true;
}

bool ParseUint(std::string_view s, uint64_t* v) {
  s = TrimWs(s);
  if (s.empty() || s.size() > 18) return false;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = x;
  return true;
}

Result<Rows> ParseSheet(std::string_view xml, const std::string& where,
                        const std::vector<std::string>& sst) {
  XmlScanner sc(xml, where);
  XmlToken t;
  std::vector<std::pair<uint64_t, std::vector<std::string>>> rows;
  std::vector<std::string> cells;
  bool in_row = false;
  uint64_t row_num = 0;
  size_t next_col = 0;
  // The cell being read.
  bool in_cell = false, in_v = false, in_is = false, has_is = false;
  size_t col = 0;
  std::string type, ref, v;
  RunText run;
  size_t slots = 0, text_bytes = 0;
  auto cell_name = [&]() {
    return ref.empty() ? StrFormat("cell (row %llu, column %zu)",
                                   static_cast<unsigned long long>(row_num), col + 1)
                       : "cell " + ref;
  };
  while (true) {
    RETURN_IF_ERROR(sc.Next(&t));
    if (t.kind == XmlKind::kEof) break;
    if (t.kind == XmlKind::kStart) {
      if (in_cell) {
        if (t.name == "v") {
          in_v = true;
        } else if (t.name == "is") {
          in_is = has_is = true;
        } else if (in_is) {
          run.Feed(t);
        }
      } else if (t.name == "row") {
        if (in_row) return DataLossError(where + ": <row> inside another <row>");
        bool has_r = false;
        const std::string r = Attr(t, "r", &has_r);
        uint64_t n = row_num + 1;
        if (has_r && !ParseUint(r, &n)) {
          return DataLossError(StrFormat("%s: row after row %llu has a malformed number r=\"%s\"",
                                         where.c_str(), static_cast<unsigned long long>(row_num),
                                         r.c_str()));
        }
        row_num = n;
        in_row = true;
        cells.clear();
        next_col = 0;
      } else if (t.name == "c") {
        if (!in_row) return DataLossError(where + ": a <c> cell outside any <row>");
        bool has_r = false;
        ref = Attr(t, "r", &has_r);
        if (!has_r) {
          ref.clear();
          col = next_col;
        } else if (!ParseColumn(ref, &col)) {
          return DataLossError(StrFormat("%s: row %llu has a cell with a malformed reference "
                                         "r=\"%s\"",
                                         where.c_str(), static_cast<unsigned long long>(row_num),
                                         ref.c_str()));
        }
        if (col >= kMaxColumns) {
          return DataLossError(StrFormat("%s: row %llu has more than %llu cells", where.c_str(),
                                         static_cast<unsigned long long>(row_num),
                                         static_cast<unsigned long long>(kMaxColumns)));
        }
        type = Attr(t, "t");
        v.clear();
        run.Reset();
        in_cell = true;
        in_v = in_is = has_is = false;
      }
    } else if (t.kind == XmlKind::kEnd) {
      if (in_cell && t.name != "c") {
        if (t.name == "v") {
          in_v = false;
        } else if (t.name == "is") {
          in_is = false;
        } else if (in_is) {
          run.Feed(t);
        }
      } else if (t.name == "c" && in_cell) {
        in_cell = false;
        std::string value;
        if (type == "s") {
          uint64_t idx = 0;
          if (!ParseUint(v, &idx)) {
            return DataLossError(StrFormat("%s: %s has a malformed shared-string index '%s'",
                                           where.c_str(), cell_name().c_str(), v.c_str()));
          }
          if (idx >= sst.size()) {
            return DataLossError(StrFormat("%s: %s refers to shared string %llu but the table has "
                                           "%zu",
                                           where.c_str(), cell_name().c_str(),
                                           static_cast<unsigned long long>(idx), sst.size()));
          }
          value = sst[idx];
        } else if (type == "inlineStr") {
          value = DecodeXEscapes(has_is ? run.text : v);
        } else if (type == "str") {
          value = DecodeXEscapes(v);
        } else if (type == "b") {
          const std::string_view b = TrimWs(v);
          value = b == "1" ? "TRUE" : b == "0" ? "FALSE" : std::string(b);
        } else {  // n (number), d (ISO date), e (error) or absent
          value = std::string(TrimWs(v));
        }
        next_col = col + 1;
        if (!value.empty()) {
          text_bytes += value.size();
          if (col >= cells.size()) {
            slots += col + 1 - cells.size();
            cells.resize(col + 1);
          }
          if (slots > kMaxCellSlots || text_bytes > kMaxTextBytes) {
            return ResourceExhaustedError(StrFormat("%s: sheet too large (over %zu cells or %zu "
                                                    "bytes of text)",
                                                    where.c_str(), kMaxCellSlots, kMaxTextBytes));
          }
          cells[col] = std::move(value);
        }
      } else if (t.name == "row" && in_row) {
        in_row = false;
        if (!cells.empty()) rows.emplace_back(row_num, std::move(cells));
        cells = {};
      }
    } else if (in_cell) {  // character data
      if (in_v) {
        if (t.kind == XmlKind::kText) AppendXmlText(t.text, &v);
        if (t.kind == XmlKind::kCData) v.append(t.text);
      } else if (in_is) {
        run.Feed(t);
      }
    }
  }
  // Rows are stored in ascending order; keep that order even if a writer did not.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Rows out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.second));
  return out;
}

}  // namespace

Result<Rows> ParseXlsxFirstSheet(std::string_view bytes, const std::string& name) {
  ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(bytes, name));
  auto part_where = [&](const std::string& part) { return "xlsx: " + name + ": " + part; };
  std::string sheet_path;
  std::string sst_path = "xl/sharedStrings.xml";
  if (const ZipEntry* wb = zip.Find("xl/workbook.xml")) {
    ASSIGN_OR_RETURN(std::string wb_xml, zip.Extract(*wb));
    ASSIGN_OR_RETURN(std::string rid, FirstSheetRelId(wb_xml, part_where(wb->name)));
    if (const ZipEntry* re = zip.Find("xl/_rels/workbook.xml.rels")) {
      ASSIGN_OR_RETURN(std::string rels_xml, zip.Extract(*re));
      ASSIGN_OR_RETURN(std::vector<Relationship> rels, ParseRelationships(rels_xml, part_where(re->name)));
      for (const Relationship& r : rels) {
        if (r.external) continue;
        const std::string target = ResolvePartName("xl/", r.target);
        if (!rid.empty() && r.id == rid && sheet_path.empty() && zip.Find(target)) sheet_path = target;
        const std::string_view type = r.type;
        if (type.size() >= 14 && type.substr(type.size() - 14) == "/sharedStrings") sst_path = target;
      }
    }
  }
  if (sheet_path.empty()) sheet_path = "xl/worksheets/sheet1.xml";
  const ZipEntry* sheet = zip.Find(sheet_path);
  if (sheet == nullptr) {
    return InvalidArgumentError("xlsx: " + name +
                                ": no worksheet found (neither the workbook's first sheet nor "
                                "xl/worksheets/sheet1.xml); not an .xlsx workbook?");
  }
  std::vector<std::string> sst;
  if (const ZipEntry* se = zip.Find(sst_path)) {
    ASSIGN_OR_RETURN(std::string sst_xml, zip.Extract(*se));
    ASSIGN_OR_RETURN(sst, ParseSharedStrings(sst_xml, part_where(se->name)));
  }
  ASSIGN_OR_RETURN(std::string sheet_xml, zip.Extract(*sheet));
  return ParseSheet(sheet_xml, part_where(sheet->name), sst);
}

Result<Rows> ReadXlsxFirstSheet(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError("xlsx: no such file: " + path);
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgumentError("xlsx: " + path + " is a directory, not an .xlsx file");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  const std::string_view bytes(reinterpret_cast<const char*>(file->data()), file->size());
  return ParseXlsxFirstSheet(bytes, path);
}

}  // namespace sangam::guard
