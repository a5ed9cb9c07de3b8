// The default guard policy and classifier (data/guard/ in the repository), compiled into the
// binary at build time by scripts/embed_files.cmake, so `sangam guard check` works anywhere.
#pragma once

#include <string_view>
#include <vector>

namespace sangam::guard {

struct EmbeddedFile {
  std::string_view name;  // file name, e.g. "default-policy.yaml"
  std::string_view data;  // file contents
};

// Every file of data/guard/, sorted by name.
const std::vector<EmbeddedFile>& DefaultAssets();

}  // namespace sangam::guard
