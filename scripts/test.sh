#!/usr/bin/env bash
# Runs the whole test suite: installs dependencies, builds with warnings as errors, runs every
# CTest suite, then a short libFuzzer run of each fuzz target (clang, ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSANGAM_WERROR=ON \
  -DSANGAM_BUILD_TESTS=ON -DSANGAM_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
