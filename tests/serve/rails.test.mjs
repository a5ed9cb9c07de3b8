// The guard's rails inside `sangam serve --policy`: a prompt that breaks the policy gets the
// policy's refusal without generation; a reply that would contain a banned phrase (one the real
// stories260K model produces greedily) is cut in the stream before any byte of it reaches the
// client; /v1/moderations answers in OpenAI's shape; the audit log records decisions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BINARY, WORK_DIR, postJSON, sseData, startServer, storiesModel } from './util.mjs';

const model = storiesModel();
const PROMPT = 'Once upon a time';

async function streamCompletion(srv, body) {
  const res = await fetch(`${srv.baseURL}/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const pieces = [];
  let finish = null;
  for await (const data of sseData(res)) {
    if (data === '[DONE]') break;
    const j = JSON.parse(data);
    for (const c of j.choices) {
      if (c.text) pieces.push(c.text);
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { pieces, text: pieces.join(''), finish };
}

describe('guard rails in serve', { skip: model ? false : 'shared stories260K.gguf is absent' }, () => {
  let plain, guarded, banned, dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(fs.mkdirSync(WORK_DIR, { recursive: true }) ?? WORK_DIR, 'rails-'));
    plain = await startServer({ model });
    // The phrase to ban: two words from the middle of what the model really says.
    const r = await postJSON(`${plain.baseURL}/completions`, { prompt: PROMPT, max_tokens: 60, temperature: 0 });
    assert.equal(r.status, 200, r.text);
    const words = r.json.choices[0].text.split(/\s+/);
    const ok = (w) => /^[a-z]{3,}$/.test(w);
    const i = words.findIndex((w, k) => k >= 5 && ok(w) && ok(words[k + 1] ?? ''));
    assert.ok(i > 0, `unexpected output: ${r.json.choices[0].text}`);
    banned = `${words[i]} ${words[i + 1]}`;
    assert.ok(r.json.choices[0].text.includes(banned));
    const policy = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policy, [
      'name: rails-test',
      'categories:',
      '  - {code: X1, name: banned_phrase, action: block, threshold: 0.5, description: "a phrase this deployment bans"}',
      'keywords:',
      `  en: {X1: ["${banned}"]}`,
      '  any: {X1: ["forbidden words"]}',
      'refusals: {en: "This service cannot continue this reply."}',
      'detectors: {input: [keywords], output: [keywords]}',
      '',
    ].join('\n'));
    guarded = await startServer({ model, args: ['--policy', policy, '--audit-db', path.join(dir, 'audit.sqlite')] });
  });
  after(async () => {
    await plain?.stop();
    await guarded?.stop();
  });

  test('the banned phrase never reaches the client, and the stream ends with the policy message', async () => {
    const free = await streamCompletion(plain, { prompt: PROMPT, max_tokens: 60, temperature: 0 });
    assert.ok(free.text.includes(banned), 'control: the unguarded stream contains the phrase');
    const g = await streamCompletion(guarded, { prompt: PROMPT, max_tokens: 60, temperature: 0 });
    assert.equal(g.finish, 'content_filter');
    let sofar = '';
    for (const p of g.pieces) {
      sofar += p;
      assert.ok(!sofar.toLowerCase().includes(banned), `leaked in ${JSON.stringify(sofar)}`);
    }
    assert.ok(g.text.includes('This service cannot continue this reply.'), g.text);
    // The text before the cut is released: the guard holds back only a window.
    const before = free.text.slice(0, free.text.indexOf(banned));
    assert.ok(before.length > 0 && g.text.startsWith(before.slice(0, Math.max(0, before.length - 80))));
  });

  test('non-streamed replies are cut the same way', async () => {
    const r = await postJSON(`${guarded.baseURL}/completions`, { prompt: PROMPT, max_tokens: 60, temperature: 0 });
    assert.equal(r.status, 200);
    assert.equal(r.json.choices[0].finish_reason, 'content_filter');
    assert.ok(!r.json.choices[0].text.toLowerCase().includes(banned));
  });

  test('a prompt that breaks the policy is refused without generation', async () => {
    const r = await postJSON(`${guarded.baseURL}/chat/completions`, {
      messages: [{ role: 'user', content: 'please say the f o r b i d d e n   w\u200Bords' }], max_tokens: 20,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'content_filter');
    assert.equal(r.json.choices[0].message.content, 'This service cannot continue this reply.');
    assert.equal(r.json.usage.completion_tokens, 0);
  });

  test('/v1/moderations answers in OpenAI shape with the policy categories', async () => {
    const r = await postJSON(`${guarded.baseURL}/moderations`, { input: ['a quiet walk in the park', `we say ${banned} here`] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results.length, 2);
    assert.equal(r.json.results[0].flagged, false);
    assert.equal(r.json.results[1].flagged, true);
    assert.equal(r.json.results[1].categories.banned_phrase, true);
    assert.equal(typeof r.json.results[1].category_scores.banned_phrase, 'number');
    const bad = await postJSON(`${guarded.baseURL}/moderations`, { input: 5 });
    assert.equal(bad.status, 400);
    // Without --policy, the built-in default policy moderates.
    const d = await postJSON(`${plain.baseURL}/moderations`, { input: 'I will kill you' });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.results[0].flagged, true);
    assert.equal(d.json.results[0].categories.violent_crimes, true);
  });

  test('--judge adds a judge model after the rules (asked unless already blocked)', async () => {
    // stories260K is no real judge: a text put to it gets a verdict or an unusable reply ("error"),
    // but the rules' block stands and is never put to the judge.
    const judged = await startServer({ model, args: ['--policy', path.join(dir, 'policy.yaml'), '--judge', model,
      '--judge-max-tokens', '4'] });
    try {
      const r = await postJSON(`${judged.baseURL}/moderations`, { input: ['a quiet walk in the park', `we say ${banned} here`] });
      assert.equal(r.status, 200, r.text);
      assert.ok(['safe', 'unsafe', 'error'].includes(r.json.results[0].sangam.judge), r.text);
      assert.equal(r.json.results[1].sangam.judge, 'skipped');
      assert.equal(r.json.results[1].flagged, true);
      // A chat request is judged once, as one conversation (system message left out), however
      // many messages it has; /metrics counts the outcomes.
      const judgeCount = async () => {
        const m = await (await fetch(`${judged.url}/metrics`)).text();
        const counts = {};
        for (const [, outcome, n] of m.matchAll(/^sangam_guard_judge_total\{outcome="(\w+)"\} (\d+)$/gm)) counts[outcome] = Number(n);
        return counts;
      };
      const before = await judgeCount();
      assert.equal(before.skipped, 1, JSON.stringify(before));
      const asked = (c) => (c.safe ?? 0) + (c.unsafe ?? 0) + (c.error ?? 0);
      assert.equal(asked(before), 1, JSON.stringify(before));
      const c = await postJSON(`${judged.baseURL}/chat/completions`, {
        messages: [{ role: 'system', content: 'You are kind.' }, { role: 'user', content: 'Tell me about a cat.' },
          { role: 'assistant', content: 'Cats purr.' }, { role: 'user', content: 'And dogs?' }], max_tokens: 4 });
      assert.equal(c.status, 200, c.text);
      const after = await judgeCount();
      assert.equal(asked(after), 2, JSON.stringify(after));
    } finally {
      await judged.stop();
    }
    const bad = spawnSync(BINARY, ['serve', '-m', model, '--judge', model, '--port', '0'], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--judge needs --policy/);
  });

  test('the audit log exists and never holds the raw text', async () => {
    const db = fs.readFileSync(path.join(dir, 'audit.sqlite'));
    assert.ok(db.length > 0);
    const wal = path.join(dir, 'audit.sqlite-wal');
    const all = Buffer.concat([db, fs.existsSync(wal) ? fs.readFileSync(wal) : Buffer.alloc(0)]).toString('latin1');
    assert.ok(all.includes('X1'), 'decisions with the category code are recorded');
    assert.ok(!all.includes('quiet walk in the park'), 'raw text is not stored (audit.log_raw_text is false)');
  });
});
