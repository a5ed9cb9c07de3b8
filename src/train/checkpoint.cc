// Checkpoint container: "SGCKPT01", u32 section count, per section (u32 name length, name,
// u64 size, bytes), then u64 FNV-1a of everything before it. Little-endian.
#include <cstring>

#include "sangam/file.h"
#include "sangam/trainer.h"

namespace sangam::train {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'C', 'K', 'P', 'T', '0', '1'};

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

}  // namespace

Status WriteCheckpointFile(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& sections) {
  std::string out(kMagic, 8);
  Put<uint32_t>(out, static_cast<uint32_t>(sections.size()));
  for (const auto& [name, bytes] : sections) {
    Put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    Put<uint64_t>(out, static_cast<uint64_t>(bytes.size()));
    out += bytes;
  }
  Put<uint64_t>(out, Fnv1a(out));
  return WriteFileAtomic(path, out);
}

Result<std::vector<std::pair<std::string, std::string>>> ReadCheckpointFile(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string in, ReadFileToString(path));
  auto corrupt = [&](const std::string& what) {
    return DataLossError(path + ": checkpoint is " + what +
                         "; delete it (and start again) or restore a good copy");
  };
  if (in.size() < 20 || std::memcmp(in.data(), kMagic, 6) != 0) {
    return corrupt("not a sangam checkpoint (bad magic or too short)");
  }
  if (std::memcmp(in.data(), kMagic, 8) != 0) return corrupt("of an unsupported version");
  uint64_t stored;
  std::memcpy(&stored, in.data() + in.size() - 8, 8);
  if (Fnv1a(std::string_view(in.data(), in.size() - 8)) != stored) {
    return corrupt("corrupt or truncated (checksum mismatch)");
  }
  const size_t end = in.size() - 8;
  size_t off = 8;
  auto take = [&](void* dst, size_t n) {
    if (end - off < n) return false;
    std::memcpy(dst, in.data() + off, n);
    off += n;
    return true;
  };
  uint32_t count;
  if (!take(&count, 4)) return corrupt("truncated");
  std::vector<std::pair<std::string, std::string>> sections;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len;
    if (!take(&name_len, 4) || end - off < name_len) return corrupt("truncated in a section name");
    std::string name(in.data() + off, name_len);
    off += name_len;
    uint64_t size;
    if (!take(&size, 8) || end - off < size) return corrupt("truncated in section '" + name + "'");
    sections.emplace_back(std::move(name), std::string(in.data() + off, static_cast<size_t>(size)));
    off += static_cast<size_t>(size);
  }
  if (off != end) return corrupt("followed by unexpected bytes");
  return sections;
}

}  // namespace sangam::train
