#!/usr/bin/env bash
# Serving benchmark: starts `sangam serve --parallel 16` on the benchmark model of scripts/bench.sh
# (dim 1024, 8 layers, vocab 32000, random weights: replies run to max_tokens) and runs
# bench/serve_bench.mjs with 1, 4 and 16 streaming clients; prints a Markdown table.
# Run on an idle machine. Environment: BUILD_DIR (build), MODEL (default out/bench/model-f32.gguf),
# THREADS (2), MAX_TOKENS (128), REQUESTS (per client, 4), CLIENTS ("1 4 16"), CTX (per slot, 512),
# DURATION (seconds per client count; empty = no limit), SANGAM (use this binary, skip the build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
THREADS=${THREADS:-2}
MAX_TOKENS=${MAX_TOKENS:-128}
REQUESTS=${REQUESTS:-4}
CLIENTS=${CLIENTS:-"1 4 16"}
CTX=${CTX:-512}
DURATION=${DURATION:-}
MODEL=${MODEL:-out/bench/model-f32.gguf}

if [[ -n ${SANGAM:-} ]]; then
  S=$SANGAM  # an already built binary: skip the build
else
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" --target sangam -j"$(nproc)" >/dev/null
  S="$BUILD_DIR/sangam"
fi

if [[ ! -f $MODEL ]]; then
  [[ $MODEL == out/bench/model-f32.gguf ]] || { echo "bench_serve: $MODEL not found" >&2; exit 1; }
  mkdir -p out/bench
  VOCAB=../shared/data/vocab/ggml-vocab-llama-spm.gguf
  [[ -f $VOCAB ]] || VOCAB=bytes
  "$S" init -o "$MODEL" --dim 1024 --layers 8 --heads 16 --kv-heads 4 --ffn 2816 \
    --ctx 2048 --vocab-from "$VOCAB" --type f32 --seed 1
fi

LOG=$(mktemp -t sangam-serve-bench.XXXXXX)
"$S" serve -m "$MODEL" --host 127.0.0.1 --port 0 --parallel 16 -c "$CTX" -t "$THREADS" 2>"$LOG" &
PID=$!
cleanup() {
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

PORT=
for _ in $(seq 1 600); do
  PORT=$(sed -n 's|^sangam serve: listening on http://[^:]*:\([0-9][0-9]*\).*$|\1|p' "$LOG" | head -n1)
  [[ -n $PORT ]] && break
  kill -0 "$PID" 2>/dev/null || { echo "bench_serve: server exited:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
[[ -n $PORT ]] || { echo "bench_serve: server did not start:" >&2; cat "$LOG" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
until curl -fsS "$URL/health" >/dev/null 2>&1; do sleep 0.1; done

mkdir -p out/bench
ROWS=()
for n in $CLIENTS; do
  args=(--url "$URL" --clients "$n" --requests "$REQUESTS" --max-tokens "$MAX_TOKENS")
  [[ -n $DURATION ]] && args+=(--duration "$DURATION")
  OUT=$(node bench/serve_bench.mjs "${args[@]}")
  echo "$OUT" | head -n1 | tee "out/bench/serve-c$n.json"
  ROWS+=("$(echo "$OUT" | tail -n1)")
done

echo
echo "sangam serve, $(basename "$MODEL"), --parallel 16, -t $THREADS, max_tokens $MAX_TOKENS, $REQUESTS requests per client"
echo
echo '| clients | requests | completion tokens | tok/s | TTFT p50 (ms) | TTFT p99 (ms) |'
echo '|---:|---:|---:|---:|---:|---:|'
printf '%s\n' "${ROWS[@]}"
