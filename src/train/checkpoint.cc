// Checkpoint container: "SGCKPT01", u32 section count, per section (u32 name length, name,
// u64 size, bytes), then u64 FNV-1a of everything before it. Little-endian. Streamed to disk.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sangam/trainer.h"

namespace sangam::train {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'C', 'K', 'P', 'T', '0', '1'};

// Buffered writer that hashes everything it writes.
class HashingWriter {
 public:
  explicit HashingWriter(int fd) : fd_(fd) {}
  Status Write(std::string_view bytes) {
    hash_ = Fnv1a(bytes, hash_);
    if (bytes.size() >= kBuf) {
      RETURN_IF_ERROR(Flush());
      return WriteAll(bytes);
    }
    if (buf_.size() + bytes.size() > kBuf) RETURN_IF_ERROR(Flush());
    buf_.append(bytes);
    return Status::Ok();
  }
  template <typename T>
  Status Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    return Write(std::string_view(b, sizeof(T)));
  }
  Status Flush() {
    Status s = WriteAll(buf_);
    buf_.clear();
    return s;
  }
  uint64_t hash() const { return hash_; }

 private:
  static constexpr size_t kBuf = 1 << 20;
  Status WriteAll(std::string_view bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t w = ::write(fd_, bytes.data() + off, bytes.size() - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoError(std::string("write failed: ") + std::strerror(errno));
      }
      off += static_cast<size_t>(w);
    }
    return Status::Ok();
  }
  int fd_;
  std::string buf_;
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

Status WriteBody(HashingWriter& w, const std::vector<CheckpointSection>& sections) {
  RETURN_IF_ERROR(w.Write(std::string_view(kMagic, 8)));
  RETURN_IF_ERROR(w.Put<uint32_t>(static_cast<uint32_t>(sections.size())));
  for (const CheckpointSection& s : sections) {
    RETURN_IF_ERROR(w.Put<uint32_t>(static_cast<uint32_t>(s.name.size())));
    RETURN_IF_ERROR(w.Write(s.name));
    uint64_t size = 0;
    for (std::string_view p : s.parts) size += p.size();
    RETURN_IF_ERROR(w.Put<uint64_t>(size));
    for (std::string_view p : s.parts) RETURN_IF_ERROR(w.Write(p));
  }
  const uint64_t h = w.hash();
  RETURN_IF_ERROR(w.Put<uint64_t>(h));
  return w.Flush();
}

}  // namespace

Status WriteCheckpointFile(const std::string& path, const std::vector<CheckpointSection>& sections) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(tmp + ": cannot create: " + std::strerror(errno));
  HashingWriter w(fd);
  Status s = WriteBody(w, sections);
  if (s.ok() && ::fsync(fd) != 0) s = IoError(std::string("fsync failed: ") + std::strerror(errno));
  if (::close(fd) != 0 && s.ok()) s = IoError(std::string("close failed: ") + std::strerror(errno));
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = IoError(std::string("rename failed: ") + std::strerror(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s.WithPrefix("train: checkpoint " + path);
  }
  return Status::Ok();
}

const std::string_view* CheckpointFile::Find(const std::string& name) const {
  for (const auto& [n, v] : sections) {
    if (n == name) return &v;
  }
  return nullptr;
}

Result<CheckpointFile> ReadCheckpointFile(const std::string& path) {
  CheckpointFile ck;
  ASSIGN_OR_RETURN(ck.file, MappedFile::Open(path));
  const std::string_view in(reinterpret_cast<const char*>(ck.file->data()), ck.file->size());
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
  if (Fnv1a(in.substr(0, in.size() - 8)) != stored) {
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
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len;
    if (!take(&name_len, 4) || end - off < name_len) return corrupt("truncated in a section name");
    std::string name(in.substr(off, name_len));
    off += name_len;
    uint64_t size;
    if (!take(&size, 8) || end - off < size) return corrupt("truncated in section '" + name + "'");
    ck.sections.emplace_back(std::move(name), in.substr(off, static_cast<size_t>(size)));
    off += static_cast<size_t>(size);
  }
  if (off != end) return corrupt("followed by unexpected bytes");
  return ck;
}

}  // namespace sangam::train
