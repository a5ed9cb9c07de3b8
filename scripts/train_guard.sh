#!/usr/bin/env bash
# Reproduces data/guard/default-classifier.ftz: regenerates the training set from the hand-written
# seeds in data/guard-train/ (plus a benign sample of `sangam corpus build`), then trains with
# `sangam guard train` (single thread, fixed seed: the same inputs give a byte-identical file).
#   scripts/train_guard.sh [--regenerate]   (default: train from the committed TSV files)
# SANGAM=path/to/sangam overrides the binary (default: build/sangam).
set -euo pipefail
cd "$(dirname "$0")/.."
SANGAM=${SANGAM:-build/sangam}
OUT=${OUT:-data/guard/default-classifier.ftz}
if [[ "${1:-}" == "--regenerate" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$SANGAM" corpus build --langs hi,bn,ta,te,mr,gu,kn,ml,pa,ur --english -o "$tmp/corpus" --heldout-fraction 0
  python3 data/guard-train/generate.py --corpus "$tmp/corpus"
fi
time "$SANGAM" guard train --data data/guard-train/train.tsv --data data/guard-train/benign-corpus.tsv \
  --data data/guard-train/benign-chat.tsv -o "$OUT"
sha256sum "$OUT"
