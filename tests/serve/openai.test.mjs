// Black-box tests of `sangam serve` through the official `openai` npm client: models, chat
// (plain, streamed, deterministic, stop sequences, JSON modes), completions, embeddings, errors,
// LoRA adapters and concurrent streams.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertOpenAIError, loraAdapter, norm, npmRequire, postJSON, startServer, testModel } from './util.mjs';

const { OpenAI } = npmRequire('openai');

const model = testModel();
if (!model.real) console.log(`# shared stories260K.gguf absent: using a random 'sangam init' model (${model.file})`);
const BASE = model.id;
const ADAPTER = `${BASE}:purple`;
const PROMPT = [{ role: 'user', content: 'Once upon a time, there was a little dog.' }];

let server;
let client;
let adapterFile = null;
let adapterError = null;

function clientFor(srv, apiKey = 'unused', extra = {}) {
  return new OpenAI({ baseURL: srv.baseURL, apiKey, maxRetries: 0, timeout: 120_000, ...extra });
}

async function greedy(messages, maxTokens, extra = {}) {
  const r = await client.chat.completions.create({ model: BASE, messages, temperature: 0, max_tokens: maxTokens, ...extra });
  return r.choices[0].message.content;
}

async function streamText(c, body) {
  const stream = await c.chat.completions.create({ ...body, stream: true });
  let text = '';
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta?.content;
    if (d) text += d;
  }
  return text;
}

function checkUsage(u, maxTokens) {
  assert.ok(u, 'usage present');
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) assert.ok(Number.isInteger(u[k]), `usage.${k} integer`);
  assert.ok(u.prompt_tokens > 0, 'prompt_tokens > 0');
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens, 'total = prompt + completion');
  if (maxTokens !== undefined) assert.ok(u.completion_tokens <= maxTokens, `completion_tokens ${u.completion_tokens} <= ${maxTokens}`);
}

// A small validator for the schema used below (object of string, integer, enum and array of strings).
function matchesSchema(obj) {
  const errs = [];
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return ['not an object'];
  const keys = Object.keys(obj).sort();
  if (JSON.stringify(keys) !== JSON.stringify(['age', 'color', 'name', 'tags'])) errs.push(`keys ${keys}`);
  if (typeof obj.name !== 'string') errs.push('name not a string');
  if (!Number.isInteger(obj.age)) errs.push('age not an integer');
  if (!['red', 'green', 'blue'].includes(obj.color)) errs.push(`color ${JSON.stringify(obj.color)} not in enum`);
  if (!Array.isArray(obj.tags) || !obj.tags.every((t) => typeof t === 'string')) errs.push('tags not an array of strings');
  else if (obj.tags.length > 3) errs.push('more than 3 tags');
  return errs;
}

describe('sangam serve through the openai client', () => {
  before(async () => {
    try {
      adapterFile = loraAdapter(model.file);
    } catch (e) {
      adapterError = e.message;
    }
    const args = ['--parallel', '4'];
    if (adapterFile) args.push('--lora', `purple=${adapterFile}`);
    server = await startServer({ model: model.file, args });
    client = clientFor(server);
  });
  after(async () => {
    if (server) await server.stop();
  });

  test('models.list has the base model (and base:adapter)', async () => {
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.object, 'model');
      assert.equal(m.owned_by, 'sangam');
      assert.ok(Number.isInteger(m.created), 'created is an integer');
      ids.push(m.id);
    }
    assert.ok(ids.includes(BASE), `${BASE} in ${ids}`);
    if (adapterFile) assert.ok(ids.includes(ADAPTER), `${ADAPTER} in ${ids}`);
  });

  test('chat.completions non-streamed: content, finish_reason, usage', async () => {
    const r = await client.chat.completions.create({ model: BASE, messages: PROMPT, max_tokens: 24, temperature: 0 });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, BASE);
    assert.ok(Number.isInteger(r.created));
    assert.equal(r.choices.length, 1);
    const c = r.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.ok(c.message.content.length > 0, 'content non-empty');
    assert.ok(['stop', 'length'].includes(c.finish_reason), `finish_reason ${c.finish_reason}`);
    checkUsage(r.usage, 24);
    if (c.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 24, 'length means max_tokens reached');
    // Without `model` the base model answers.
    const r2 = await client.chat.completions.create({ messages: PROMPT, max_tokens: 24, temperature: 0 });
    assert.equal(r2.choices[0].message.content, c.message.content, 'missing model = base');
  });

  test('streamed chat equals the non-streamed greedy text; usage chunk last', async () => {
    const body = { model: BASE, messages: PROMPT, max_tokens: 32, temperature: 0 };
    const plain = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 3, `at least role, finish and usage chunks (got ${chunks.length})`);
    for (const ch of chunks) {
      assert.equal(ch.object, 'chat.completion.chunk');
      assert.match(ch.id, /^chatcmpl-/);
    }
    assert.equal(chunks[0].choices[0].delta.role, 'assistant', 'first delta has the role');
    const usageChunk = chunks[chunks.length - 1];
    assert.deepEqual(usageChunk.choices, [], 'usage chunk has no choices');
    checkUsage(usageChunk.usage, 32);
    for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
      assert.equal(usageChunk.usage[k], plain.usage[k], `same usage.${k} as the non-streamed call`);
    }
    const finish = chunks.slice(0, -1).filter((ch) => ch.choices[0]?.finish_reason);
    assert.equal(finish.length, 1, 'exactly one chunk carries finish_reason');
    assert.equal(finish[0].choices[0].finish_reason, plain.choices[0].finish_reason);
    const text = chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, plain.choices[0].message.content);
    // Without include_usage there is no usage chunk.
    const bare = await client.chat.completions.create({ ...body, stream: true });
    const bareChunks = [];
    for await (const chunk of bare) bareChunks.push(chunk);
    assert.ok(bareChunks.every((ch) => ch.choices.length === 1), 'every chunk has one choice');
    assert.equal(bareChunks.map((ch) => ch.choices[0].delta?.content ?? '').join(''), text);
  });

  test('greedy and seeded sampling are deterministic', async () => {
    const a = await greedy(PROMPT, 32);
    const b = await greedy(PROMPT, 32);
    assert.equal(a, b, 'temperature 0 twice');
    const body = { model: BASE, messages: PROMPT, max_tokens: 32, temperature: 1, seed: 1234 };
    const s1 = await client.chat.completions.create(body);
    const s2 = await client.chat.completions.create(body);
    assert.equal(s1.choices[0].message.content, s2.choices[0].message.content, 'same seed twice');
  });

  test('stop sequences cut the output before the stop string', async () => {
    const full = await greedy(PROMPT, 48);
    // Pick a stop string from the middle of the greedy reply: a word when there are words, else 3
    // characters; its first occurrence must not be at the start.
    const words = full.split(/\s+/).filter((w) => w.length >= 2 && full.indexOf(w) > 0);
    let stop = words.length >= 2 ? words[Math.floor(words.length / 2)] : null;
    for (let i = Math.floor(full.length / 2); !stop && i + 3 <= full.length; i++) {
      const cand = full.slice(i, i + 3);
      if (!cand.includes('\uFFFD') && full.indexOf(cand) > 0) stop = cand;
    }
    assert.ok(stop, `greedy reply long enough to pick a stop string: ${JSON.stringify(full)}`);
    const at = full.indexOf(stop);
    assert.ok(at > 0);
    for (const stopField of [stop, [stop, 'zzzzqqqq']]) {
      const r = await client.chat.completions.create({ model: BASE, messages: PROMPT, max_tokens: 48, temperature: 0, stop: stopField });
      const text = r.choices[0].message.content;
      assert.ok(!text.includes(stop), `${JSON.stringify(text)} must not contain ${JSON.stringify(stop)}`);
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.equal(text, full.slice(0, at), 'the greedy text up to the stop string');
    }
    // Streamed too: no part of the stop string leaks into the deltas.
    const st = await streamText(client, { model: BASE, messages: PROMPT, max_tokens: 48, temperature: 0, stop });
    assert.equal(st, full.slice(0, at), 'streamed text up to the stop string');
  });

  test('completions.create with a string prompt', async () => {
    const r = await client.completions.create({ model: BASE, prompt: 'Once upon a time', max_tokens: 16, temperature: 0 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices.length, 1);
    assert.equal(typeof r.choices[0].text, 'string');
    assert.ok(r.choices[0].text.length > 0, 'text non-empty');
    assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
    checkUsage(r.usage, 16);
    // Streamed completion gives the same text.
    const stream = await client.completions.create({ model: BASE, prompt: 'Once upon a time', max_tokens: 16, temperature: 0, stream: true });
    let text = '';
    for await (const ch of stream) {
      assert.equal(ch.object, 'text_completion');
      text += ch.choices[0]?.text ?? '';
    }
    assert.equal(text, r.choices[0].text);
  });

  test('embeddings: single and batch, unit norm, identical inputs identical', async () => {
    const one = await client.embeddings.create({ model: BASE, input: 'Lily and Tom', encoding_format: 'float' });
    assert.equal(one.object, 'list');
    assert.equal(one.data.length, 1);
    const v = one.data[0].embedding;
    assert.ok(Array.isArray(v) && v.length > 0);
    assert.ok(Math.abs(norm(v) - 1) < 1e-3, `norm ${norm(v)}`);
    assert.ok(one.usage.prompt_tokens > 0);
    assert.equal(one.usage.total_tokens, one.usage.prompt_tokens);

    const batch = await client.embeddings.create({ model: BASE, input: ['Lily and Tom', 'Lily and Tom', 'The big dog ran home.'], encoding_format: 'float' });
    assert.equal(batch.data.length, 3);
    batch.data.forEach((d, i) => {
      assert.equal(d.object, 'embedding');
      assert.equal(d.index, i);
      assert.equal(d.embedding.length, v.length, 'same dimension');
      assert.ok(Math.abs(norm(d.embedding) - 1) < 1e-3, `norm of ${i}: ${norm(d.embedding)}`);
    });
    assert.deepEqual(batch.data[0].embedding, batch.data[1].embedding, 'identical inputs -> identical vectors');
    const diff = Math.max(...batch.data[0].embedding.map((x, i) => Math.abs(x - batch.data[2].embedding[i])));
    assert.ok(diff > 1e-4, `different inputs differ (max abs diff ${diff})`);
    const vsSingle = Math.max(...v.map((x, i) => Math.abs(x - batch.data[0].embedding[i])));
    assert.ok(vsSingle < 1e-4, `batched and single embeddings agree (max abs diff ${vsSingle})`);
  });

  test('embeddings with the client default (encoding_format base64) decode to the float vectors', async () => {
    const input = ['Lily and Tom', 'The big dog ran home.'];
    const floats = await client.embeddings.create({ model: BASE, input, encoding_format: 'float' });
    const dflt = await client.embeddings.create({ model: BASE, input });  // the client asks for base64
    assert.equal(dflt.data.length, 2);
    for (let i = 0; i < 2; i++) {
      const a = floats.data[i].embedding;
      const b = dflt.data[i].embedding;
      assert.equal(b.length, a.length);
      const diff = Math.max(...a.map((x, j) => Math.abs(x - b[j])));
      assert.ok(diff < 1e-6, `base64 vector ${i} equals the float one (max abs diff ${diff})`);
    }
  });

  test('response_format json_object gives parseable JSON', async () => {
    const r = await client.chat.completions.create({
      model: BASE, temperature: 0, max_tokens: 200, response_format: { type: 'json_object' },
      messages: [{ role: 'system', content: 'Reply in JSON.' }, { role: 'user', content: 'Describe a dog as a JSON object.' }],
    });
    const text = r.choices[0].message.content;
    let obj;
    assert.doesNotThrow(() => { obj = JSON.parse(text); }, `JSON.parse of ${JSON.stringify(text)} (finish ${r.choices[0].finish_reason})`);
    assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj), `an object: ${text}`);
  });

  test('response_format json_schema gives an object matching the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        color: { type: 'string', enum: ['red', 'green', 'blue'] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      },
      required: ['name', 'age', 'color', 'tags'],
      additionalProperties: false,
    };
    for (const temperature of [0, 1]) {
      const r = await client.chat.completions.create({
        model: BASE, temperature, seed: 7, max_tokens: 300,
        response_format: { type: 'json_schema', json_schema: { name: 'pet', strict: true, schema } },
        messages: [{ role: 'user', content: 'Make up a pet.' }],
      });
      const text = r.choices[0].message.content;
      let obj;
      assert.doesNotThrow(() => { obj = JSON.parse(text); }, `JSON.parse of ${JSON.stringify(text)} (finish ${r.choices[0].finish_reason})`);
      assert.deepEqual(matchesSchema(obj), [], `schema mismatch at temperature ${temperature}: ${text}`);
    }
  });

  test('moderations.create returns the OpenAI moderation shape', async () => {
    const r = await client.moderations.create({ input: ['Lily and Tom played with a ball.', 'A second text.'] });
    assert.equal(typeof r.id, 'string');
    assert.equal(typeof r.model, 'string');
    assert.equal(r.results.length, 2);
    for (const res of r.results) {
      assert.equal(typeof res.flagged, 'boolean');
      assert.ok(res.categories && typeof res.categories === 'object');
      assert.ok(Object.keys(res.categories).length > 0, 'some categories');
      for (const [k, v] of Object.entries(res.categories)) {
        assert.equal(typeof v, 'boolean', `categories.${k}`);
        const score = res.category_scores[k];
        assert.ok(typeof score === 'number' && score >= 0 && score <= 1, `category_scores.${k} = ${score}`);
      }
      assert.equal(res.flagged, Object.values(res.categories).some(Boolean), 'flagged = any category');
    }
    assert.equal(r.results[0].flagged, false, 'a harmless children\'s sentence is not flagged');
  });

  test('unknown model -> NotFoundError (404, model_not_found)', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: PROMPT, max_tokens: 4 }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, `NotFoundError, got ${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        return true;
      });
    await assert.rejects(client.embeddings.create({ model: `${BASE}:nope`, input: 'x' }), OpenAI.NotFoundError);
  });

  test('base:adapter gives a different greedy output than the base', async (t) => {
    if (!adapterFile) return t.skip(`no adapter: ${adapterError}`);
    const messages = [{ role: 'user', content: 'The purple robot' }];
    const base = await client.chat.completions.create({ model: BASE, messages, temperature: 0, max_tokens: 32 });
    const tuned = await client.chat.completions.create({ model: ADAPTER, messages, temperature: 0, max_tokens: 32 });
    assert.equal(tuned.model, ADAPTER);
    assert.notEqual(tuned.choices[0].message.content, base.choices[0].message.content);
    // Switching back and forth does not leak the adapter into the base.
    const again = await client.chat.completions.create({ model: BASE, messages, temperature: 0, max_tokens: 32 });
    assert.equal(again.choices[0].message.content, base.choices[0].message.content);
  });

  test('16 concurrent streamed greedy requests each match the request alone', async () => {
    const prompts = ['Once upon a time', 'Lily and Tom went to the park.', 'The sun was hot.', 'A little bird sang.'];
    const bodies = [];
    for (let i = 0; i < 16; i++) {
      const model = adapterFile && i % 5 === 4 ? ADAPTER : BASE;
      bodies.push({ model, messages: [{ role: 'user', content: prompts[i % 4] }], temperature: 0, max_tokens: 24 + (i % 3) * 8 });
    }
    const alone = [];
    for (const b of bodies) alone.push(await streamText(client, b));
    const together = await Promise.all(bodies.map((b) => streamText(client, b)));
    assert.ok(alone.filter((t) => t.length > 0).length >= 8, `most requests produced text: ${JSON.stringify(alone)}`);
    for (let i = 0; i < 16; i++) {
      assert.equal(together[i], alone[i], `request ${i} (${bodies[i].model}, ${JSON.stringify(bodies[i].messages[0].content)})`);
    }
  });
});

describe('sangam serve with --api-key', () => {
  let srv;
  before(async () => {
    srv = await startServer({ model: model.file, args: ['--api-key', 'sk-test-right', '--parallel', '1'] });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  test('right key works; wrong key and no key -> AuthenticationError (401)', async () => {
    const ok = await clientFor(srv, 'sk-test-right').models.list();
    assert.ok(ok.data.some((m) => m.id === BASE));
    const r = await clientFor(srv, 'sk-test-right').chat.completions.create({ model: BASE, messages: PROMPT, max_tokens: 4 });
    assert.equal(r.object, 'chat.completion');

    const wrong = clientFor(srv, 'sk-test-wrong');
    for (const call of [() => wrong.models.list(), () => wrong.chat.completions.create({ model: BASE, messages: PROMPT, max_tokens: 4 }),
      () => wrong.embeddings.create({ model: BASE, input: 'x' })]) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof OpenAI.AuthenticationError, `AuthenticationError, got ${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 401);
        return true;
      });
    }
    // No Authorization header at all (null removes the client's default header).
    const none = clientFor(srv, 'unused', { defaultHeaders: { Authorization: null } });
    await assert.rejects(none.models.list(), OpenAI.AuthenticationError);
    const raw = await postJSON(`${srv.baseURL}/chat/completions`, { messages: PROMPT, max_tokens: 4 });
    assertOpenAIError(raw, 401, { type: 'authentication_error', what: 'no Authorization header' });
    // /health and the web chat stay open.
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
    const page = await fetch(`${srv.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  });
});
