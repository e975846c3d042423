import type { Logger } from 'pino';
import type { AnalogConnection } from './modem.js';
import { DLE, ETX } from './dle.js';
import type { SampleKind } from './formats.js';
import type { MediaClock } from '../media/clock.js';
import { AnalogVoicePort } from './voice.js';
import type { EchoCanceller } from '../audio/echo.js';

/**
 * The voice modem's tty in and out of voice mode: bytes routed by mode (AT text or DLE-shielded
 * voice), the switch into full-duplex voice at CONNECT, and the way back to command mode.
 */

/** Route received bytes by mode. `voiceEnded`: the modem left voice mode (<DLE><ETX>). */
export function feedTty(c: AnalogConnection, chunk: Buffer, voiceEnded: () => void): void {
  let off = 0;
  while (off < chunk.length) {
    if (c.mode === 'command') {
      c.engine.feed(off === 0 ? chunk : chunk.subarray(off));
      return;
    }
    if (c.mode === 'await-connect') {
      const used = scanForConnect(c, chunk, off);
      c.engine.feed(chunk.subarray(off, used));
      off = used;
      continue;
    }
    if (c.skipLf) {
      c.skipLf = false;
      if (chunk[off] === 0x0a) off++;
      continue;
    }
    const end = c.decoder.push(off === 0 ? chunk : chunk.subarray(off));
    if (end < 0) return;
    off += end;
    // The modem left voice mode: what follows is command-mode text (OK / VCON) for the engine.
    c.mode = 'command';
    voiceEnded();
  }
}

/**
 * Read bytes as text up to the end of a CONNECT line; from there on the stream is voice. Returns
 * how far the bytes belong to command mode.
 */
function scanForConnect(c: AnalogConnection, chunk: Buffer, from: number): number {
  for (let i = from; i < chunk.length; i++) {
    const b = chunk[i]!;
    if (b !== 0x0d && b !== 0x0a) {
      if (c.lineText.length < 64) c.lineText += String.fromCharCode(b);
      continue;
    }
    const text = c.lineText.trim();
    c.lineText = '';
    if (text === 'CONNECT' || text.startsWith('CONNECT ')) {
      c.mode = 'voice';
      c.skipLf = b === 0x0d;
      c.decoder.reset();
      return i + 1;
    }
  }
  return chunk.length;
}

/** AT+VTR: full-duplex voice. feedTty switches the tty to voice at the CONNECT line. */
export async function startVoice(c: AnalogConnection, kind: SampleKind, clock: MediaClock | undefined, echo: EchoCanceller | undefined): Promise<void> {
  c.voice = new AnalogVoicePort(c.at, kind, clock, echo);
  c.lineText = '';
  c.mode = 'await-connect';
  try {
    await c.engine.send('AT+VTR', { callControl: true });
  } catch (err) {
    if (c.mode === 'await-connect') c.mode = 'command';
    throw err;
  }
  c.voice?.begin();
}

/** Write raw bytes (DLE codes) to the tty. */
function writeRaw(c: AnalogConnection, ...bytes: number[]): void {
  if (c.at.isOpen && !c.at.destroyed) c.at.write(Buffer.from(bytes));
}

/**
 * Leave voice mode (<DLE><ETX>; <DLE>! if the modem ignores it), wait for its OK/VCON so the next
 * command's answer is not confused with it, then go on hook. `alreadyLeft`: the modem left by itself.
 * Resolves with whether the modem confirmed leaving voice mode (<DLE><ETX>).
 */
export async function toOnHook(c: AnalogConnection, exitMs: number, log: Logger, alreadyLeft = false): Promise<boolean> {
  if (c.dead) return false;
  let left = false;
  const voice = c.voice;
  c.voice = undefined;
  voice?.close();
  if (c.mode !== 'command' || alreadyLeft) {
    let etxResolve = (): void => {};
    let finalResolve = (): void => {};
    const etx = new Promise<void>((r) => (etxResolve = r));
    const final = new Promise<void>((r) => (finalResolve = r));
    c.voiceExit = { etx: etxResolve, final: finalResolve, sawEtx: alreadyLeft };
    if (alreadyLeft) etxResolve();
    const wait = (p: Promise<void>, ms: number): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    if (c.mode === 'voice') {
      writeRaw(c, DLE, ETX);
      if (!(await wait(etx, exitMs))) {
        log.warn('modem ignored <DLE><ETX>; sending <DLE>!');
        writeRaw(c, DLE, 0x21);
        if (!(await wait(etx, exitMs))) {
          log.warn('modem did not confirm the end of voice mode');
          c.mode = 'command';
        }
      }
    } else if (c.mode === 'await-connect') c.mode = 'command';
    await wait(final, exitMs);
    left = c.voiceExit.sawEtx;
    c.voiceExit = undefined;
  }
  if (c.dead) return left;
  await c.engine.send('AT+VLS=0', { acceptVcon: true }).catch(() => c.engine.send('ATH').catch((err: Error) => log.warn({ err: err.message }, 'on-hook failed')));
  return left;
}
