import { dur, h, header, me, pct, post, setLang, lang, since, stream, t } from './console.js';
import { phone } from './phone.js';

const m = await me();
setLang(lang);
header(m, 'wallboard');
let wall = null;
const names = new Map(m.agents.map((a) => [a.extension, a.name]));

function table(id, head, rows, empty) {
  const el = document.getElementById(id);
  el.replaceChildren(h('tr', {}, head.map((x) => h('th', {}, t(x)))), ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, t(empty)))]));
}

function render() {
  if (!wall) return;
  const now = Date.now();
  table('queues', ['queue', 'waiting', 'longest', 'sl', 'answered', 'abandoned'], wall.queues.map((q) => {
    const longest = q.waiting.reduce((mx, w) => Math.max(mx, now - Date.parse(w.since)), 0);
    return h('tr', { dataset: { queue: q.id } },
      h('td', {}, q.id),
      h('td', { class: 'num big', dataset: { k: 'waiting' } }, q.waiting.length),
      h('td', { class: 'num', dataset: { k: 'longest' } }, q.waiting.length ? dur(longest) : '–', q.waiting.some((w) => w.vip) ? h('span', { class: 'vip' }, 'VIP') : null),
      h('td', { class: 'num' }, pct(q.today.serviceLevel)),
      h('td', { class: 'num' }, q.today.answered),
      h('td', { class: 'num' }, q.today.abandoned));
  }), 'none');
  table('agents', ['agent', 'state', 'call', 'inState'], wall.agents.map((a) => {
    const st = a.state === 'paused' && a.reason === 'wrap-up' ? 'wrap-up' : a.state;
    return h('tr', { dataset: { ext: a.extension } },
      h('td', {}, `${a.extension} ${names.get(a.extension) ?? a.name ?? ''}`),
      h('td', {}, h('span', { class: `pill s-${st}`, dataset: { k: 'state' } }, t(st)), a.reason && st === 'paused' ? h('span', { class: 'muted' }, ` ${a.reason}`) : null),
      h('td', { dataset: { k: 'call' } }, a.caller ?? (a.callId ? '…' : ''), a.state === 'busy' && a.callId ? ['listen', 'whisper', 'barge'].map((mode) => h('button', { class: `act ${mode}`, onclick: () => post(`/api/calls/${encodeURIComponent(a.callId)}/listen`, { mode }).catch((e) => alert(e.message)) }, t(mode))) : null),
      h('td', { class: 'num' }, since(a.since)));
  }), 'none');
  table('lines', ['line', 'state', 'signal', 'operator'], wall.lines.map((l) => h('tr', { dataset: { line: l.lineId } },
    h('td', {}, `${l.lineId} (${l.kind})`),
    h('td', {}, h('span', { class: `pill s-${l.state === 'ready' ? (l.inCall ? 'busy' : 'available') : l.state}` }, l.inCall ? t('busy') : l.state)),
    h('td', { class: 'num' }, l.signalDbm !== undefined ? `${l.signalDbm} dBm` : '–'),
    h('td', {}, l.operator ?? (l.registered === undefined ? '–' : l.registered ? 'registered' : 'not registered')))), 'none');
  table('alarms', ['alarm', 'detail', 'when'].map((k) => (k === 'alarm' ? 'alarms' : k)), wall.alarms.map((a) => h('tr', { class: a.severity === 'critical' ? 'bad' : '' },
    h('td', {}, `${a.code}${a.source ? ` (${a.source})` : ''}`), h('td', {}, a.message), h('td', { class: 'num' }, since(a.since)))), 'noAlarms');
}

const handlers = { wall: (w) => ((wall = w), render()) };
phone(handlers);
stream('', handlers);
// Waiting times and time in state tick without server traffic.
setInterval(render, 1000);
