// sangam web chat: conversations kept in localStorage, replies streamed from /v1/chat/completions.
'use strict';
(() => {
  const STORE_KEY = 'sangam.chats.v1';
  const SETTINGS_KEY = 'sangam.settings.v1';
  const API_KEY = 'sangam.apiKey';

  const $ = (id) => document.getElementById(id);
  const el = {
    model: $('model'), messages: $('messages'), input: $('input'), composer: $('composer'),
    send: $('send'), stop: $('stop'), error: $('error'), system: $('system'),
    temperature: $('temperature'), maxTokens: $('max-tokens'), keyBox: $('key-box'),
    apiKey: $('api-key'), saveKey: $('save-key'), chats: $('chats'), chatList: $('chat-list'),
    settings: $('settings'), toggleChats: $('toggle-chats'), toggleSettings: $('toggle-settings'),
    newChat: $('new-chat'), clearChat: $('clear-chat'),
  };

  // ---- storage -------------------------------------------------------------------------------
  function load(key, fallback) {
    try {
      const v = JSON.parse(localStorage.getItem(key));
      return v === null || v === undefined ? fallback : v;
    } catch {
      return fallback;
    }
  }
  function save(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      showError(`Could not save to localStorage: ${e.message}`);
    }
  }

  function cleanState(s) {
    const out = { chats: [], current: null };
    if (!s || !Array.isArray(s.chats)) return out;
    for (const c of s.chats) {
      if (!c || typeof c.id !== 'string' || !Array.isArray(c.messages)) continue;
      const messages = c.messages
        .filter((m) => m && typeof m.content === 'string' && ['user', 'assistant'].includes(m.role))
        .map((m) => (typeof m.note === 'string' && m.note ? { role: m.role, content: m.content, note: m.note }
                                                         : { role: m.role, content: m.content }));
      out.chats.push({ id: c.id, title: typeof c.title === 'string' ? c.title : '', messages });
    }
    out.current = typeof s.current === 'string' ? s.current : null;
    return out;
  }

  const state = cleanState(load(STORE_KEY, null));
  const settings = Object.assign({ system: '', temperature: 0.7, maxTokens: 256, model: '' },
                                 load(SETTINGS_KEY, {}));
  if (typeof settings.system !== 'string') settings.system = '';
  if (!Number.isFinite(settings.temperature) || settings.temperature < 0) settings.temperature = 0.7;
  if (!Number.isInteger(settings.maxTokens) || settings.maxTokens < 1) settings.maxTokens = 256;
  if (typeof settings.model !== 'string') settings.model = '';
  let apiKey = localStorage.getItem(API_KEY) || '';
  let controller = null;  // AbortController of the reply being streamed, null when idle
  let saveTimer = 0;

  function persist() { save(STORE_KEY, state); }
  function persistSoon() {
    if (!saveTimer) saveTimer = setTimeout(() => { saveTimer = 0; persist(); }, 500);
  }
  function persistSettings() { save(SETTINGS_KEY, settings); }

  function makeId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }
  function currentChat() {
    let c = state.chats.find((x) => x.id === state.current);
    if (!c) {
      c = state.chats[0];
      if (!c) {
        c = { id: makeId(), title: '', messages: [] };
        state.chats.unshift(c);
      }
      state.current = c.id;
    }
    return c;
  }

  // ---- rendering (text only: textContent, never innerHTML) ----------------------------------
  function bubble(role, text) {
    const div = document.createElement('div');
    div.className = `msg ${role}`;
    div.dir = 'auto';
    div.dataset.role = role;
    div.textContent = text;
    return div;
  }

  function scrollDown() { el.messages.scrollTop = el.messages.scrollHeight; }

  function renderMessages() {
    const chat = currentChat();
    el.messages.replaceChildren();
    if (chat.messages.length === 0) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'Start a conversation.';
      el.messages.append(p);
      return;
    }
    for (const m of chat.messages) {
      const b = bubble(m.role, m.content);
      if (m.note) b.title = m.note;
      el.messages.append(b);
    }
    scrollDown();
  }

  function renderChatList() {
    el.chatList.replaceChildren();
    for (const c of state.chats) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dir = 'auto';
      b.textContent = c.title || 'New chat';
      if (c.id === state.current) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => {
        if (controller) return;
        state.current = c.id;
        persist();
        render();
      });
      li.append(b);
      el.chatList.append(li);
    }
  }

  function render() {
    currentChat();
    renderChatList();
    renderMessages();
  }

  function showError(msg) {
    el.error.textContent = msg;
    el.error.hidden = !msg;
  }

  function setBusy(busy) {
    el.stop.hidden = !busy;
    el.send.disabled = busy;
    el.newChat.disabled = busy;
    el.clearChat.disabled = busy;
  }

  function togglePanel(button, panel) {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) {
      const first = panel.querySelector('button, textarea, input, select');
      if (first) first.focus();
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------------
  function headers() {
    const h = { 'Content-Type': 'application/json' };
    if (apiKey) h.Authorization = `Bearer ${apiKey}`;
    return h;
  }

  // Reads an error response: {text: "Error 400 ...: <the server's error.message>", code: error.code}.
  async function readError(res) {
    let detail = '';
    let code = null;
    try {
      const body = await res.text();
      try {
        const j = JSON.parse(body);
        detail = (j && j.error && j.error.message) || body;
        code = (j && j.error && j.error.code) || null;
      } catch {
        detail = body;
      }
    } catch { /* body unreadable */ }
    const text = `Error ${res.status}${res.statusText ? ' ' + res.statusText : ''}${detail ? ': ' + detail : ''}`;
    return { text, code };
  }

  function needKey() {
    el.keyBox.hidden = false;
    if (el.settings.hidden) togglePanel(el.toggleSettings, el.settings);
    el.apiKey.focus();
  }

  async function loadModels() {
    try {
      const res = await fetch('v1/models', { headers: headers() });
      if (!res.ok) {
        if (res.status === 401) needKey();
        showError((await readError(res)).text);
        return;
      }
      const j = await res.json();
      const ids = Array.isArray(j.data) ? j.data.map((m) => m && m.id).filter((x) => typeof x === 'string') : [];
      el.model.replaceChildren();
      for (const id of ids) {
        const o = document.createElement('option');
        o.value = id;
        o.textContent = id;
        el.model.append(o);
      }
      if (ids.includes(settings.model)) el.model.value = settings.model;
      el.model.dataset.loaded = 'true';
      showError('');
    } catch (e) {
      showError(`Could not list models: ${e.message}`);
    }
  }

  // Reads an SSE body of `data: {...}` lines; calls onDelta(text) for each content delta.
  // Returns {finish, usage}. A `data: {"error":...}` event throws with the server's message.
  async function readStream(res, onDelta) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    const result = { finish: null, usage: null };
    const handle = (line) => {
      if (!line.startsWith('data:')) return false;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return true;
      if (!data) return false;
      const obj = JSON.parse(data);
      if (obj.error) throw new Error((obj.error && obj.error.message) || 'stream error');
      if (obj.usage) result.usage = obj.usage;
      const choice = Array.isArray(obj.choices) ? obj.choices[0] : null;
      if (choice) {
        const d = choice.delta && choice.delta.content;
        if (typeof d === 'string' && d) onDelta(d);
        if (choice.finish_reason) result.finish = choice.finish_reason;
      }
      return false;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      const lines = buf.split(/\r?\n/);
      buf = lines.pop();
      for (const line of lines) {
        if (handle(line)) {
          reader.cancel().catch(() => {});
          return result;
        }
      }
    }
    buf += decoder.decode();
    if (buf) handle(buf);
    return result;
  }

  async function send(text) {
    if (controller) return;
    showError('');
    const chat = currentChat();
    if (chat.messages.length === 0) el.messages.replaceChildren();
    chat.messages.push({ role: 'user', content: text });
    if (!chat.title) chat.title = text.slice(0, 48);
    el.messages.append(bubble('user', text));
    const history = chat.messages.map((m) => ({ role: m.role, content: m.content }));
    const reply = { role: 'assistant', content: '' };
    chat.messages.push(reply);
    const out = bubble('assistant', '');
    out.classList.add('streaming');
    out.setAttribute('aria-busy', 'true');
    el.messages.append(out);
    scrollDown();
    persist();
    renderChatList();

    const body = { stream: true, stream_options: { include_usage: true } };
    if (el.model.value) body.model = el.model.value;
    if (Number.isFinite(settings.temperature)) body.temperature = settings.temperature;
    if (Number.isInteger(settings.maxTokens) && settings.maxTokens > 0) body.max_tokens = settings.maxTokens;

    controller = new AbortController();
    setBusy(true);
    let failed = false;
    let dropped = 0;  // oldest messages left out so the conversation fits the model's context
    try {
      let res;
      for (;;) {
        const messages = [];
        if (settings.system.trim()) messages.push({ role: 'system', content: settings.system });
        messages.push(...history.slice(dropped));
        res = await fetch('v1/chat/completions', {
          method: 'POST', headers: headers(), body: JSON.stringify({ ...body, messages }), signal: controller.signal,
        });
        if (res.ok) break;
        if (res.status === 401) needKey();
        const err = await readError(res);
        // Too long for the context: leave out the oldest exchange and try again.
        if (err.code === 'context_length_exceeded' && history.length - dropped > 1) {
          dropped += Math.min(2, history.length - dropped - 1);
          continue;
        }
        throw new Error(err.text);
      }
      if (dropped) reply.note = `${dropped} older message${dropped > 1 ? 's' : ''} left out to fit the context`;
      const r = await readStream(res, (d) => {
        reply.content += d;
        out.textContent = reply.content;
        scrollDown();
        persistSoon();
      });
      const notes = reply.note ? [reply.note] : [];
      if (r.finish === 'length') notes.push('stopped at the max tokens limit');
      else if (r.finish === 'content_filter') notes.push('stopped by the content policy');
      if (r.usage) notes.push(`${r.usage.completion_tokens} tokens`);
      reply.note = notes.join('; ');
    } catch (e) {
      if (e.name === 'AbortError') {
        reply.note = reply.note ? `${reply.note}; stopped` : 'stopped';
      } else {
        failed = true;
        showError(e.message || String(e));
      }
    } finally {
      controller = null;
      setBusy(false);
      out.classList.remove('streaming');
      out.removeAttribute('aria-busy');
      if (reply.note) out.title = reply.note;
      if (!reply.content) {
        chat.messages.pop();  // drop the empty reply; keep the user's message
        out.remove();
        if (failed) {
          // Take the user's message back into the input so it can be retried after a fix.
          chat.messages.pop();
          const last = el.messages.lastElementChild;
          if (last && last.dataset.role === 'user') last.remove();
          if (!el.input.value) el.input.value = text;
          if (chat.messages.length === 0) {
            chat.title = '';
            renderMessages();
          }
        }
      }
      clearTimeout(saveTimer);
      saveTimer = 0;
      persist();
      renderChatList();
    }
  }

  // ---- events --------------------------------------------------------------------------------
  el.composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = el.input.value;
    if (!text.trim() || controller) return;
    el.input.value = '';
    send(text);
  });
  el.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      el.composer.requestSubmit();
    } else if (ev.key === 'Escape' && controller) {
      controller.abort();
    }
  });
  el.stop.addEventListener('click', () => {
    if (controller) controller.abort();
    el.input.focus();
  });
  el.newChat.addEventListener('click', () => {
    if (controller) return;
    const cur = currentChat();
    if (cur.messages.length > 0) {
      const c = { id: makeId(), title: '', messages: [] };
      state.chats.unshift(c);
      state.current = c.id;
    }
    persist();
    render();
    el.input.focus();
  });
  el.clearChat.addEventListener('click', () => {
    if (controller) return;
    const cur = currentChat();
    state.chats = state.chats.filter((c) => c.id !== cur.id);
    state.current = null;
    persist();
    render();
    el.input.focus();
  });
  el.toggleChats.addEventListener('click', () => togglePanel(el.toggleChats, el.chats));
  el.toggleSettings.addEventListener('click', () => togglePanel(el.toggleSettings, el.settings));

  el.system.value = settings.system;
  el.temperature.value = String(settings.temperature);
  el.maxTokens.value = String(settings.maxTokens);
  el.system.addEventListener('input', () => { settings.system = el.system.value; persistSettings(); });
  el.temperature.addEventListener('input', () => {
    const v = parseFloat(el.temperature.value);
    if (Number.isFinite(v) && v >= 0) { settings.temperature = v; persistSettings(); }
  });
  el.maxTokens.addEventListener('input', () => {
    const v = parseInt(el.maxTokens.value, 10);
    if (Number.isInteger(v) && v > 0) { settings.maxTokens = v; persistSettings(); }
  });
  el.model.addEventListener('change', () => { settings.model = el.model.value; persistSettings(); });

  el.apiKey.value = apiKey;
  el.keyBox.hidden = !apiKey;
  el.saveKey.addEventListener('click', () => {
    apiKey = el.apiKey.value.trim();
    if (apiKey) localStorage.setItem(API_KEY, apiKey);
    else localStorage.removeItem(API_KEY);
    loadModels();
  });
  el.apiKey.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); el.saveKey.click(); }
  });

  render();
  loadModels();
  el.input.focus();
})();
