/**
 * CPU per browser-phone call: node dist/scripts/bench-webrtc.js [calls] [seconds]
 * Runs N WebRTC agent legs (drivers/webrtc, the box's side) against N emulated browsers (a second
 * @roamhq/wrtc peer each, fed 48 kHz audio in 10 ms chunks as a microphone would be), all on
 * loopback, both directions carrying a tone; prints process CPU per call. Both ends run in this
 * process, so the number is an upper bound for the box's side.
 */
import wrtc from '@roamhq/wrtc';
import { toFrames } from '../drivers/media/format.js';
import { tone, toneLevel } from '../drivers/audio/tones.js';
import { WebRtcPhones } from '../drivers/webrtc/phones.js';
import { peerConnection } from '../drivers/webrtc/peer.js';
import type { WebRtcLeg } from '../drivers/webrtc/leg.js';

const calls = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 10);
const phones = new WebRtcPhones();
phones.setNetworks(['127.0.0.1/32']);

async function oneCall(i: number): Promise<{ leg: WebRtcLeg; stop: () => void; heard: Buffer[] }> {
  const ext = String(801 + i);
  let rung: WebRtcLeg | undefined;
  phones.attach(ext, { ring: (l) => (rung = l), end: () => undefined });
  const leg = await phones.dial(ext, { timeoutMs: 10_000 });
  if (rung !== leg) throw new Error('the page was not rung');
  const pc = peerConnection(wrtc);
  const mic = new wrtc.nonstandard.RTCAudioSource();
  pc.addTrack(mic.createTrack());
  let phase = 0;
  const timer = setInterval(() => {
    const s = new Int16Array(480);
    for (let k = 0; k < 480; k++) s[k] = Math.round(6000 * Math.sin((2 * Math.PI * 600 * phase++) / 48000));
    mic.onData({ samples: s, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
  }, 10);
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => setTimeout(r, 300));
  const answer = await leg.accept(pc.localDescription!.sdp.split('\r\n').filter((l: string) => !l.startsWith('a=candidate:') || l.includes(' 127.0.0.1 ')).join('\r\n'));
  const connected = new Promise<void>((resolve) => {
    leg.once('answered', () => resolve());
    setTimeout(resolve, 5000);
  });
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await connected;
  const heard: Buffer[] = [];
  leg.media!.on('frame', (f) => heard.push(f));
  const out = setInterval(() => {
    for (const f of toFrames(tone([1000], 200, -12))) leg.media?.write(f);
  }, 200);
  return { leg, heard, stop: () => (clearInterval(timer), clearInterval(out), pc.close()) };
}

const idle0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, 2000));
const idle = process.cpuUsage(idle0);
const running = [];
for (let i = 0; i < calls; i++) running.push(await oneCall(i));
await new Promise((r) => setTimeout(r, 2000));
for (const c of running) c.heard.length = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const idleShare = (idle.user + idle.system) / 1000 / 2000;
const share = (cpu.user + cpu.system) / 1000 / wall;
const levels = running.map((c) => toneLevel(Buffer.concat(c.heard), 600));
console.log(`WebRTC browser-phone calls: ${calls}, ${seconds} s, 600 Hz from each browser, 1 kHz to it (both ends in this process):`);
console.log(`  process CPU ${(share * 100).toFixed(1)}% of one core (idle ${(idleShare * 100).toFixed(1)}%): ${(((share - idleShare) / calls) * 100).toFixed(1)}% per call, both ends`);
console.log(`  audio reached the box in every call: ${levels.every((l) => l > 0.05) ? 'yes' : 'NO'} (600 Hz levels ${levels.map((l) => l.toFixed(2)).join(', ')})`);
for (const c of running) {
  c.stop();
  void c.leg.hangup(); // not awaited: the process exits below either way
}
setTimeout(() => process.exit(0), 300);
