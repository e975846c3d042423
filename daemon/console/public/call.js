// The public "call us" page: the visitor's browser calls the box over WebRTC (no login).
import { h, lang, setLang, t } from './console.js';

setLang(lang);
const $ = (id) => document.getElementById(id);
let call = null;
let pc = null;
let analyser = null;
let ctx = null;

function state(s) {
  $('web-state').textContent = t(`web-${s}`);
  $('web-state').dataset.state = s;
  $('web-call').disabled = s === 'calling' || s === 'talking';
  $('web-hangup').disabled = !(s === 'calling' || s === 'talking');
}

async function api(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...(call ? { 'x-webcall-token': call.token } : {}) }, body: JSON.stringify(body ?? {}) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(j.error || r.statusText), { status: r.status });
  return j;
}

$('web-call').onclick = async () => {
  state('calling');
  try {
    ctx = new AudioContext();
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    pc = new RTCPeerConnection({ iceServers: [] });
    for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
    pc.ontrack = (e) => {
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      $('web-audio').srcObject = stream;
      analyser = ctx.createAnalyser();
      analyser.fftSize = 4096;
      ctx.createMediaStreamSource(stream).connect(analyser);
    };
    pc.onconnectionstatechange = () => {
      if (pc?.connectionState === 'connected') state('talking');
      if (pc && ['failed', 'closed', 'disconnected'].includes(pc.connectionState)) ended();
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(timer), resolve()));
    });
    call = await api('/api/webcall', { sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: 'answer', sdp: call.sdp });
  } catch (e) {
    ended();
    $('web-state').textContent = e.status === 429 || e.status === 503 ? t('web-busy') : e.message;
    $('web-state').dataset.state = 'refused';
  }
};

function ended() {
  pc?.close();
  pc = null;
  call = null;
  state('ended');
}

$('web-hangup').onclick = async () => {
  if (call) await api(`/api/webcall/${call.legId}/hangup`).catch(() => {});
  ended();
};
$('web-keypad').append(...'123456789*0#'.split('').map((d) => h('button', { class: 'act', id: `web-key-${d === '*' ? 'star' : d === '#' ? 'hash' : d}`, onclick: () => call && api(`/api/webcall/${call.legId}/dtmf`, { digits: d }) }, d)));

/** For tests: the level (dB) the page hears at a frequency. */
window.fdWeb = {
  ready: () => Boolean(analyser),
  levelAt(freq) {
    if (!analyser) return null;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const i = Math.round(freq / (ctx.sampleRate / analyser.fftSize));
    return Math.max(bins[i - 1], bins[i], bins[i + 1]);
  },
};
