// SHA-256 (FIPS 180-4) of a byte string, as lower-case hex. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sangam {

std::string Sha256Hex(std::string_view data);

}  // namespace sangam
