/**
 * Speech benchmarks: VAD time per window (Silero 32 ms windows, energy 20 ms windows), emotion
 * inference per utterance (shipped baseline: prosody features + ONNX), and the worker's IPC round
 * trip (ping, and 100 ms of audio in → event out under load). Prints numbers; asserts nothing.
 *   node dist/scripts/bench-speech.js
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { EmotionRunner } from '../daemon/speech/emotion/runner.js';
import { prosody } from '../daemon/speech/emotion/prosody.js';
import { SpeechSupervisor } from '../daemon/speech/supervisor.js';
import { EnergyVad } from '../daemon/speech/vad/energy.js';
import { SileroModel } from '../daemon/speech/vad/silero.js';
import type { Vad } from '../daemon/speech/vad/vad.js';

const models = fileURLToPath(new URL('../../models/', import.meta.url));

function speech(): Int16Array {
  const b = execFileSync('sh', ['-c', 'espeak-ng -v en --stdout "I have been waiting for an hour and nobody helps me with my account" | sox -q -t wav - -t raw -r 8000 -e signed -b 16 -c 1 -']);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~1)));
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(3)}  p95 ${q(0.95).toFixed(3)}  max ${s[s.length - 1]!.toFixed(3)}  (n=${s.length})`;
}

const audio = speech();
console.log(`utterance: ${(audio.length / 8000).toFixed(2)} s of espeak-ng speech at 8 kHz\n`);

async function benchVad(vad: Vad): Promise<void> {
  const W = vad.windowSamples;
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    for (let o = 0; o + W <= audio.length; o += W) {
      const t0 = performance.now();
      await vad.process(audio.subarray(o, o + W));
      times.push((performance.now() - t0) * 1000);
    }
  }
  const perSecond = (1000 / ((W / 8000) * 1000)) * (times.reduce((a, b) => a + b, 0) / times.length);
  console.log(`VAD ${vad.name.padEnd(6)} µs per ${((W / 8000) * 1000).toFixed(0)} ms window: ${stats(times)}  → ${(perSecond / 1e4).toFixed(2)}% of one core per call`);
}
await benchVad((await SileroModel.load()).vad());
await benchVad(new EnergyVad());

const runner = await EmotionRunner.load(`${models}emotion-baseline.onnx`);
const emo: number[] = [];
const feat: number[] = [];
for (let i = 0; i < 10; i++) {
  let t0 = performance.now();
  prosody(audio);
  feat.push(performance.now() - t0);
  t0 = performance.now();
  await runner.infer(audio);
  emo.push(performance.now() - t0);
}
console.log(`\nemotion baseline ms per utterance (features + ONNX): ${stats(emo)}`);
console.log(`  of which prosody features ms: ${stats(feat)}`);

const sup = new SpeechSupervisor({ settings: { vad: { engine: 'silero', threshold: 0.5, startMs: 200, endSilenceMs: 700, bargeInMs: 400 }, asrModels: {}, emotionModel: `${models}emotion-baseline.onnx` }, log: pino({ level: 'silent' }) });
sup.start();
await sup.whenReady();
const rtt: number[] = [];
for (let i = 0; i < 200; i++) rtt.push(await sup.ping());
console.log(`\nworker round trip (ping) ms: ${stats(rtt)}`);

// Under load: N calls streaming at real time; ping latency while they are processed.
for (const calls of [1, 8]) {
  const streams = Array.from({ length: calls }, (_, i) => sup.open(`bench-${calls}-${i}`, 'en'));
  const buf = Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength);
  let off = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < 5; k++) {
      const f = Buffer.alloc(320);
      buf.copy(f, 0, off % buf.length, Math.min(buf.length, (off % buf.length) + 320));
      off += 320;
      for (const s of streams) s.write(f);
    }
  }, 100);
  const loaded: number[] = [];
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    loaded.push(await sup.ping());
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(timer);
  for (const s of streams) s.close();
  console.log(`worker round trip ms with ${calls} call(s) streaming: ${stats(loaded)}`);
}
await sup.stop();
