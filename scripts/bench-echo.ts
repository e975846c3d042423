/**
 * Line echo cancellation on an analog line: node dist/scripts/bench-echo.js [seconds] [tail-ms]
 * The V.253 modem emulator (on a real tty pair) returns what the box sends at -12 dB through a
 * hybrid-like echo path; the box plays speech (espeak-ng) while the caller is silent. Prints the
 * echo that reached the box's side of the call without and with the canceller, and the ERLE
 * (echo return loss enhancement: echo in / echo left, in dB) after 2 s of convergence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnalogEmulator } from '../drivers/analog/emulator/index.js';
import { createAnalogLine } from '../drivers/analog/line.js';
import { toFrames } from '../drivers/media/format.js';
import type { Leg } from '../drivers/line.js';
import { spokenPrompt } from './speech-sample.js';

const seconds = Number(process.argv[2] ?? 15);
const tailMs = Number(process.argv[3] ?? 128);
const ECHO_DB = -12;
const CONVERGE_MS = 5000;

const energy = (f: Buffer): number => {
  let e = 0;
  for (let i = 0; i + 1 < f.length; i += 2) e += f.readInt16LE(i) ** 2;
  return e;
};
const dbfs = (e: number, samples: number): string => (10 * Math.log10(e / Math.max(1, samples) / 32768 ** 2)).toFixed(1);

async function run(cancel: boolean): Promise<{ echoIn: number; left: number; samples: number; underruns: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-bench-echo-'));
  const emu = await startAnalogEmulator({ dir, ringIntervalMs: 300, echoDb: ECHO_DB });
  const line = createAnalogLine({ id: 'bench', port: emu.path, ringsBeforeAnswer: 1, ...(cancel ? { echoCancel: { tailMs } } : {}) });
  try {
    await line.start();
    const incoming = new Promise<Leg>((r) => line.once('incoming', r));
    emu.ring('5551234');
    const leg = await incoming;
    await leg.answer();
    const media = leg.media!;
    const start = performance.now();
    let echoAtStart = -1;
    let left = 0;
    let samples = 0;
    media.on('frame', (f) => {
      if (performance.now() - start < CONVERGE_MS) return;
      if (echoAtStart < 0) echoAtStart = emu.echoStats.energy;
      left += energy(f);
      samples += f.length / 2;
    });
    for (const f of toFrames(spokenPrompt(seconds))) media.write(Buffer.from(f));
    await new Promise((r) => setTimeout(r, seconds * 1000 + 300));
    const echoIn = emu.echoStats.energy - Math.max(0, echoAtStart);
    await leg.hangup();
    return { echoIn, left, samples, underruns: emu.echoStats.underruns };
  } finally {
    await line.stop();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const trials = Number(process.argv[4] ?? 3);
console.log(`echo path: ${ECHO_DB} dB, ${seconds} s of speech sent, measured after ${CONVERGE_MS} ms; canceller tail ${tailMs} ms`);
const off = await run(false);
console.log(`without canceller: echo sent by the line ${dbfs(off.echoIn, off.samples)} dBFS, reaching the call ${dbfs(off.left, off.samples)} dBFS, ERLE ${(10 * Math.log10(off.echoIn / off.left)).toFixed(1)} dB`);
const erle: number[] = [];
for (let i = 0; i < trials; i++) {
  const on = await run(true);
  erle.push(10 * Math.log10(on.echoIn / on.left));
  console.log(`with canceller:    echo sent by the line ${dbfs(on.echoIn, on.samples)} dBFS, reaching the call ${dbfs(on.left, on.samples)} dBFS, ERLE ${erle.at(-1)!.toFixed(1)} dB (modem playout ran dry ${on.underruns}x, each moving the echo delay)`);
}
erle.sort((a, b) => a - b);
console.log(`ERLE median of ${trials}: ${erle[Math.floor(trials / 2)]!.toFixed(1)} dB (target >= 20 dB)`);
