// Helpers for black-box tests of the built `sangam` binary: quoting, reading files, running it.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sangam::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Single-quotes s for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `sangam args...` with stdin from `input`; stdin/stdout/stderr go through files in `dir`.
inline RunResult RunSangam(const std::filesystem::path& dir, const std::vector<std::string>& args,
                           const std::string& input = "") {
  std::string cmd = Quote(SANGAM_BINARY);
  for (const auto& a : args) {
    cmd += ' ';
    cmd += Quote(a);
  }
  const std::string in = (dir / "stdin.txt").string();
  {
    std::ofstream f(in, std::ios::binary);
    f << input;
  }
  const std::string out = (dir / "stdout.txt").string();
  const std::string err = (dir / "stderr.txt").string();
  for (const auto& part : {std::string(" <"), Quote(in), std::string(" >"), Quote(out),
                           std::string(" 2>"), Quote(err)}) {
    cmd.append(part);
  }
  RunResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

}  // namespace sangam::e2e
