#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for N seconds (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
bash scripts/setup.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSANGAM_BUILD_FUZZ=ON -DSANGAM_BUILD_TESTS=OFF -DSANGAM_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)"
shopt -s nullglob
for bin in build-fuzz/*_fuzz; do
  [[ -f $bin && -x $bin ]] || continue
  name=$(basename "$bin")
  corpus=build-fuzz/corpus-$name
  mkdir -p "$corpus"
  seeds=fuzz/seeds/${name%_fuzz}
  echo "fuzz: $name for ${SECS}s" >&2
  "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    "$corpus" $( [[ -d $seeds ]] && echo "$seeds" ) 2>build-fuzz/$name.log \
    || { tail -50 build-fuzz/$name.log; echo "fuzz: $name FAILED" >&2; exit 1; }
  grep -E "^(#[0-9]+ +DONE|Done)" build-fuzz/$name.log | tail -1 >&2 || true
done
