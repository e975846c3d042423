import { lang, setLang, t } from './console.js';

setLang(lang);
const btn = document.getElementById('lang');
btn.textContent = lang === 'zh' ? 'English' : '中文';
btn.onclick = () => {
  setLang(lang === 'zh' ? 'en' : 'zh');
  btn.textContent = lang === 'zh' ? 'English' : '中文';
};
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = document.getElementById('err');
  err.textContent = '';
  const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: document.getElementById('user').value, password: document.getElementById('password').value }) });
  const j = await r.json().catch(() => ({}));
  if (r.status === 429) err.textContent = t('locked', { s: j.retryAfter });
  else if (!r.ok) err.textContent = t('wrong');
  else {
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : j.home;
  }
});
