// KPI plots with uPlot (served from the box, no CDN).
import { h, header, me, pct, setLang, lang, t } from './console.js';

const m = await me();
setLang(lang);
header(m, 'kpis');
const k = await (await fetch('/api/kpis')).json();
const days = k.days.map((d) => Date.parse(d.day) / 1000);
const pctOrNull = (x) => (x === null ? null : Math.round(x * 1000) / 10);
const width = Math.max(280, document.getElementById('rates').clientWidth - 10);
const UPlot = window.uPlot;
// Days are the box's calendar days: the time axes show them in its timezone, whatever the browser's.
const tz = k.timeZone ? { tzDate: (ts) => UPlot.tzDate(new Date(ts * 1e3), k.timeZone) } : {};

new UPlot({
  width, height: 220, ...tz,
  scales: { y: { range: [0, 100] } },
  series: [{}, ...[['containment', 'containmentRate', '#2458c6'], ['sl', 'serviceLevel', '#1f8a4c'], ['abandonment', 'abandonRate', '#c62f2f'], ['csat', 'csat', '#c27c0e']].map(([label, key, stroke]) => ({ label: t(label), stroke, width: 2, spanGaps: true, value: (_u, v) => (v === null ? '–' : `${v}%`) }))],
  axes: [{}, { values: (_u, vals) => vals.map((v) => `${v}%`) }],
}, [days, ...['containmentRate', 'serviceLevel', 'abandonRate', 'csat'].map((key) => k.days.map((d) => pctOrNull(d[key])))], document.getElementById('rates'));

new UPlot({ width, height: 220, ...tz, series: [{}, { label: t('asa'), stroke: '#7a3ab0', width: 2, spanGaps: true }] }, [days, k.days.map((d) => d.asa)], document.getElementById('asa'));

const hours = Array.from({ length: 24 }, (_, i) => i);
new UPlot({
  width, height: 220,
  scales: { x: { time: false } },
  // Whole hours and whole calls on the axes.
  axes: [{ incrs: [1, 2, 3, 6] }, { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }],
  series: [{ label: 'h' }, { label: t('offered'), stroke: '#2458c6', fill: 'rgba(36,88,198,.25)', paths: UPlot.paths.bars({ size: [0.8] }) }],
}, [hours, k.perHour], document.getElementById('hours'));

document.getElementById('kpi-table').replaceChildren(
  h('tr', {}, ['when', 'offered', 'containment', 'sl', 'abandonment', 'asa', 'csat'].map((x) => h('th', {}, t(x)))),
  ...k.days.map((d) => h('tr', {}, h('td', { class: 'num' }, d.date), h('td', { class: 'num' }, d.offered), h('td', { class: 'num' }, pct(d.containmentRate)), h('td', { class: 'num' }, pct(d.serviceLevel)), h('td', { class: 'num' }, pct(d.abandonRate)), h('td', { class: 'num' }, d.asa ?? '–'), h('td', { class: 'num' }, pct(d.csat)))),
);
window.fdKpisReady = document.querySelectorAll('.uplot').length;
