// Reader for GNU gettext .mo catalogues (both byte orders), validated against the file size.
#include <cstring>

#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {
namespace {

constexpr uint32_t kMoMagic = 0x950412deu;
constexpr size_t kHeaderSize = 28;

uint32_t Load32(const uint8_t* p, bool big_endian) {
  if (big_endian) return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
  return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0];
}

std::vector<std::string> SplitNul(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t z = s.find('\0', start);
    if (z == std::string_view::npos) {
      parts.emplace_back(s.substr(start));
      break;
    }
    parts.emplace_back(s.substr(start, z - start));
    start = z + 1;
  }
  return parts;
}

}  // namespace

Result<std::vector<MoEntry>> ParseMo(const uint8_t* data, size_t size, const std::string& name) {
  if (size < kHeaderSize) {
    return DataLossError(StrFormat("mo: '%s' is too short for a .mo header (%zu bytes, need %zu)",
                                   name.c_str(), size, kHeaderSize));
  }
  bool big_endian;
  if (Load32(data, false) == kMoMagic) {
    big_endian = false;
  } else if (Load32(data, true) == kMoMagic) {
    big_endian = true;
  } else {
    return DataLossError(StrFormat("mo: '%s' has bad magic 0x%08x (expected 0x950412de in either byte order)",
                                   name.c_str(), Load32(data, false)));
  }
  const uint32_t revision = Load32(data + 4, big_endian);
  if ((revision >> 16) > 1) {
    return DataLossError(StrFormat("mo: '%s' has unsupported major revision %u", name.c_str(), revision >> 16));
  }
  const uint64_t n = Load32(data + 8, big_endian);
  const uint64_t orig_off = Load32(data + 12, big_endian);
  const uint64_t trans_off = Load32(data + 16, big_endian);
  // 64-bit arithmetic: a 32-bit count times 8 plus a 32-bit offset cannot overflow.
  if (orig_off + n * 8 > size) {
    return DataLossError(StrFormat("mo: '%s': original-string table (offset=%llu, %llu entries) extends past end "
                                   "of file (size=%zu)",
                                   name.c_str(), (unsigned long long)orig_off, (unsigned long long)n, size));
  }
  if (trans_off + n * 8 > size) {
    return DataLossError(StrFormat("mo: '%s': translation table (offset=%llu, %llu entries) extends past end "
                                   "of file (size=%zu)",
                                   name.c_str(), (unsigned long long)trans_off, (unsigned long long)n, size));
  }
  auto get_string = [&](uint64_t table, uint64_t i, const char* what, std::string_view* out) -> Status {
    const uint8_t* e = data + table + i * 8;
    const uint64_t len = Load32(e, big_endian);
    const uint64_t off = Load32(e + 4, big_endian);
    if (off + len > size) {
      return DataLossError(StrFormat("mo: '%s': %s string %llu (offset=%llu, length=%llu) extends past end of "
                                     "file (size=%zu)",
                                     name.c_str(), what, (unsigned long long)i, (unsigned long long)off,
                                     (unsigned long long)len, size));
    }
    *out = std::string_view(reinterpret_cast<const char*>(data) + off, len);
    return Status::Ok();
  };
  std::vector<MoEntry> entries;
  entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view id, str;
    RETURN_IF_ERROR(get_string(orig_off, i, "original", &id));
    RETURN_IF_ERROR(get_string(trans_off, i, "translation", &str));
    if (id.empty()) continue;  // the header entry
    MoEntry e;
    const size_t eot = id.find('\x04');
    if (eot != std::string_view::npos) {
      e.context = std::string(id.substr(0, eot));
      id = id.substr(eot + 1);
    }
    const size_t z = id.find('\0');
    if (z != std::string_view::npos) {
      e.msgid = std::string(id.substr(0, z));
      e.msgid_plural = std::string(id.substr(z + 1));
      e.msgstr = SplitNul(str);
    } else {
      e.msgid = std::string(id);
      e.msgstr.emplace_back(str);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

Result<std::vector<MoEntry>> ReadMoEntries(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> f, MappedFile::Open(path));
  return ParseMo(f->data(), f->size(), path);
}

Result<std::vector<std::pair<std::string, std::string>>> ReadMoFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<MoEntry> entries, ReadMoEntries(path));
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(entries.size());
  for (MoEntry& e : entries) {
    for (size_t k = 0; k < e.msgstr.size(); ++k) {
      pairs.emplace_back(k == 0 || e.msgid_plural.empty() ? e.msgid : e.msgid_plural, std::move(e.msgstr[k]));
    }
  }
  return pairs;
}

}  // namespace sangam::adapt
