#!/usr/bin/env bash
# Reproduces BENCHMARKS.md's engine table: a model of realistic shape (dim 1024, 8 layers,
# 16 heads, 4 KV heads, FFN 2816, vocab 32000) created with `sangam init`, in F32, F16, Q8_0 and
# Q4_0, pp512 and tg128 at 2 threads, plus the machine's ceilings. Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
THREADS=${THREADS:-2}
REPS=${REPS:-5}
bash scripts/setup.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)" >/dev/null
S="$BUILD_DIR/sangam"
mkdir -p out/bench
VOCAB=../shared/data/vocab/ggml-vocab-llama-spm.gguf
[[ -f $VOCAB ]] || VOCAB=bytes
if [[ ! -f out/bench/model-f32.gguf ]]; then
  "$S" init -o out/bench/model-f32.gguf --dim 1024 --layers 8 --heads 16 --kv-heads 4 --ffn 2816 \
    --ctx 2048 --vocab-from "$VOCAB" --type f32 --seed 1
fi
"$S" bench --machine -t "$THREADS"
for type in f32 f16 q8_0 q4_0 q4_k q6_k bf16; do
  m=out/bench/model-$type.gguf
  [[ -f $m ]] || "$S" quantize out/bench/model-f32.gguf "$m" "$type"
  "$S" bench -m "$m" -p 512 -n 128 -t "$THREADS" -r "$REPS" --json | tee "out/bench/$type.json"
done
