// Load client for `sangam serve`: N concurrent streaming chat clients sending requests back to
// back; reports generated tokens/s over the wall time and time-to-first-token percentiles.
//
//   node bench/serve_bench.mjs --url http://127.0.0.1:8080 --clients 4 --requests 8 --max-tokens 128
//
// --requests is per client. Prints one JSON object, then a Markdown table row:
// | clients | requests | completion tokens | tok/s | TTFT p50 (ms) | TTFT p99 (ms) |
import { parseArgs } from 'node:util';

const HELP = `usage: node bench/serve_bench.mjs --url URL [--clients N] [--requests R] [--max-tokens T]
                                  [--model ID] [--api-key KEY] [--duration S] [--header]
  --url         server root, e.g. http://127.0.0.1:8080 (required)
  --clients     concurrent streaming clients (default 1)
  --requests    requests per client, sent back to back (default 4)
  --max-tokens  max_tokens of each request (default 128)
  --model       model id (default: the first of /v1/models)
  --api-key     sent as "Authorization: Bearer KEY"
  --duration    stop starting new requests after S seconds (default: no limit)
  --header      also print the Markdown table header`;

// Prompts of ~32 tokens with a Llama vocabulary (~25 tokens of text plus the chat template); greedy,
// so every run asks the same.
const PROMPTS = [
  'Once upon a time, in a small village by the sea, there lived a girl named Lily who loved to collect shells.',
  'Tom had a red ball and a little dog called Max. Every day after school they played in the park.',
  'The old owl lived at the top of the tallest tree in the forest, and all the animals came to her.',
  'Sara wanted to bake a cake for her mother. She took out the flour, the eggs and the sugar, and then',
];

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function main() {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      options: {
        url: { type: 'string' }, clients: { type: 'string', default: '1' }, requests: { type: 'string', default: '4' },
        'max-tokens': { type: 'string', default: '128' }, model: { type: 'string' }, 'api-key': { type: 'string' },
        duration: { type: 'string' }, header: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`serve_bench: ${e.message}\n${HELP}`);
    process.exit(2);
  }
  if (opts.help) { console.log(HELP); return; }
  const int = (name, min) => {
    const v = Number(opts[name]);
    if (!Number.isInteger(v) || v < min) { console.error(`serve_bench: --${name} must be an integer >= ${min} (got ${opts[name]})`); process.exit(2); }
    return v;
  };
  if (!opts.url) { console.error(`serve_bench: --url is required\n${HELP}`); process.exit(2); }
  const url = opts.url.replace(/\/+$/, '');
  const clients = int('clients', 1);
  const requests = int('requests', 1);
  const maxTokens = int('max-tokens', 1);
  const deadline = opts.duration ? Date.now() + Number(opts.duration) * 1000 : Infinity;
  const headers = { 'Content-Type': 'application/json' };
  if (opts['api-key']) headers.Authorization = `Bearer ${opts['api-key']}`;

  let model = opts.model;
  if (!model) {
    const r = await fetch(`${url}/v1/models`, { headers });
    if (!r.ok) throw new Error(`GET /v1/models: ${r.status} ${await r.text()}`);
    model = (await r.json()).data[0].id;
  }

  const results = [];
  const errors = [];
  async function one(prompt) {
    const t0 = performance.now();
    let ttft = null;
    let chunks = 0;
    let usage = null;
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST', headers,
      body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: maxTokens,
        stream: true, stream_options: { include_usage: true } }),
    });
    if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const part of res.body) {
      buf += decoder.decode(part, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const obj = JSON.parse(data);
        if (obj.error) throw new Error(obj.error.message);
        if (obj.usage) usage = obj.usage;
        const d = obj.choices?.[0]?.delta?.content;
        if (d) {
          chunks++;
          if (ttft === null) ttft = performance.now() - t0;
        }
      }
    }
    results.push({ ttft_ms: ttft, total_ms: performance.now() - t0,
                   completion_tokens: usage ? usage.completion_tokens : chunks, prompt_tokens: usage ? usage.prompt_tokens : null });
  }

  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; k < requests && Date.now() < deadline; k++) {
      try {
        await one(PROMPTS[(c + k) % PROMPTS.length]);
      } catch (e) {
        errors.push(e.message);
      }
    }
  }));
  const wallS = (performance.now() - start) / 1000;

  const ttfts = results.map((r) => r.ttft_ms).filter((x) => x !== null).sort((a, b) => a - b);
  const tokens = results.reduce((s, r) => s + r.completion_tokens, 0);
  const round = (x, d = 1) => (x === null ? null : Number(x.toFixed(d)));
  const out = {
    url, model, clients, requests_per_client: requests, max_tokens: maxTokens,
    requests_ok: results.length, requests_failed: errors.length, errors: errors.slice(0, 5),
    wall_s: round(wallS, 3), completion_tokens: tokens, tokens_per_s: round(tokens / wallS),
    prompt_tokens_mean: results.length ? round(results.reduce((s, r) => s + (r.prompt_tokens ?? 0), 0) / results.length) : null,
    ttft_ms: { p50: round(percentile(ttfts, 50)), p99: round(percentile(ttfts, 99)), max: round(ttfts[ttfts.length - 1] ?? null) },
    request_ms_mean: results.length ? round(results.reduce((s, r) => s + r.total_ms, 0) / results.length) : null,
  };
  console.log(JSON.stringify(out));
  if (opts.header) {
    console.log('| clients | requests | completion tokens | tok/s | TTFT p50 (ms) | TTFT p99 (ms) |');
    console.log('|---:|---:|---:|---:|---:|---:|');
  }
  console.log(`| ${clients} | ${results.length}${errors.length ? ` (+${errors.length} failed)` : ''} | ${tokens} | ${out.tokens_per_s} | ${out.ttft_ms.p50} | ${out.ttft_ms.p99} |`);
  if (errors.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`serve_bench: ${e.message}`);
  process.exit(1);
});
