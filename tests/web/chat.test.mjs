// Browser tests of the web chat served by `sangam serve` at / (headless Chromium via
// playwright-core): streaming reply, persistence across reload, model selector, phone layout,
// right-to-left text, API-key prompt.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { loraAdapter, npmRequire, startServer, testModel } from '../serve/util.mjs';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const model = testModel();
const URDU = 'یہ ایک چھوٹا سا امتحان ہے';
// SANGAM_WEB_DIR=folder serves the chat from that folder (--web-dir) instead of the built-in files.
const webArgs = process.env.SANGAM_WEB_DIR ? ['--web-dir', process.env.SANGAM_WEB_DIR] : [];

async function launch() {
  const { chromium } = npmRequire('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

// Types `text` into the composer, presses Enter and waits until the reply finished streaming.
// Returns the lengths of the newest assistant bubble seen while it streamed, whether the stop
// button was visible while text was arriving, and the final reply.
async function sendAndWatch(page, text) {
  const before = await page.locator('.msg.assistant').count();
  await page.evaluate((n) => {
    window.__watch = { lengths: [], stopVisible: false };
    const record = () => {
      const bubbles = document.querySelectorAll('.msg.assistant');
      if (bubbles.length <= n) return;
      const len = bubbles[bubbles.length - 1].textContent.length;
      const w = window.__watch;
      if (len > 0 && w.lengths[w.lengths.length - 1] !== len) w.lengths.push(len);
      if (len > 0 && !document.getElementById('stop').hidden) w.stopVisible = true;
    };
    new MutationObserver(record).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
  }, before);
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
  await page.locator('.msg.user').last().waitFor();
  // Done when the stop button is hidden again and no bubble is streaming.
  await page.waitForFunction(() => document.getElementById('stop').hidden && !document.querySelector('.msg.streaming'),
    null, { timeout: 60_000 });
  const watch = await page.evaluate(() => window.__watch);
  const error = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
  assert.equal(error, '', 'no error shown');
  const replies = page.locator('.msg.assistant');
  assert.equal(await replies.count(), before + 1, 'one new assistant bubble');
  return { ...watch, reply: await replies.last().textContent() };
}

describe('web chat', { skip: haveChromium ? false : `${CHROMIUM} is absent` }, () => {
  let srv;
  let browser;
  let adapter = null;
  before(async () => {
    try { adapter = loraAdapter(model.file); } catch { adapter = null; }
    const args = [...webArgs, ...(adapter ? ['--lora', `purple=${adapter}`] : [])];
    srv = await startServer({ model: model.file, args });
    browser = await launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.stop();
  });

  test('chat: stream, persist, models, phone layout, right-to-left', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${srv.url}/`);
      assert.equal(await page.title(), 'sangam chat');

      // The model selector lists exactly the server's models.
      const ids = (await (await fetch(`${srv.baseURL}/models`)).json()).data.map((m) => m.id);
      await page.waitForSelector('#model[data-loaded="true"]');
      const options = await page.locator('#model option').evaluateAll((os) => os.map((o) => o.value));
      assert.deepEqual(options, ids);
      assert.ok(ids.includes(model.id));

      // Greedy, long enough to stream over several events.
      await page.locator('#toggle-settings').click();
      await page.locator('#temperature').fill('0');
      await page.locator('#max-tokens').fill('120');
      await page.locator('#toggle-settings').click();
      await page.locator('#model').selectOption(model.id);

      const first = await sendAndWatch(page, 'Tell me a story about a cat.');
      console.log(`# reply lengths seen while streaming: ${first.lengths.join(' ')}; stop visible: ${first.stopVisible}`);
      assert.ok(first.reply.length > 0, 'assistant text appeared');
      assert.ok(first.lengths.length >= 2 || first.stopVisible,
        `reply grew while streaming (lengths ${first.lengths}) or the stop button showed during the stream`);
      assert.equal(first.lengths[first.lengths.length - 1], first.reply.length);
      assert.equal(await page.locator('#input').inputValue(), '', 'input cleared after sending');

      // Reload: the conversation comes back from localStorage.
      await page.reload();
      await page.locator('.msg.assistant').first().waitFor();
      assert.deepEqual(await page.locator('.msg').evaluateAll((ms) => ms.map((m) => [m.dataset.role, m.textContent])),
        [['user', 'Tell me a story about a cat.'], ['assistant', first.reply]]);

      // Phone screen: no horizontal overflow, even with a long unbroken word.
      await page.setViewportSize({ width: 390, height: 844 });
      await sendAndWatch(page, `${'x'.repeat(150)} ${'https://example.com/'.repeat(5)}`);
      const overflow = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
      assert.ok(overflow[0] <= overflow[1], `scrollWidth ${overflow[0]} <= innerWidth ${overflow[1]}`);
      const box = await page.locator('#send').boundingBox();
      assert.ok(box && box.x + box.width <= 390, 'send button on screen');

      // Urdu: the input and the message bubble are right-to-left (dir="auto").
      await page.locator('#input').fill(URDU);
      assert.equal(await page.locator('#input').evaluate((e) => getComputedStyle(e).direction), 'rtl');
      await sendAndWatch(page, URDU);
      const urdu = page.locator('.msg.user').last();
      assert.equal(await urdu.textContent(), URDU);
      assert.equal(await urdu.evaluate((e) => getComputedStyle(e).direction), 'rtl');
      const latin = page.locator('.msg.user').first();
      assert.equal(await latin.evaluate((e) => getComputedStyle(e).direction), 'ltr');

      // Model output is text, never markup.
      assert.equal(await page.locator('#messages script, #messages img').count(), 0);
      // New chat starts empty; the old one is still listed.
      await page.locator('#toggle-chats').click();
      await page.locator('#new-chat').click();
      assert.equal(await page.locator('.msg').count(), 0);
      assert.equal(await page.locator('#chat-list li').count(), 2);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('markup in a message is shown as text', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/`);
      await page.waitForSelector('#model[data-loaded="true"]');
      const html = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
      await page.locator('#max-tokens').evaluate((e) => { e.value = '8'; e.dispatchEvent(new Event('input')); });
      await sendAndWatch(page, html);
      assert.equal(await page.locator('.msg.user').last().textContent(), html);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await page.locator('#messages img, #messages b').count(), 0);
    } finally {
      await context.close();
    }
  });

  test('stop button aborts a long reply and keeps the partial text', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/`);
      await page.waitForSelector('#model[data-loaded="true"]');
      await page.locator('#max-tokens').evaluate((e) => { e.value = '400'; e.dispatchEvent(new Event('input')); });
      await page.locator('#temperature').evaluate((e) => { e.value = '1'; e.dispatchEvent(new Event('input')); });
      // Throttle the browser's downloads so the tiny model's reply is still arriving when Stop is clicked.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 1500, uploadThroughput: -1 });
      // A sampled reply can end early (end of text); try a few times to catch one mid-stream.
      let clicked = false;
      for (let attempt = 0; attempt < 5 && !clicked; attempt++) {
        await page.locator('#input').fill(`Once upon a time (${attempt})`);
        await page.locator('#input').press('Enter');
        await page.waitForFunction(() => document.getElementById('stop').hidden ||
            (document.querySelector('.msg.assistant.streaming')?.textContent.length ?? 0) > 0, null, { timeout: 30_000 });
        if (await page.locator('#stop').isVisible()) {
          clicked = await page.locator('#stop').click({ timeout: 2_000 }).then(() => true, () => false);
        }
        await page.waitForFunction(() => document.getElementById('stop').hidden, null, { timeout: 30_000 });
      }
      assert.ok(clicked, 'caught a reply while it streamed and clicked Stop');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const error = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
      assert.equal(error, '', 'no error after stopping');
      const partial = await page.locator('.msg.assistant').last().textContent();
      assert.ok(partial.length > 0, 'partial reply kept');
      assert.equal(await page.locator('.msg.streaming').count(), 0);
      // The partial reply is saved, and the server still answers the next message.
      await page.reload();
      await page.locator('.msg.assistant').first().waitFor();
      assert.equal(await page.locator('.msg.assistant').last().textContent(), partial);
      await page.locator('#max-tokens').evaluate((e) => { e.value = '8'; e.dispatchEvent(new Event('input')); });
      const next = await sendAndWatch(page, 'Hello');
      assert.ok(next.reply.length > 0);
    } finally {
      await context.close();
    }
  });
});

describe('web chat with a small context', { skip: haveChromium ? false : `${CHROMIUM} is absent` }, () => {
  let srv;
  let browser;
  before(async () => {
    srv = await startServer({ model: model.file, args: [...webArgs, '-c', '160', '--parallel', '1'] });
    browser = await launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.stop();
  });

  test('a conversation longer than the context leaves out the oldest messages', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/`);
      await page.waitForSelector('#model[data-loaded="true"]');
      await page.locator('#max-tokens').evaluate((e) => { e.value = '60'; e.dispatchEvent(new Event('input')); });
      await page.locator('#temperature').evaluate((e) => { e.value = '0'; e.dispatchEvent(new Event('input')); });
      for (let i = 0; i < 5; i++) {
        const r = await sendAndWatch(page, `Tell me story number ${i} about a cat and a dog.`);
        assert.ok(r.reply.length > 0, `reply ${i}`);
      }
      assert.equal(await page.locator('.msg').count(), 10, 'every message is still shown');
      const notes = await page.locator('.msg.assistant').evaluateAll((ms) => ms.map((m) => m.title));
      assert.ok(notes.some((n) => /left out to fit the context/.test(n)), `a reply says older messages were left out: ${JSON.stringify(notes)}`);
    } finally {
      await context.close();
    }
  });
});

describe('web chat with --api-key', { skip: haveChromium ? false : `${CHROMIUM} is absent` }, () => {
  let srv;
  let browser;
  before(async () => {
    srv = await startServer({ model: model.file, args: [...webArgs, '--api-key', 'sk-web-key'] });
    browser = await launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.stop();
  });

  test('401 shows the key field; the saved key is sent and kept', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/`);
      await page.locator('#api-key').waitFor({ state: 'visible' });
      assert.match(await page.locator('#error').textContent(), /401/);
      await page.locator('#api-key').fill('sk-web-key');
      await page.locator('#save-key').click();
      await page.waitForSelector('#model[data-loaded="true"]');
      assert.ok((await page.locator('#model option').count()) >= 1);
      await page.locator('#max-tokens').evaluate((e) => { e.value = '8'; e.dispatchEvent(new Event('input')); });
      const r = await sendAndWatch(page, 'Hi');
      assert.ok(r.reply.length > 0);
      await page.reload();
      await page.waitForSelector('#model[data-loaded="true"]');
      assert.equal(await page.evaluate(() => localStorage.getItem('sangam.apiKey')), 'sk-web-key');
    } finally {
      await context.close();
    }
  });
});
