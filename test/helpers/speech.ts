import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Endpointer, type EndpointEvent } from '../../daemon/speech/vad/endpointer.js';
import type { Vad } from '../../daemon/speech/vad/vad.js';

const run = promisify(execFile);

/** espeak-ng speech as 8 kHz s16le samples (sox resamples). */
export async function espeak(voice: 'en' | 'cmn', text: string, args: string[] = []): Promise<Int16Array> {
  const { stdout } = await run('sh', ['-c', `espeak-ng -v ${voice} ${args.join(' ')} --stdout "$0" | sox -q -t wav - -t raw -r 8000 -e signed -b 16 -c 1 -`, text], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return new Int16Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + (stdout.length & ~1)));
}

export function silenceSamples(seconds: number): Int16Array {
  return new Int16Array(Math.round(seconds * 8000));
}

/** Line noise: white noise plus 50 Hz mains hum and its harmonics, at about `dbfs`. Seeded. */
export function lineNoise(seconds: number, dbfs = -35, seed = 7): Int16Array {
  const n = Math.round(seconds * 8000);
  const out = new Int16Array(n);
  const amp = 32768 * 10 ** (dbfs / 20);
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  for (let i = 0; i < n; i++) {
    const t = i / 8000;
    const hum = Math.sin(2 * Math.PI * 50 * t) + 0.5 * Math.sin(2 * Math.PI * 150 * t) + 0.3 * Math.sin(2 * Math.PI * 250 * t);
    out[i] = Math.round(amp * (0.8 * rnd() * 1.7 + 0.5 * hum));
  }
  return out;
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function toBuffer(s: Int16Array): Buffer {
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
}

/** Run a VAD + endpointer over samples; the events with their times. */
export async function endpoints(vad: Vad, samples: Int16Array, o: { threshold?: number; startMs?: number; endSilenceMs?: number; bargeInMs?: number } = {}): Promise<(EndpointEvent & { t: number })[]> {
  const W = vad.windowSamples;
  const ep = new Endpointer({ windowMs: (W / 8000) * 1000, threshold: vad.name === 'energy' ? 0.5 : (o.threshold ?? 0.5), startMs: o.startMs ?? 200, endSilenceMs: o.endSilenceMs ?? 700, bargeInMs: o.bargeInMs ?? 400 });
  const out: (EndpointEvent & { t: number })[] = [];
  for (let off = 0; off + W <= samples.length; off += W) {
    const p = await vad.process(samples.subarray(off, off + W));
    for (const e of ep.push(p)) out.push({ ...e, t: ep.nowMs });
  }
  return out;
}
