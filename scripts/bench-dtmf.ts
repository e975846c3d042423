/**
 * In-band DTMF: our detector against spandsp (Debian libspandsp2, loaded through koffi), side by
 * side on the same generated material, in one run:  node dist/scripts/bench-dtmf.js [music-seconds]
 * Rows: a Q.24-style battery (levels, frequency deviation, twist, duration, gap, noise), the
 * sensitivity floor, talk-off on speech, false digits on music with strong harmonics, digits mixed
 * into speech, G.711 with noise, and CPU per 20 ms frame. Prints; asserts nothing.
 */
import { DtmfDetector } from '../daemon/speech/dtmf-detector.js';
import { decodeG711, encodeG711 } from '../drivers/audio/g711.js';
import { FRAME_BYTES } from '../drivers/media/format.js';
import { spandspDtmf } from './anchors/spandsp-dtmf.js';
import {
  ALL_DIGITS, RATE, amp, concat, digitRun, digitsInSpeech, gap, gauss, matched, music, rng, speechCorpus, toPcm,
  type DigitSpec,
} from './dtmf-material.js';

interface Detector {
  push(frame: Buffer): string;
}
interface Contender {
  name: string;
  make(): Detector;
}

const ours: Contender = {
  name: 'frontdesk',
  make() {
    const d = new DtmfDetector();
    return { push: (f) => d.push(f).join('') };
  },
};
const spandsp: Contender = {
  name: 'spandsp',
  make() {
    const d = spandspDtmf();
    return { push: (f) => d.push(f) };
  },
};
const contenders = [ours, spandsp];

function run(c: Contender, pcm: Buffer): string {
  const d = c.make();
  let s = '';
  for (let o = 0; o + FRAME_BYTES <= pcm.length; o += FRAME_BYTES) s += d.push(pcm.subarray(o, o + FRAME_BYTES));
  // Flush: spandsp reports at the end of a tone, so give both some trailing silence.
  const tail = Buffer.alloc(FRAME_BYTES * 10);
  for (let o = 0; o < tail.length; o += FRAME_BYTES) s += d.push(tail.subarray(o, o + FRAME_BYTES));
  return s;
}

const row = (label: string, cells: string[]): void => console.log(`${label.padEnd(44)} ${cells.map((c) => c.padStart(16)).join('')}`);
console.log(`DTMF: ${contenders.map((c) => c.name).join(' vs ')} (same material, one run)\n`);
row('', contenders.map((c) => c.name));

// --- Q.24-style battery: each case passes when all 16 digits (or none, for reject cases) come out.
interface Case { name: string; spec: DigitSpec; expect: 'all' | 'none'; gapMs?: number; noiseSnrDb?: number; repeat?: boolean }
const cases: Case[] = [
  ...[0, -10, -20, -30].map((l): Case => ({ name: `level ${l} dBFS`, spec: { ms: 60, lowDbfs: l }, expect: 'all' })),
  { name: 'level -40 dBFS', spec: { ms: 60, lowDbfs: -40 }, expect: 'all' },
  { name: 'deviation +1.5 %', spec: { ms: 60, lowDev: 0.015, highDev: 0.015 }, expect: 'all' },
  { name: 'deviation -1.5 %', spec: { ms: 60, lowDev: -0.015, highDev: -0.015 }, expect: 'all' },
  { name: 'deviation +3.5 % (reject)', spec: { ms: 60, lowDev: 0.035, highDev: 0.035 }, expect: 'none' },
  { name: 'deviation -3.5 % (reject)', spec: { ms: 60, lowDev: -0.035, highDev: -0.035 }, expect: 'none' },
  { name: 'reverse twist +4 dB', spec: { ms: 60, lowDbfs: -17, highDbfs: -13 }, expect: 'all' },
  { name: 'normal twist +8 dB', spec: { ms: 60, lowDbfs: -10, highDbfs: -18 }, expect: 'all' },
  { name: 'reverse twist +10 dB (reject)', spec: { ms: 60, lowDbfs: -23, highDbfs: -13 }, expect: 'none' },
  { name: 'normal twist +14 dB (reject)', spec: { ms: 60, lowDbfs: -8, highDbfs: -22 }, expect: 'none' },
  { name: 'duration 40 ms', spec: { ms: 40 }, expect: 'all' },
  { name: 'duration 20 ms (reject)', spec: { ms: 20 }, expect: 'none' },
  { name: 'gap 40 ms between repeats', spec: { ms: 50 }, expect: 'all', gapMs: 40, repeat: true },
  { name: 'white noise, 15 dB SNR', spec: { ms: 60, lowDbfs: -18 }, expect: 'all', noiseSnrDb: 15 },
];
const passed = contenders.map(() => 0);
for (const c of cases) {
  const digits = c.repeat ? [...ALL_DIGITS].map((d) => d + d).join('') : ALL_DIGITS;
  let x = digitRun(digits, c.spec, c.gapMs ?? 60);
  if (c.noiseSnrDb !== undefined) {
    const r = rng(3);
    const sig = 2 * (amp(c.spec.lowDbfs ?? -13) ** 2 / 2);
    const sigma = Math.sqrt(sig / 10 ** (c.noiseSnrDb / 10));
    x = x.map((v) => v + sigma * gauss(r));
  }
  const pcm = toPcm(x);
  const cells = contenders.map((k, i) => {
    const got = run(k, pcm);
    const ok = c.expect === 'all' ? got === digits : got === '';
    if (ok) passed[i]!++;
    return ok ? 'pass' : `FAIL ${got.length}/${c.expect === 'all' ? digits.length : 0}`;
  });
  row(`  ${c.name}`, cells);
}
row(`battery: cases passed (of ${cases.length})`, passed.map((p) => String(p)));

// --- Sensitivity floor: the lowest level (1 dB steps) down to which every digit is found.
const floors = contenders.map((k) => {
  let floor = NaN;
  for (let l = -20; l >= -60; l--) {
    if (run(k, toPcm(digitRun(ALL_DIGITS, { ms: 60, lowDbfs: l }))) !== ALL_DIGITS) break;
    floor = l;
  }
  return floor;
});
row('floor, dBFS per tone (lower is better)', floors.map((f) => (Number.isNaN(f) ? '> -20' : String(f))));

// --- Talk-off and music.
const corpus = speechCorpus();
if (corpus.length) {
  const secs = corpus.reduce((n, x) => n + x.length, 0) / RATE;
  row(`talk-off: false digits in ${secs.toFixed(0)} s of speech`, contenders.map((k) => String(corpus.reduce((n, x) => n + run(k, toPcm(x)).length, 0))));
} else row('talk-off (espeak-ng missing)', contenders.map(() => '-'));
const musicSeconds = Number(process.argv[2] ?? 180);
const mus = toPcm(music(musicSeconds));
row(`music with harmonics: false digits in ${musicSeconds} s`, contenders.map((k) => String(run(k, mus).length)));

// --- Digits inside speech.
for (const [tone, speechDb] of [[-10, -18], [-20, -18]] as const) {
  const mix = digitsInSpeech(106, tone, speechDb);
  if (!mix) break;
  const pcm = toPcm(mix.x);
  row(`digits in speech: ${tone} dBFS tones, speech ${speechDb} dBFS`, contenders.map((k) => {
    const got = run(k, pcm);
    return `${matched(mix.digits, got)}/${mix.digits.length} (+${got.length - matched(mix.digits, got)})`;
  }));
}

// --- G.711 (μ-law) with noise at 20 dB SNR: found digits, and false digits on the noise alone.
{
  const r = rng(9);
  const clean = digitRun(ALL_DIGITS.repeat(3), { ms: 60, lowDbfs: -20 });
  const sigma = Math.sqrt((2 * (amp(-20) ** 2 / 2)) / 10 ** (20 / 10));
  const noisy = toPcm(clean.map((v) => v + sigma * gauss(r)));
  const g711 = decodeG711(encodeG711(noisy, 'PCMU'), 'PCMU');
  const noiseOnly = decodeG711(encodeG711(toPcm(concat([gap(100), new Float64Array(RATE * 30).map(() => sigma * 3 * gauss(r))])), 'PCMU'), 'PCMU');
  row('G.711 u-law + noise 20 dB SNR: found', contenders.map((k) => `${matched(ALL_DIGITS.repeat(3), run(k, g711))}/48`));
  row('G.711 u-law noise alone (30 s): false', contenders.map((k) => String(run(k, noiseOnly).length)));
}

// --- CPU per 20 ms frame (after a JIT warm-up; best of 5), on speech, music and digits; ratio to
// spandsp. spandsp's column includes koffi's cost of two native calls per frame (see 'silence').
function cpu(k: Contender, pcm: Buffer): number {
  const frames: Buffer[] = [];
  for (let o = 0; o + FRAME_BYTES <= pcm.length; o += FRAME_BYTES) frames.push(pcm.subarray(o, o + FRAME_BYTES));
  const warm = k.make();
  for (const f of frames.slice(0, 3000)) warm.push(f);
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const d = k.make();
    // CPU time of this process, not wall time: the machine may be busy with other work.
    const t0 = process.cpuUsage();
    for (const f of frames) d.push(f);
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / frames.length);
  }
  return best;
}
const cpuRows: [string, Buffer][] = [
  ['speech', toPcm(concat(corpus.length ? corpus.slice(0, 6) : [music(30, 2)]))],
  ['music', toPcm(music(60, 3))],
  ['digits', toPcm(digitRun(ALL_DIGITS.repeat(20), { ms: 80, lowDbfs: -15 }, 80))],
  ['silence', Buffer.alloc(RATE * 2 * 30)],
];
for (const [name, pcm] of cpuRows) {
  const us = contenders.map((k) => cpu(k, pcm));
  row(`CPU µs per frame: ${name}`, [...us.map((u) => u.toFixed(2)), `ratio ${(us[0]! / us[1]!).toFixed(2)}x`]);
}

