/**
 * Test material for in-band DTMF detectors: digits with chosen levels, deviations and twist,
 * synthetic music with strong harmonics, espeak-ng speech, digits mixed into speech. Shared by
 * bench-dtmf (ours against spandsp) and the detector's tests, so both judge on the same sound.
 * Levels are in dBFS per tone: a sine whose peak is full scale is 0 dBFS (0 dBm0 = -3.14 dBFS).
 */
import { execFileSync } from 'node:child_process';
import { DTMF_FREQS } from '../drivers/audio/tones.js';
import { parseWav } from '../drivers/audio/wav.js';
import { resample } from '../drivers/audio/resample.js';

export const RATE = 8000;
export const ALL_DIGITS = '123A456B789C*0#D';

/** Deterministic PRNG (LCG), so a failing case reproduces. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export const amp = (dbfs: number): number => 32767 * 10 ** (dbfs / 20);

export interface DigitSpec {
  ms: number;
  /** Level of the low tone, dBFS. Default -13. */
  lowDbfs?: number;
  /** Level of the high tone, dBFS. Default: the low tone's. */
  highDbfs?: number;
  /** Relative frequency deviation of each tone. */
  lowDev?: number;
  highDev?: number;
}

/** One DTMF digit as float samples. */
export function digit(d: string, spec: DigitSpec): Float64Array {
  const [lo, hi] = DTMF_FREQS[d]!;
  const n = Math.round((spec.ms * RATE) / 1000);
  const al = amp(spec.lowDbfs ?? -13);
  const ah = amp(spec.highDbfs ?? spec.lowDbfs ?? -13);
  const fl = lo * (1 + (spec.lowDev ?? 0));
  const fh = hi * (1 + (spec.highDev ?? 0));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = al * Math.sin((2 * Math.PI * fl * i) / RATE) + ah * Math.sin((2 * Math.PI * fh * i) / RATE + 1);
  return out;
}

export const gap = (ms: number): Float64Array => new Float64Array(Math.round((ms * RATE) / 1000));

export function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function toPcm(x: Float64Array): Buffer {
  const b = Buffer.alloc(x.length * 2);
  for (let i = 0; i < x.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i]!))), i * 2);
  return b;
}

/** A run of digits, each `ms` long with `gapMs` between, after `leadMs` of silence. */
export function digitRun(digits: string, spec: DigitSpec, gapMs = 60, leadMs = 100): Float64Array {
  return concat([gap(leadMs), ...[...digits].flatMap((d) => [digit(d, spec), gap(gapMs)]), gap(200)]);
}

/**
 * Steady "musical" notes with strong harmonics: each note holds a fundamental for 0.4-1.2 s with
 * harmonics 2..6 at random strengths (the 2nd often as strong as the fundamental, as in a flute, an
 * organ stop or a sung vowel), a slow vibrato on some. Fundamentals are drawn so that many notes put
 * a low-group-like frequency and its octave on DTMF pairs (752/1504 near 770/1477, 834/1668 near
 * 852/1633, 690/1380 near 697/1336), the case that fools detectors which only check each tone's
 * own frequency, plus notes across 150-1000 Hz.
 */
export function music(seconds: number, seed = 11): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(Math.round(seconds * RATE));
  const traps = [690, 700, 745, 752, 755, 760, 825, 832, 835, 845, 930, 945];
  let i = 0;
  while (i < out.length) {
    const n = Math.min(out.length - i, Math.round((0.4 + 0.8 * r()) * RATE));
    const trap = r() < 0.6;
    const f0 = trap ? traps[Math.floor(r() * traps.length)]! * (1 + (r() - 0.5) * 0.01) : 150 + 850 * r();
    // Sometimes the fundamental is an octave below the trap pair (2nd and 4th harmonics on it).
    const base = trap && r() < 0.3 ? f0 / 2 : f0;
    const h = [1, 0.6 + 0.6 * r(), 0.3 * r(), 0.2 * r(), 0.1 * r(), 0.05 * r()];
    if (base !== f0) h[0] = 0.3 * r();
    const level = amp(-6 - 20 * r());
    const vib = r() < 0.3 ? 0.004 : 0;
    const attack = Math.round(0.02 * RATE);
    let phase = 0;
    for (let k = 0; k < n; k++) {
      const f = base * (1 + vib * Math.sin((2 * Math.PI * 5 * k) / RATE));
      phase += (2 * Math.PI * f) / RATE;
      let v = 0;
      for (let m = 0; m < h.length; m++) if ((m + 1) * f < RATE / 2) v += h[m]! * Math.sin((m + 1) * phase + m);
      const env = Math.min(1, k / attack, (n - k) / attack);
      out[i + k] = level * env * v * 0.6;
    }
    i += n;
  }
  return out;
}

/** English and Mandarin sentences a caller or a prompt might say (talk-off material). */
export const EN = [
  'Thank you for calling the branch office. Please listen carefully, as our menu options have changed.',
  'For account balances and recent transactions, press one. To report a lost or stolen card, press two.',
  'Our opening hours are Monday to Friday, nine in the morning until five thirty in the afternoon.',
  'I would like to speak with someone about my mortgage application, please, it is rather urgent.',
  'Hello? Hello? Can you hear me? The line is very bad today, I will call you back later on.',
  'She sells sea shells by the sea shore; the quick brown fox jumps over the lazy dog, again and again.',
];
export const CMN = [
  '您好，欢迎致电分行营业部。请仔细收听以下菜单选项。',
  '查询账户余额和最近交易，请按一。挂失银行卡，请按二。',
  '我们的营业时间是周一至周五，上午九点到下午五点半。',
  '我想咨询一下房贷申请的进度，这件事比较着急，麻烦您帮我转人工。',
  '喂？喂？你能听见吗？今天信号不太好，我等一下再打过来。',
  '四是四，十是十，十四是十四，四十是四十。',
];

/** espeak-ng speech at 8 kHz, or undefined where espeak-ng is missing. */
export function espeak(voice: string, text: string): Int16Array | undefined {
  try {
    const wav = execFileSync('espeak-ng', ['-v', voice, '-b', '1', '--stdout', text], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const pcm = parseWav(wav);
    return resample(pcm.samples, pcm.sampleRate, RATE);
  } catch {
    return undefined;
  }
}

/** en and cmn speech, male and female voices, each at +6, 0 and -10 dB: the talk-off material. */
export function speechCorpus(): Float64Array[] {
  const out: Float64Array[] = [];
  for (const [voice, lines] of [['en', EN], ['en+f3', EN], ['cmn', CMN], ['cmn+f4', CMN]] as const) {
    const s = espeak(voice, lines.join(' '));
    if (!s) continue;
    for (const gainDb of [6, 0, -10]) {
      const g = 10 ** (gainDb / 20);
      out.push(Float64Array.from(s, (v) => v * g));
    }
  }
  return out;
}

/**
 * `count` digits mixed into continuous speech: each digit (60-90 ms, random key) at `toneDbfs` per
 * tone, over speech scaled so its RMS is `speechDbfs` (dBFS of a full-scale sine's RMS), one digit
 * every 0.6-1.0 s. Returns the mix and the digits in order.
 */
export function digitsInSpeech(count: number, toneDbfs: number, speechDbfs: number, seed = 5): { x: Float64Array; digits: string } | undefined {
  const en = espeak('en', EN.join(' '));
  const cmn = espeak('cmn', CMN.join(' '));
  if (!en || !cmn) return undefined;
  const base = Float64Array.from([...en, ...cmn]);
  let sum = 0;
  for (const v of base) sum += v * v;
  const rmsNow = Math.sqrt(sum / base.length);
  const g = (amp(speechDbfs) / Math.SQRT2) / rmsNow;
  const r = rng(seed);
  const spacing = (): number => Math.round((0.6 + 0.4 * r()) * RATE);
  let need = 0;
  for (let k = 0; k < count; k++) need += RATE; // upper bound
  const x = new Float64Array(need + RATE);
  for (let i = 0; i < x.length; i++) x[i] = base[i % base.length]! * g;
  let pos = Math.round(0.3 * RATE);
  let digits = '';
  for (let k = 0; k < count; k++) {
    const d = ALL_DIGITS[Math.floor(r() * 16)]!;
    const tone = digit(d, { ms: 60 + 30 * r(), lowDbfs: toneDbfs });
    for (let i = 0; i < tone.length; i++) x[pos + i]! += tone[i]!;
    digits += d;
    pos += tone.length + spacing();
  }
  return { x: x.subarray(0, pos + RATE), digits };
}

/** Longest common subsequence length: how many of the expected digits were found in order. */
export function matched(expected: string, got: string): number {
  const m = expected.length, n = got.length;
  let prev = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1).fill(0);
    for (let j = 1; j <= n; j++) cur[j] = expected[i - 1] === got[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[n]!;
}
