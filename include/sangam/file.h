// Read-only memory-mapped files and small whole-file helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sangam/status.h"

namespace sangam {

// A read-only mapping of a whole file. Owns the mapping; movable, not copyable.
// data() stays valid while the object lives. An empty file maps to data()==nullptr, size()==0.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  // Wraps a caller-owned buffer without copying (for tests and fuzzers). The buffer must outlive
  // the MappedFile.
  static std::unique_ptr<MappedFile> FromBuffer(const void* data, size_t size, std::string name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool owned_mapping_ = false;
  std::string path_;
};

Result<std::string> ReadFileToString(const std::string& path);
// Writes atomically: to path + ".tmp", fsync, then rename over path.
Status WriteFileAtomic(const std::string& path, const std::string& contents);

}  // namespace sangam
