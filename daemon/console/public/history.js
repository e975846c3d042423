import { clock, h, header, me, setLang, lang, stamp, t } from './console.js';

const m = await me();
setLang(lang);
header(m, 'historyPage');
const outcome = document.getElementById('q-outcome');
outcome.append(h('option', { value: '' }, t('all')), ...['bot-resolved', 'transferred', 'abandoned', 'voicemail', 'callback', 'failed'].map((o) => h('option', { value: o }, o)));
document.getElementById('q-number').placeholder = t('number');
document.getElementById('q-agent').placeholder = t('agent');

async function search() {
  const p = new URLSearchParams();
  for (const k of ['number', 'from', 'to', 'outcome', 'agent']) {
    const v = document.getElementById(`q-${k}`).value;
    if (v) p.set(k, v);
  }
  const { calls } = await (await fetch(`/api/calls?${p}`)).json();
  document.getElementById('calls').replaceChildren(
    h('tr', {}, ['when', 'caller', 'outcome', 'agent', 'queue', 'recording'].map((k) => h('th', {}, t(k)))),
    ...calls.map((c) => h('tr', { dataset: { call: c.id } },
      h('td', { class: 'num' }, h('a', { href: '#', onclick: (e) => (e.preventDefault(), detail(c.id)) }, stamp(c.offered_at))),
      h('td', {}, c.caller ?? '?'), h('td', {}, c.outcome ?? '…'), h('td', {}, c.agent_ext ?? ''), h('td', {}, c.queue_id ?? ''),
      h('td', {}, c.recorded ? '●' : ''))),
  );
  window.fdHistorySearches = (window.fdHistorySearches ?? 0) + 1; // tests wait for a search's answer
}

async function detail(id) {
  const d = await (await fetch(`/api/calls/${encodeURIComponent(id)}`)).json();
  const el = document.getElementById('detail');
  el.className = '';
  el.dataset.call = id;
  el.replaceChildren(
    h('div', { class: 'big' }, d.call.caller ?? '?'),
    d.call.recording_path ? h('audio', { controls: '', preload: 'auto', id: 'recording', src: `/api/calls/${encodeURIComponent(id)}/recording` }) : null,
    h('table', { id: 'timeline' }, h('tr', {}, h('th', {}, t('when')), h('th', {}, t('event')), h('th', {}, t('detail'))),
      d.timeline.map((e) => h('tr', {}, h('td', { class: 'num' }, clock(e.at)), h('td', {}, e.event), h('td', { class: 'muted' }, (e.data ?? '').slice(0, 120))))),
    d.notes.length ? h('div', {}, h('h2', {}, t('notes')), d.notes.map((n) => h('div', {}, `${n.user}: ${n.disposition ? `[${n.disposition}] ` : ''}${n.note}`))) : null,
  );
}

document.getElementById('search').addEventListener('submit', (e) => (e.preventDefault(), search()));
await search();
window.fdHistoryReady = true;
