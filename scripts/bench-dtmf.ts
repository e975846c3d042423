/**
 * DTMF detector cost per 20 ms frame: node dist/scripts/bench-dtmf.js [seconds-of-audio-per-case]
 * Prints µs per frame for silence, line noise, speech (espeak-ng, if installed) and DTMF, and what
 * that means in calls per CPU core (each call pushes 50 frames a second).
 */
import { DtmfDetector } from '../daemon/speech/dtmf-detector.js';
import { dtmfTones, silence } from '../drivers/audio/tones.js';
import { FRAME_BYTES } from '../drivers/media/format.js';
import { spokenPrompt } from './speech-sample.js';

const seconds = Number(process.argv[2] ?? 60);

function noise(sec: number, rms: number): Buffer {
  const b = Buffer.alloc(sec * 16000);
  let s = 12345;
  for (let i = 0; i < b.length; i += 2) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    b.writeInt16LE(Math.round(((s / 0x7fffffff) * 2 - 1) * rms * 1.732), i);
  }
  return b;
}

function speech(sec: number): Buffer | undefined {
  try {
    return spokenPrompt(sec);
  } catch {
    return undefined;
  }
}

function loop(pcm: Buffer, sec: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = 0; n < sec * 16000; n += pcm.length) parts.push(pcm);
  return Buffer.concat(parts).subarray(0, sec * 16000);
}

function bench(name: string, pcm: Buffer): void {
  const frames: Buffer[] = [];
  for (let o = 0; o + FRAME_BYTES <= pcm.length; o += FRAME_BYTES) frames.push(pcm.subarray(o, o + FRAME_BYTES));
  // Warm up the JIT, then measure.
  const warm = new DtmfDetector();
  for (const f of frames.slice(0, 2000)) warm.push(f);
  const det = new DtmfDetector();
  let digits = 0;
  const t0 = process.hrtime.bigint();
  for (const f of frames) digits += det.push(f).length;
  const us = Number(process.hrtime.bigint() - t0) / 1000 / frames.length;
  const perCall = (us * 50) / 1e6; // share of one core per call
  console.log(`${name.padEnd(22)} ${us.toFixed(2).padStart(7)} µs/frame  ${(perCall * 100).toFixed(3)} % of a core per call  ~${Math.floor(1 / perCall)} calls/core  (${digits} digits)`);
}

console.log(`DTMF detector, ${seconds} s of audio per case (${seconds * 50} frames)`);
bench('silence', silence(seconds * 1000));
bench('line noise -60 dBFS', noise(seconds, 32768 * 10 ** (-60 / 20)));
bench('white noise -20 dBFS', noise(seconds, 32768 * 10 ** (-20 / 20)));
const sp = speech(seconds);
if (sp) bench('speech (espeak-ng)', sp);
else console.log('speech: espeak-ng not available, skipped');
bench('DTMF 1234567890*#', loop(dtmfTones('1234567890*#', 80, 80), seconds));
