import { execFileSync } from 'node:child_process';
import { parseWav } from '../drivers/audio/wav.js';
import { resample } from '../drivers/audio/resample.js';

/** `sec` seconds of spoken prompt (espeak-ng, looped) as 8 kHz s16le, for benchmarks; throws without espeak-ng. */
export function spokenPrompt(sec: number): Buffer {
  const text = 'Thank you for calling the branch office. Please hold while we connect you to the next available agent. 您好，欢迎致电分行营业部，请问有什么可以帮您？';
  const wav = parseWav(execFileSync('espeak-ng', ['-v', 'en', '-b', '1', '--stdout', text]));
  const s = resample(wav.samples, wav.sampleRate, 8000);
  const one = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
  const parts: Buffer[] = [];
  for (let n = 0; n < sec * 16000; n += one.length) parts.push(one);
  return Buffer.concat(parts).subarray(0, sec * 16000);
}
