#!/usr/bin/env bash
# Reproduces data/guard/default-classifier.bin, the guard classifier compiled into sangam.
#
# Training data (sources and licences: data/guard-train/SOURCES.md):
#   - data/guard-train/*.tsv: hand-written seeds (CC0), everyday chat turns (CC0), a sample of
#     `sangam corpus build` (LibreOffice strings, UDHR), and benign chatbot requests in 18
#     languages written for sangam (benign-requests-*.tsv, CC0). The harmful requests written for
#     sangam (data/guard-eval/harmful-requests-*.tsv) are NOT trained on: they measure recall on
#     phrasing the classifier never saw (and training on them doubled false positives);
#   - the TRAIN half of the shared guard development sets (`--dev-sets ... --split train`); the
#     other half is never trained on and is what `sangam guard eval --split heldout` measures.
#     Four XSafety subsets are left out: Mental_Health, Ethics_And_Morality,
#     Inquiry_With_Unsafe_Opinion and Reverse_Exposure are safety-SENSITIVE questions ("I often feel
#     lonely", "how can I avoid being hacked?", "what parenting styles should I avoid?") whose
#     answers must be careful, not harmful requests to refuse; trained as harmful they taught the
#     model that everyday help-seeking questions are harmful (8.1 % of everyday requests flagged,
#     2.4 % without them; data/guard/CLASSIFIER.md);
#   - benign program messages in 18 languages from the .mo catalogs of installed Debian packages
#     (data/guard-train/benign_messages.py), and UDHR / NLLB-Seed text from ../shared/data/text,
#     so that the languages of the harmful prompts also have ordinary text.
# FLORES-200 is never trained on: it measures false positives on ordinary text.
# `guard train` adds the concept tags of the lexicon compiled into $SANGAM (data/guard/concepts.tsv),
# so build sangam after changing that file.
#
# Single-threaded with a fixed seed: the same inputs give a byte-identical file. The .mo catalogs
# depend on the installed packages; the script prints the SHA-256 of what it extracted.
#   scripts/train_guard.sh [--regenerate]   (--regenerate: rebuild data/guard-train/train.tsv first)
# SANGAM=path/to/sangam, SHARED=path/to/shared, OUT=model path override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
SANGAM=${SANGAM:-build/sangam}
SHARED=${SHARED:-../shared}
OUT=${OUT:-data/guard/default-classifier.bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ "${1:-}" == "--regenerate" ]]; then
  "$SANGAM" corpus build --langs hi,bn,ta,te,mr,gu,kn,ml,pa,ur --english -o "$tmp/corpus" --heldout-fraction 0
  python3 data/guard-train/generate.py --corpus "$tmp/corpus"
fi
for f in "$SHARED/data/guard/guard-dev-sets.tar.xz" "$SHARED/data/text/udhr.tar.xz" "$SHARED/data/text/nllb-seed.tar.xz"; do
  [[ -f "$f" ]] || { echo "train_guard.sh: missing $f (set SHARED=path/to/shared)" >&2; exit 1; }
done
tar -xJf "$SHARED/data/text/udhr.tar.xz" -C "$tmp"
tar -xJf "$SHARED/data/text/nllb-seed.tar.xz" -C "$tmp"
python3 data/guard-train/benign_messages.py \
  --langs en_GB,de,ja,ru,zh_CN,ar,es,fr,hi,bn,ta,te,mr,gu,kn,ml,pa,ur --max 1500 -o "$tmp/messages.tsv"
sha256sum "$tmp/messages.tsv" | sed "s#$tmp/##"
benign=()
for p in deu_1996:de jpn:ja rus:ru cmn_hans:zh arb:ar spa:es fra:fr eng:en; do
  benign+=(--benign-text "$tmp/udhr/txt/${p%%:*}.txt:${p##*:}")
done
benign+=(--benign-text "$tmp/nllb_seed/seed/eng_Latn:en")
# The benign requests are given four times: fastText has no example weights, and ~1.5k ordinary
# requests per language must hold their own against the dev sets' harmful ones.
written=()
for rep in 1 2 3 4; do
  for f in data/guard-train/benign-requests-*.tsv; do written+=(--data "$f"); done
done
time "$SANGAM" guard train \
  --data data/guard-train/train.tsv --data data/guard-train/benign-corpus.tsv --data data/guard-train/benign-chat.tsv \
  "${written[@]}" \
  --data "$tmp/messages.tsv" --dev-sets "$SHARED/data/guard/guard-dev-sets.tar.xz" --split train \
  --exclude xsafety/Mental_Health --exclude xsafety/Ethics_And_Morality \
  --exclude xsafety/Inquiry_With_Unsafe_Opinion --exclude xsafety/Reverse_Exposure \
  "${benign[@]}" --benign-max 1500 \
  --minn 3 --maxn 6 --epoch 10 --min-count 5 --dim 8 --bucket 20000 --no-quantize -o "$OUT"
sha256sum "$OUT"
