// Shared helpers for tests: locating ../shared reference data and skipping clearly without it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace sangam::testing {

inline std::string SharedPath(const std::string& rel) {
  return std::string(SANGAM_SHARED_DIR) + "/" + rel;
}

// Skips the current test with a clear message when the shared file is absent.
#define SANGAM_REQUIRE_SHARED(rel)                                                        \
  do {                                                                                    \
    if (!std::filesystem::exists(::sangam::testing::SharedPath(rel))) {                   \
      GTEST_SKIP() << "reference data " << ::sangam::testing::SharedPath(rel)             \
                   << " is absent (../shared not beside the checkout); skipping";         \
    }                                                                                     \
  } while (0)

}  // namespace sangam::testing
