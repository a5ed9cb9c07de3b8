#!/usr/bin/env bash
# Training throughput and memory on BENCHMARKS.md's benchmark model (dim 1024, 8 layers, 16 heads,
# 4 KV heads, FFN 2816, vocab 32000; made by scripts/bench.sh or here): LoRA (r 16, all seven
# projections) on F32/Q8_0/Q4_0/Q4_K bases, full fine-tuning on F32, and LoRA with --recompute.
# ctx 256 x batch 1, 2 threads; tokens/s is the median over steps 2..N; peak RSS from
# /usr/bin/time. FLOP shares use the FP32 peak that `sangam bench --machine` measures.
# Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
THREADS=${THREADS:-2}
STEPS=${STEPS:-6}
bash scripts/setup.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)" >/dev/null
S="$BUILD_DIR/sangam"
D=out/bench
mkdir -p $D/train
VOCAB=../shared/data/vocab/ggml-vocab-llama-spm.gguf
[[ -f $VOCAB ]] || VOCAB=bytes
if [[ ! -f $D/model-f32.gguf ]]; then
  "$S" init -o $D/model-f32.gguf --dim 1024 --layers 8 --heads 16 --kv-heads 4 --ffn 2816 \
    --ctx 2048 --vocab-from "$VOCAB" --type f32 --seed 1
fi
for t in q8_0 q4_0 q4_k; do [[ -f $D/model-$t.gguf ]] || "$S" quantize $D/model-f32.gguf $D/model-$t.gguf $t; done
# English prose from base-files, repeated to make enough windows.
TEXT=$D/train/text.txt
[[ -f $TEXT ]] || for i in 1 2 3; do cat /usr/share/common-licenses/{GPL-3,GPL-2,LGPL-2.1,GFDL-1.3,MPL-2.0,Apache-2.0}; done > $TEXT
PEAK=$("$S" bench --machine -t "$THREADS" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_fp32_gflops"])' 2>/dev/null || echo 0)
run() {  # name type mode-args...
  local name=$1 type=$2; shift 2
  rm -rf $D/train/$name
  /usr/bin/time -v "$S" train -m $D/model-$type.gguf --data $TEXT -o $D/train/$name --ctx 256 \
    --batch 1 --steps "$STEPS" --lr 1e-4 -t "$THREADS" --no-merged --no-peft --no-chart \
    --log-json $D/train/$name.jsonl "$@" 2> $D/train/$name.time >/dev/null
  python3 - "$name" "$type" "$PEAK" "$D/train/$name.jsonl" "$D/train/$name.time" "$*" <<'PY'
import json, re, statistics, sys
name, typ, peak, log, tim, args = sys.argv[1:7]
steps = [json.loads(l) for l in open(log)]
tps = statistics.median(s["tokens_per_s"] for s in steps[1:])
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tim).read()).group(1)) / 1024
C, L, F, V, KV, T = 1024, 8, 2816, 32000, 256, 256
P = L * (2 * C * C + 2 * C * KV + 3 * C * F) + V * C       # matmul weights per token
attn = 2 * T * C * L                                       # causal QK^T + PV per token, forward
full = "--full" in args
flops = (6 * P if full else 4 * P) + 3 * attn               # fwd + dX (+ dW when full); attn fwd+bwd
gf = tps * flops / 1e9
share = f"{100 * gf / float(peak):.0f} %" if float(peak) > 0 else "n/a"
print(f"| {name} | {typ} | {tps:.1f} | {gf:.1f} | {share} | {rss:.0f} |")
PY
}
echo "| run | base | tokens/s (median) | GFLOP/s | share of FP32 peak ($PEAK GFLOP/s) | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
run lora-f32 f32 --lora-rank 16 --lora-targets all
run lora-q8_0 q8_0 --lora-rank 16 --lora-targets all
run lora-q4_0 q4_0 --lora-rank 16 --lora-targets all
run lora-q4_k q4_k --lora-rank 16 --lora-targets all
run lora-q4_0-recompute q4_0 --lora-rank 16 --lora-targets all --recompute
run full-f32 f32 --full
run full-f32-recompute f32 --full --recompute
