#!/usr/bin/env bash
# Runs the whole test suite: installs dependencies, builds with warnings as errors, runs every
# CTest suite (plain, then under ASan+UBSan), then a short libFuzzer run of each fuzz target (clang, ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSANGAM_WERROR=ON \
  -DSANGAM_BUILD_TESTS=ON -DSANGAM_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
# The same suites again under AddressSanitizer + UndefinedBehaviorSanitizer.
if [[ ${SANGAM_SKIP_SANITIZERS:-0} != 1 ]]; then
  cmake -S . -B "$BUILD_DIR-asan" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSANGAM_WERROR=ON \
    -DSANGAM_SANITIZE=address,undefined -DSANGAM_BUILD_TESTS=ON -DSANGAM_BUILD_BENCH=OFF >/dev/null
  cmake --build "$BUILD_DIR-asan" -j"$(nproc)"
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir "$BUILD_DIR-asan" --output-on-failure -j"$(nproc)"
fi
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
