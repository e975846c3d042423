import { dur, h, header, me, post, setLang, lang, stamp, t } from './console.js';

const m = await me();
setLang(lang);
header(m, 'voicemail');

async function load() {
  const { voicemail } = await (await fetch('/api/voicemail')).json();
  document.getElementById('inbox').replaceChildren(
    h('tr', {}, ['when', 'caller', 'duration', 'play', 'handled', 'callBack'].map((k) => h('th', {}, t(k)))),
    ...(voicemail.length ? voicemail.map((v) => h('tr', { dataset: { vm: v.id }, class: v.heard ? 'muted' : '' },
      h('td', { class: 'num' }, stamp(v.recorded_at)),
      h('td', {}, v.caller ?? '?'),
      h('td', { class: 'num' }, dur(v.duration_ms)),
      h('td', {}, h('audio', { controls: '', preload: 'auto', src: `/api/voicemail/${encodeURIComponent(v.id)}/audio` })),
      h('td', {}, v.heard ? `✓ ${t('handled')}` : h('button', { class: 'act', onclick: async () => (await post(`/api/voicemail/${encodeURIComponent(v.id)}/handled`, { handled: true }), load()) }, t('markHandled'))),
      h('td', {}, v.caller ? h('button', { class: 'act call-back', onclick: async (e) => {
        const b = e.currentTarget;
        try {
          await post(`/api/voicemail/${encodeURIComponent(v.id)}/call-back`);
          b.textContent = t('callBackQueued');
          b.disabled = true;
        } catch (err) {
          b.textContent = err.message;
        }
      } }, t('callBack')) : ''))) : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('none')))]),
  );
}
await load();
window.fdInboxReady = true;
