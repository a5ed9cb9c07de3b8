#!/usr/bin/env bash
# The main job, end to end on a built-in default: install dependencies, build sangam, create a
# model with sangam itself (random weights, built-in byte vocabulary), inspect, quantize,
# generate from it and benchmark it. Outputs go to out/. (The adaptation issue replaces this with
# the full build-a-model / adapt-to-a-language demo.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)"
S="$BUILD_DIR/sangam"
mkdir -p out
echo "== 1. create a model (llama architecture, byte vocabulary, random weights)" >&2
"$S" init -o out/demo-f32.gguf --arch llama --dim 256 --layers 4 --heads 8 --kv-heads 4 \
  --ffn 688 --ctx 512 --vocab-from bytes --type f32 --seed 1
echo "== 2. inspect it" >&2
"$S" info out/demo-f32.gguf > out/demo-info.txt
head -32 out/demo-info.txt; echo "   ... (full listing in out/demo-info.txt)"
echo "== 3. quantize to Q8_0 and Q4_0" >&2
"$S" quantize out/demo-f32.gguf out/demo-q8_0.gguf q8_0
"$S" quantize out/demo-f32.gguf out/demo-q4_0.gguf q4_0
echo "== 4. generate (untrained weights: expect random bytes)" >&2
"$S" generate -m out/demo-q8_0.gguf -p "Hello" -n 32 --seed 7 --temp 0.8
echo
echo "== 5. benchmark" >&2
"$S" bench -m out/demo-q8_0.gguf -p 128 -n 32 -r 3
echo "demo: done; models are in out/" >&2
