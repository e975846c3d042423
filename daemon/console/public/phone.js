// The workbench as a phone: rings on 'rtc-ring', answers with the microphone over WebRTC, keypad,
// hang-up. What the page hears is measurable through window.fdRtc (an AnalyserNode).
import { h, post, t } from './console.js';

let leg = null;
let pc = null;
let analyser = null;
let ctx = null;

const $ = (id) => document.getElementById(id);

function show(state, caller) {
  $('phone').classList.remove('hidden');
  $('phone').classList.toggle('ringing-banner', state === 'ringing');
  $('phone-state').textContent = t(`rtc-${state}`);
  $('phone-state').className = `pill s-${state === 'talking' ? 'busy' : state}`;
  $('phone-state').dataset.state = state;
  if (caller !== undefined) $('phone-caller').textContent = caller ?? '';
  $('phone-answer').disabled = state !== 'ringing';
  $('phone-hangup').disabled = state === 'ended';
}

async function answer() {
  if (!leg) return;
  const me = leg;
  ctx = new AudioContext();
  const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  pc = new RTCPeerConnection({ iceServers: [] });
  for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
  pc.ontrack = (e) => {
    const stream = e.streams[0] ?? new MediaStream([e.track]);
    // Chrome feeds a remote stream into WebAudio only while a media element plays it too.
    $('phone-audio').srcObject = stream;
    const src = ctx.createMediaStreamSource(stream);
    analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0.5;
    src.connect(analyser);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, 3000);
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(timer), resolve()));
  });
  const r = await post(`/api/rtc/${me.legId}/answer`, { sdp: pc.localDescription.sdp });
  await pc.setRemoteDescription({ type: 'answer', sdp: r.sdp });
  show('talking');
}

function ended() {
  show('ended');
  pc?.close();
  pc = null;
  leg = null;
}

export function phone(handlers) {
  $('phone-answer').onclick = () => answer().catch((e) => ($('phone-caller').textContent = e.message));
  $('phone-hangup').onclick = async () => {
    if (leg) await post(`/api/rtc/${leg.legId}/hangup`).catch(() => {});
    ended();
  };
  if ($('keypad')) $('keypad').append(...'123456789*0#'.split('').map((d) => h('button', { class: 'act', id: `key-${d === '*' ? 'star' : d === '#' ? 'hash' : d}`, onclick: () => leg && post(`/api/rtc/${leg.legId}/dtmf`, { digits: d }) }, d)));
  handlers['rtc-ring'] = (r) => {
    leg = r;
    show('ringing', r.listen ? `${t('listening')} ${r.caller ?? ''}` : r.caller);
    // Listening in was asked for by a click on this page: answer at once.
    if (r.listen) answer().catch((e) => ($('phone-caller').textContent = e.message));
  };
  handlers['rtc-end'] = (r) => {
    if (leg && r.legId !== leg.legId) return;
    ended();
  };
}

/** For tests and diagnostics: the level (dB) the page hears at a frequency, and the peak. */
window.fdRtc = {
  ready: () => Boolean(analyser),
  state: () => $('phone-state').dataset.state ?? null,
  levelAt(freq) {
    if (!analyser) return null;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const hz = ctx.sampleRate / analyser.fftSize;
    const i = Math.round(freq / hz);
    return Math.max(bins[i - 1], bins[i], bins[i + 1]);
  },
  peak() {
    if (!analyser) return null;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return { hz: (best * ctx.sampleRate) / analyser.fftSize, db: bins[best] };
  },
};
