import { h, header, me, setLang, lang, stamp, t } from './console.js';

const m = await me();
setLang(lang);
header(m, 'admin');
const r = await fetch('/api/audit', { credentials: 'same-origin' });
const { entries } = await r.json();
document.getElementById('audit').replaceChildren(
  h('tr', {}, ['when', 'by', 'action', 'target', 'detail', 'ip'].map((k) => h('th', {}, t(k)))),
  ...entries.map((e) => h('tr', {}, h('td', { class: 'num' }, stamp(e.at)), h('td', {}, `${e.user} (${e.role})`), h('td', {}, e.action), h('td', {}, e.target ?? ''), h('td', {}, e.detail ?? ''), h('td', {}, e.ip ?? ''))),
);
