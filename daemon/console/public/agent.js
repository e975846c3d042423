import { clock, h, header, me, post, setLang, lang, since, stamp, stream, t } from './console.js';
import { phone } from './phone.js';

const m = await me();
setLang(lang);
header(m, 'workbench');
const ext = decodeURIComponent(location.pathname.split('/').pop());
const agentName = m.agents.find((a) => a.extension === ext)?.name ?? '';
document.getElementById('agent-name').textContent = `${ext} ${agentName}`;

let state = { agent: null, call: null };
let pop = null;
/** The last call shown, so a note can still be written after it ended. */
let lastCallId = null;

const shownState = (a) => (!a ? 'unknown' : a.state === 'paused' && a.reason === 'wrap-up' ? 'wrap-up' : a.state);

const buttons = document.getElementById('state-buttons');
for (const s of ['ready', 'paused', 'wrap-up']) {
  buttons.append(h('button', { class: 'act', id: `set-${s}`, onclick: async () => {
    document.getElementById('state-err').textContent = '';
    try {
      await post(`/api/agents/${encodeURIComponent(ext)}/state`, { state: s });
    } catch (e) {
      document.getElementById('state-err').textContent = e.message;
    }
  } }, t(s)));
}
const disp = document.getElementById('disposition');
disp.append(h('option', { value: '' }, `${t('disposition')}…`), ...['resolved', 'follow-up', 'complaint', 'sales', 'other'].map((d) => h('option', { value: d }, t(`d-${d}`))));
document.getElementById('save').onclick = async () => {
  const flash = document.getElementById('note-flash'), err = document.getElementById('note-err');
  flash.textContent = err.textContent = '';
  if (!lastCallId) return;
  try {
    await post(`/api/calls/${encodeURIComponent(lastCallId)}/notes`, { note: document.getElementById('note').value, disposition: disp.value });
    flash.textContent = t('saved');
    document.getElementById('note').value = '';
  } catch (e) {
    err.textContent = e.message;
  }
};

// Transfer the connected caller to another agent (rung first) or a queue.
const tsel = document.getElementById('transfer-to');
tsel.append(h('option', { value: '' }, `${t('transfer')}…`),
  ...m.agents.filter((a) => a.extension !== ext).map((a) => h('option', { value: `agent:${a.extension}` }, `${t('agent')} ${a.extension} ${a.name}`)),
  ...m.queues.map((q) => h('option', { value: `queue:${q}` }, `${t('queue')} ${q}`)));
document.getElementById('transfer').onclick = async () => {
  const err = document.getElementById('transfer-err');
  err.textContent = '';
  const [kind, id] = tsel.value.split(':');
  if (!id || !state.call) return;
  try {
    await post(`/api/calls/${encodeURIComponent(state.call.callId)}/transfer`, kind === 'agent' ? { extension: id } : { queue: id });
  } catch (e) {
    err.textContent = e.message;
  }
};

function renderState() {
  const st = shownState(state.agent);
  const pill = document.getElementById('agent-state');
  pill.textContent = t(st) + (st === 'paused' && state.agent?.reason ? ` (${state.agent.reason})` : '');
  pill.className = `pill s-${st}`;
  pill.dataset.state = st;
  document.getElementById('agent-since').textContent = state.agent?.since ? since(state.agent.since) : '';
  for (const s of ['ready', 'paused', 'wrap-up']) document.getElementById(`set-${s}`).classList.toggle('on', (s === 'ready' ? 'available' : s) === st);
  document.getElementById('transfer').disabled = !(state.call && state.call.agent === ext);
}

function renderCall() {
  const card = document.getElementById('pop');
  const body = document.getElementById('pop-body');
  const c = state.call ? { ...state.call, ...(pop && pop.call.callId === state.call.callId ? { vip: pop.call.vip || state.call.vip, callerName: pop.call.callerName ?? state.call.callerName } : {}) } : null;
  card.classList.toggle('ringing-banner', Boolean(c && !c.agent));
  if (!c) {
    body.className = 'muted';
    body.dataset.callId = '';
    body.textContent = t('noCall');
    return;
  }
  lastCallId = c.callId;
  body.className = '';
  body.dataset.callId = c.callId;
  const kv = (k, v, id) => [h('dt', {}, t(k)), h('dd', id ? { id } : {}, v ?? '–')];
  const slots = Object.entries(c.slots || {});
  body.replaceChildren(
    h('div', { class: 'big', id: 'pop-caller' }, c.caller ?? '?', c.vip ? h('span', { class: 'vip', id: 'pop-vip' }, 'VIP') : null),
    h('div', { class: 'muted', id: 'pop-status' }, c.agent ? `${t('onCall')} ${since(c.connectedAt)}` : `${t('incoming')} · ${c.lineId}`),
    h('dl', { class: 'kv' },
      kv('name', c.callerName, 'pop-name'),
      kv('reason', c.reason ? t(c.reason) : null, 'pop-reason'),
      kv('intent', c.intent, 'pop-intent'),
      kv('queue', c.queue, 'pop-queue'),
      kv('menuPath', c.menuPath),
      kv('emotion', c.emotion ? `${c.emotion.label} ${Math.round(c.emotion.score * 100)}%` : null, 'pop-emotion'),
      kv('lastAgent', pop?.history?.customer?.last_agent, 'pop-last-agent')),
    h('h2', {}, t('slots')),
    slots.length ? h('dl', { class: 'kv', id: 'pop-slots' }, slots.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : h('div', { class: 'muted' }, t('none')),
    h('h2', {}, t('conversation')),
    h('div', { class: 'turns', id: 'pop-turns' }, [...c.turns.map((x) => ({ at: x.at, text: `▶ ${x.input}${x.intent ? ` → ${x.intent}` : ''}${x.say ? ` · ${x.say}` : ''}` })), ...c.utterances.filter((u) => u.text).map((u) => ({ at: u.at, text: `🗣 ${u.text}` }))]
      .sort((a, b) => a.at.localeCompare(b.at)).map((x) => h('div', {}, h('span', { class: 'muted num' }, clock(x.at), ' '), x.text))),
  );
}

/** Knowledge-base entries as the agent reads them: the title, then the answer the bot would give. */
const kbEntries = (list, id) => h('div', { id }, list.map((e) => h('div', { class: 'kb-entry', dataset: { entry: e.id } }, h('b', {}, e.title), e.answer)));

/** The entries matching the caller's reason (kb.suggested at handoff) for the call on screen. */
function renderKb() {
  const el = document.getElementById('kb-suggested');
  const list = state.call?.suggestions ?? [];
  if (!list.length) {
    el.className = 'muted';
    el.dataset.callId = state.call?.callId ?? '';
    return el.replaceChildren(t('kbNone'));
  }
  el.className = '';
  el.dataset.callId = state.call.callId;
  el.replaceChildren(h('div', { class: 'muted' }, t('kbSuggested')), kbEntries(list, 'kb-suggested-list'));
}

if (m.knowledge) {
  document.getElementById('kb-card').classList.remove('hidden');
  const q = document.getElementById('kb-q');
  q.placeholder = t('kbAsk');
  document.getElementById('kb-form').onsubmit = async (ev) => {
    ev.preventDefault();
    const out = document.getElementById('kb-results'), err = document.getElementById('kb-err');
    err.textContent = '';
    if (!q.value.trim()) return out.replaceChildren();
    const r = await fetch(`/api/knowledge?q=${encodeURIComponent(q.value.trim())}`, { credentials: 'same-origin' });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) return (err.textContent = j.error || r.statusText);
    out.replaceChildren(j.entries.length ? kbEntries(j.entries, 'kb-results-list') : h('div', { class: 'muted' }, t('kbNoMatch')));
  };
}

function renderHistory() {
  const el = document.getElementById('history');
  if (!pop) return el.replaceChildren(h('div', { class: 'muted' }, t('none')));
  const hist = pop.history;
  el.replaceChildren(
    h('table', { id: 'history-calls' }, h('tr', {}, ['when', 'outcome', 'agent', 'intent'].map((k) => h('th', {}, t(k)))),
      hist.calls.length ? hist.calls.map((c) => h('tr', {}, h('td', { class: 'num' }, stamp(c.offered_at)), h('td', {}, c.outcome ?? '–'), h('td', {}, c.agent_ext ?? '–'), h('td', {}, c.intent ?? '–'))) : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('none')))),
    h('h2', {}, t('notes')),
    h('div', { id: 'history-notes' }, hist.notes.length ? hist.notes.map((n) => h('div', {}, h('span', { class: 'muted num' }, `${stamp(n.at)} ${n.user}${n.disposition ? ` · ${t(`d-${n.disposition}`)}` : ''}: `), n.note)) : h('div', { class: 'muted' }, t('none'))),
  );
}

const handlers = {
  me: (s) => {
    state = s;
    renderState();
    renderCall();
    renderKb();
  },
  pop: (p) => {
    pop = p;
    window.fdPopAt = Date.now();
    renderCall();
    renderHistory();
  },
};
// Only the agent's own page is their phone (a supervisor looking at it is not rung).
if (m.user.extension === ext) phone(handlers);
stream(`?ext=${encodeURIComponent(ext)}`, handlers);
setInterval(() => (renderState(), state.call && renderCall()), 1000);
renderState();
renderHistory();
