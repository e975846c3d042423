import { execFileSync } from 'node:child_process';
import { parseWav } from '../../drivers/audio/wav.js';
import { resample } from '../../drivers/audio/resample.js';
import { toFrames } from '../../drivers/media/format.js';
import { mediaClock } from '../../drivers/media/clock.js';
import type { Leg } from '../../drivers/line.js';

/**
 * Line echo measured on a driver's leg against a modem emulator that echoes what the box sends
 * (analog and GSM emulators: `echoDb`), shared by the drivers' echo tests.
 */

/** A modem emulator with an echo path: what it returned so far, and a caller who can talk. */
export interface EchoingModem {
  readonly echoStats: { frames: number; energy: number; underruns: number };
  play(pcm: Buffer): unknown;
}

/** A spoken prompt (espeak-ng) at 8 kHz, as the bot would play it. */
export function prompt(): Buffer {
  const wav = parseWav(execFileSync('espeak-ng', ['-v', 'en', '-b', '1', '--stdout', 'Thank you for calling the branch office. Please hold while we connect you to the next available agent.']));
  const s = resample(wav.samples, wav.sampleRate, 8000);
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
}

export const energy = (f: Buffer): number => {
  let e = 0;
  for (let i = 0; i + 1 < f.length; i += 2) e += f.readInt16LE(i) ** 2;
  return e;
};

export interface SecondPrompt {
  /** What the box heard from the line while the second prompt played. */
  heard: Buffer[];
  /** The energy of the echo the line returned meanwhile (the emulator's count). */
  echoEnergy: number;
  /** ERLE over that time: echo returned / echo heard, in dB (about 0 without a canceller). */
  erleDb: number;
  /** Why the echo path did not hold still while we listened, if it did not. */
  disturbed?: string;
}

/**
 * On an answered call, play the prompt twice and collect what we hear during the second (the
 * canceller has had the first to converge). `disturbed` says why the echo path did not hold still
 * while we listened: the modem's playout ran dry (the tty was late) or this process stalled so long
 * that the clock dropped ticks; either moves the echo's delay, which the canceller must find again.
 */
export async function hearSecondPrompt(leg: Leg, emu: EchoingModem, callerSays?: Buffer): Promise<SecondPrompt> {
  const media = leg.media!;
  const p = prompt();
  const frames = toFrames(Buffer.concat([p, p]));
  const heard: Buffer[] = [];
  let sent = 0;
  const half = frames.length - toFrames(p).length;
  let atHalf: { underruns: number; late: number; energy: number } | undefined;
  media.on('frame', (f) => {
    if (sent < half) return;
    atHalf ??= { underruns: emu.echoStats.underruns, late: mediaClock.lateTicks, energy: emu.echoStats.energy };
    heard.push(f);
  });
  for (const f of frames) media.write(Buffer.from(f));
  const tick = setInterval(() => (sent = frames.length - media.queued), 20);
  if (callerSays) {
    await new Promise((r) => setTimeout(r, (half / 50) * 1000 + 500));
    emu.play(callerSays);
  }
  await new Promise<void>((r) => {
    const check = setInterval(() => {
      if (media.queued === 0) {
        clearInterval(check);
        r();
      }
    }, 50);
  });
  clearInterval(tick);
  const echoEnergy = emu.echoStats.energy - (atHalf?.energy ?? 0);
  await leg.hangup();
  const underruns = emu.echoStats.underruns - (atHalf?.underruns ?? 0);
  const late = mediaClock.lateTicks - (atHalf?.late ?? 0);
  const disturbed = underruns || late ? `the modem's playout ran dry ${underruns}x, the clock dropped ${late} ticks` : undefined;
  const erleDb = 10 * Math.log10((echoEnergy + 1) / (heard.reduce((s, f) => s + energy(f), 0) + 1));
  return { heard, echoEnergy, erleDb, ...(disturbed ? { disturbed } : {}) };
}

/**
 * Run a measurement until it passes or ran undisturbed (at most three runs): on a loaded machine
 * the tty or this process may stall long enough to move the echo's delay mid-prompt, and the
 * canceller lets echo through until it has found the new delay. Such a run says nothing about a
 * steady line. A failure on an undisturbed run is final.
 */
export async function steadyRun<R extends { disturbed?: string }>(t: { comment(...args: unknown[]): unknown }, run: () => Promise<R>, passed: (r: R) => boolean): Promise<R & { run: number }> {
  for (let n = 1; ; n++) {
    const r = await run();
    if (passed(r) || !r.disturbed || n === 3) return { ...r, run: n };
    t.comment(`run ${n} failed while ${r.disturbed}; again`);
  }
}
