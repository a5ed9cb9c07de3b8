// Shared helpers for the JavaScript black-box tests of `sangam serve`: paths from the environment,
// test models (shared stories260K, `sangam init`, a LoRA adapter from `sangam train`), starting a
// server on a free port and always stopping it, SSE parsing, error-shape checks, process RSS.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.SANGAM_SOURCE_DIR || path.resolve(here, '..', '..');
export const BINARY = process.env.SANGAM_BINARY || path.join(SOURCE_DIR, 'build', 'sangam');
export const SHARED_DIR = process.env.SANGAM_SHARED_DIR ||
    (fs.existsSync(path.join(SOURCE_DIR, '..', 'shared')) ? path.join(SOURCE_DIR, '..', 'shared') : '');
export const WORK_DIR = process.env.SANGAM_WORK_DIR || path.join(os.tmpdir(), `sangam-jstest-${process.getuid?.() ?? 0}`);
fs.mkdirSync(WORK_DIR, { recursive: true });

// Loads an npm package from $SANGAM_SOURCE_DIR/npm/node_modules (not on ESM's search path from tests/).
export function npmRequire(name) {
  return createRequire(path.join(SOURCE_DIR, 'npm', 'package.json'))(name);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Absolute path of a file under the shared reference folder, or null when it is absent.
export function sharedFile(rel) {
  if (!SHARED_DIR) return null;
  const p = path.join(SHARED_DIR, rel);
  return fs.existsSync(p) ? p : null;
}

// The real tiny Llama (no chat template: the server falls back to chatml), or null.
export function storiesModel() {
  return sharedFile('data/models/stories260K.gguf');
}

// Runs `sangam ARGS...` to completion; throws with its stderr when it fails.
export function runSangam(args, { timeoutMs = 300_000 } = {}) {
  const r = spawnSync(BINARY, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`sangam ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`sangam ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  }
  return r;
}

// Writes `file` by running make(tmpPath) then renaming, so parallel test files never see a
// half-written model.
function buildOnce(file, make) {
  if (fs.existsSync(file)) return file;
  const tmp = `${file}.tmp-${process.pid}`;
  make(tmp);
  fs.renameSync(tmp, file);
  return file;
}

// A small random model made with `sangam init` (byte vocabulary), created once in WORK_DIR.
export function initModel(name = 'init-d64') {
  const file = path.join(WORK_DIR, `${name}.gguf`);
  return buildOnce(file, (tmp) => runSangam(['init', '--dim', '64', '--layers', '2', '--heads', '4',
    '--kv-heads', '2', '--ffn', '128', '--ctx', '512', '--seed', '7', '-o', tmp]));
}

// The model the server tests use: shared stories260K when present, otherwise an init model.
export function testModel() {
  const s = storiesModel();
  return s ? { file: s, id: 'stories260K', real: true } : { file: initModel(), id: 'init-d64', real: false };
}

// A LoRA adapter trained for a few steps on a short repeated text (so greedy output changes),
// created once in WORK_DIR. Returns the adapter.gguf path.
export function loraAdapter(baseFile) {
  const tag = path.basename(baseFile, '.gguf');
  const file = path.join(WORK_DIR, `lora-${tag}.gguf`);
  return buildOnce(file, (tmp) => {
    const dir = `${tmp}.d`;
    const text = `${dir}.txt`;
    fs.writeFileSync(text, 'The purple robot sang a song about the moon and the stars every night.\n'.repeat(40));
    runSangam(['train', '-m', baseFile, '--data', text, '-o', dir, '--lora-rank', '4', '--steps', '10',
      '--lr', '0.01', '--ctx', '64', '--seed', '1', '--no-merged', '--no-peft', '--no-chart']);
    fs.renameSync(path.join(dir, 'adapter.gguf'), tmp);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(text, { force: true });
  });
}

// ---- servers ------------------------------------------------------------------------------------
const running = new Set();
function killAll() {
  for (const p of running) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAll(); process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)); });
}

const LISTEN_RE = /^sangam serve: listening on http:\/\/([^\s/]+):(\d+)\s*$/m;

// Starts `sangam serve -m MODEL --host 127.0.0.1 --port 0 ARGS...`, waits for the listening line
// on stderr and for GET /health to answer 200. Returns {url, baseURL, port, pid, proc, log(), stop()}.
// stop() sends SIGTERM (SIGKILL after 20 s) and resolves to {code, signal}.
export async function startServer({ model, args = [], readyTimeoutMs = 60_000 } = {}) {
  const argv = ['serve', '-m', model, '--host', '127.0.0.1', '--port', '0', ...args];
  const proc = spawn(BINARY, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let stderr = '';
  let stdout = '';
  const cap = (s, d) => (s.length > 1 << 20 ? s : s + d);
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { stdout = cap(stdout, d); });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { running.delete(proc); resolve({ code, signal }); });
  });
  const log = () => `--- sangam ${argv.join(' ')}\n--- stderr:\n${stderr}\n--- stdout:\n${stdout}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, 20_000);
    const r = await exited;
    clearTimeout(timer);
    return r;
  };

  let port;
  try {
    port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not print its listening line within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      proc.stderr.on('data', (d) => {
        stderr = cap(stderr, d);
        const m = LISTEN_RE.exec(stderr);
        if (m) { clearTimeout(timer); resolve(Number(m[2])); }
      });
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`server exited early (code ${code}, signal ${signal})`)); });
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      try {
        const r = await fetch(`${url}/health`);
        if (r.status === 200) { await r.text(); break; }
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error('GET /health did not answer 200');
      await sleep(50);
    }
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n${log()}`);
  }
  const url = `http://127.0.0.1:${port}`;
  return { url, baseURL: `${url}/v1`, port, pid: proc.pid, proc, exited, log, stop,
           alive: () => proc.exitCode === null && proc.signalCode === null };
}

// ---- HTTP helpers -------------------------------------------------------------------------------
// POST JSON (a value, or a raw string/Buffer sent as is) with fetch; returns {status, headers, text, json}.
export async function postJSON(url, body, { headers = {}, method = 'POST' } = {}) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(url, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: payload });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// A raw request with node:http (exact bytes, exact Content-Length); resolves to
// {status, text, json} or rejects on a socket error before any response.
export function rawRequest(url, { method = 'POST', headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const h = { ...headers };
    if (data) h['Content-Length'] = data.length;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Asserts an OpenAI-shaped error: the status, {"error":{"message","type","param","code"}} with a
// non-empty message, and optionally its type and code.
export function assertOpenAIError(r, status, { type, code, what = '' } = {}) {
  const ctx = `${what} -> ${r.status} ${r.text.slice(0, 300)}`;
  assert.equal(r.status, status, `status: ${ctx}`);
  assert.ok(r.json && typeof r.json === 'object' && r.json.error && typeof r.json.error === 'object',
    `body is not {"error":{...}}: ${ctx}`);
  const e = r.json.error;
  assert.equal(typeof e.message, 'string', `error.message: ${ctx}`);
  assert.ok(e.message.length > 0, `empty error.message: ${ctx}`);
  assert.equal(typeof e.type, 'string', `error.type: ${ctx}`);
  for (const k of ['param', 'code']) assert.ok(k in e, `error.${k} missing: ${ctx}`);
  if (type) assert.equal(e.type, type, `error.type: ${ctx}`);
  if (code) assert.equal(e.code, code, `error.code: ${ctx}`);
}

// Parses an SSE body (fetch Response) into the `data:` payloads, in order (strings, "[DONE]" included).
export async function* sseData(res) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (line.startsWith('data:')) yield line.slice(5).trim();
    }
  }
  buf += decoder.decode();
  if (buf.startsWith('data:')) yield buf.slice(5).trim();
}

// Resident set size of a process in KiB (from /proc/PID/status VmRSS).
export function rssKiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(s);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

// Parses Prometheus text into [{name, labels, value}] (comments skipped).
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.push({ name: m[1], labels: m[2] || '', value: Number(m[3]) });
  }
  return out;
}

// L2 norm of a vector.
export function norm(v) {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}
