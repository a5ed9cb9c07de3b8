// The web chat's static files (web/ in the repository), compiled into the binary at build time by
// scripts/embed_files.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace sangam::serve {

struct EmbeddedFile {
  std::string_view name;  // file name, e.g. "index.html"
  std::string_view data;  // file contents
};

// Every file of web/, sorted by name.
const std::vector<EmbeddedFile>& WebAssets();

}  // namespace sangam::serve
