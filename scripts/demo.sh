#!/usr/bin/env bash
# The main job, end to end on a built-in default: install dependencies, build sangam, create a
# small model with sangam itself (built-in byte vocabulary), train it from scratch on English
# prose that Debian installs (the licence texts in /usr/share/common-licenses, from base-files),
# fine-tune a LoRA adapter on a held-out text, generate with and without the adapter, quantize
# and benchmark. Outputs go to out/. (The adaptation issue extends this to the
# build-a-model / adapt-to-a-language-of-India story.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
STEPS=${STEPS:-300}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)"
S="$BUILD_DIR/sangam"
L=/usr/share/common-licenses
mkdir -p out
echo "== 1. create a model (llama architecture, byte vocabulary, random weights)" >&2
"$S" init -o out/demo-init.gguf --arch llama --dim 256 --layers 4 --heads 8 --kv-heads 4 \
  --ffn 688 --ctx 512 --vocab-from bytes --type f32 --seed 1
echo "== 2. train it from scratch on English prose ($STEPS steps; progress below)" >&2
rm -rf out/demo-base
"$S" train -m out/demo-init.gguf --full --data $L/GPL-3 $L/GPL-2 $L/LGPL-2.1 $L/GFDL-1.3 \
  $L/MPL-2.0 $L/Artistic $L/BSD $L/CC0-1.0 --ctx 128 --batch 8 --steps "$STEPS" --lr 2e-3 \
  --schedule cosine --warmup 20 --min-lr 2e-4 --clip 1 --val-fraction 0.05 --eval-every 100 \
  --seed 1 --log-json out/demo-base.jsonl -o out/demo-base
cp out/demo-base/model.gguf out/demo-f32.gguf
echo "== 3. inspect it" >&2
"$S" info out/demo-f32.gguf > out/demo-info.txt
head -24 out/demo-info.txt; echo "   ... (full listing in out/demo-info.txt)"
echo "== 4. generate" >&2
"$S" generate -m out/demo-f32.gguf -p "This License" -n 160 --temp 0.7 --repeat-penalty 1.15 --seed 3
echo
echo "== 5. quantize to Q4_0 and fine-tune a LoRA adapter on the quantized base (Apache-2.0 text)" >&2
"$S" quantize out/demo-f32.gguf out/demo-q4_0.gguf q4_0
rm -rf out/demo-lora
"$S" train -m out/demo-q4_0.gguf --lora-rank 16 --lora-targets all --data $L/Apache-2.0 \
  --ctx 128 --batch 8 --steps 60 --lr 3e-3 --val-fraction 0.1 --seed 1 -o out/demo-lora
echo "== 6. generate with the adapter (out/demo-lora/adapter.gguf; PEFT copy in out/demo-lora/adapter/)" >&2
"$S" generate -m out/demo-q4_0.gguf --lora out/demo-lora/adapter.gguf -p "Licensor" -n 160 --temp 0.7 --repeat-penalty 1.15 --seed 3
echo
echo "== 7. benchmark" >&2
"$S" bench -m out/demo-q4_0.gguf -p 128 -n 32 -r 3
echo "demo: done; models, adapters and loss charts (loss.svg) are in out/" >&2
