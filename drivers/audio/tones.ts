import { SAMPLE_RATE } from '../media/format.js';

/** DTMF frequency pairs (low, high) per digit. */
export const DTMF_FREQS: Readonly<Record<string, readonly [number, number]>> = {
  '1': [697, 1209], '2': [697, 1336], '3': [697, 1477], A: [697, 1633],
  '4': [770, 1209], '5': [770, 1336], '6': [770, 1477], B: [770, 1633],
  '7': [852, 1209], '8': [852, 1336], '9': [852, 1477], C: [852, 1633],
  '*': [941, 1209], '0': [941, 1336], '#': [941, 1477], D: [941, 1633],
};

/** A sum of sines, `ms` long, each at `level` dBFS (default -10), as s16le PCM at 8 kHz. */
export function tone(freqs: readonly number[], ms: number, levelDbfs = -10, rate = SAMPLE_RATE): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const amp = 32767 * Math.pow(10, levelDbfs / 20);
  const buf = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / rate);
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * amp))), i * 2);
  }
  return buf;
}

export function silence(ms: number, rate = SAMPLE_RATE): Buffer {
  return Buffer.alloc(Math.round((rate * ms) / 1000) * 2);
}

/** In-band DTMF for a digit string: each digit `toneMs` of tone then `gapMs` of silence. */
export function dtmfTones(digits: string, toneMs = 100, gapMs = 100, levelDbfs = -10): Buffer {
  const parts: Buffer[] = [];
  for (const d of digits.toUpperCase()) {
    const f = DTMF_FREQS[d];
    if (!f) throw new Error(`not a DTMF digit: ${d}`);
    parts.push(tone(f, toneMs, levelDbfs - 3), silence(gapMs)); // -3 dB each so the pair peaks near levelDbfs
  }
  return Buffer.concat(parts);
}

/** Strength of `freq` in s16le PCM, via the Goertzel algorithm, as RMS-relative magnitude 0..1. */
export function toneLevel(pcm: Buffer | Int16Array, freq: number, rate = SAMPLE_RATE): number {
  const s = pcm instanceof Int16Array ? pcm : asSamples(pcm);
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let q1 = 0;
  let q2 = 0;
  for (let i = 0; i < s.length; i++) {
    const q0 = coeff * q1 - q2 + s[i]! / 32768;
    q2 = q1;
    q1 = q0;
  }
  const power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
  return (2 * Math.sqrt(Math.max(0, power))) / Math.max(1, s.length);
}

/** View s16le bytes as samples, copying only when the buffer is not 2-byte aligned. */
export function asSamples(pcm: Buffer): Int16Array {
  if (pcm.byteOffset % 2 === 0) return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
  const copy = Buffer.from(pcm);
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1);
}

/** Root-mean-square level of s16le PCM (0..32768). */
export function rms(pcm: Buffer | Int16Array): number {
  const s = pcm instanceof Int16Array ? pcm : asSamples(pcm);
  let acc = 0;
  for (let i = 0; i < s.length; i++) acc += s[i]! * s[i]!;
  return Math.sqrt(acc / Math.max(1, s.length));
}

/** A tone as samples (e.g. for a WAV a test phone plays). */
export function toneSamples(freq: number, ms: number, levelDbfs = -12): Int16Array {
  const b = tone([freq], ms, levelDbfs);
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
}
