import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { MediaPort } from '../../drivers/media/port.js';
import { FRAME_BYTES, FRAME_MS, SAMPLE_RATE } from '../../drivers/media/format.js';
import { asSamples } from '../../drivers/audio/tones.js';
import { encodeWav } from '../../drivers/audio/wav.js';
import { PortDtmf } from './dtmf-port.js';

/**
 * Voicemail / call recording: a MediaPort's inbound frames (optionally mixed with other frame
 * sources, e.g. a tap of what the caller hears) written incrementally to an 8 kHz mono 16-bit WAV.
 * Stops at maxMs, after silenceMs of silence from the caller, on a stop digit ('#'), when the
 * signal aborts or the port closes. The file appears under its name only when complete (written as
 * `<path>.part`, header patched, renamed), so nothing ever picks up half a voicemail.
 *
 * What is kept: the stop digit's tone is cut (the last `holdMs` of audio is held back until it is
 * known not to be a key press), and trailing silence is trimmed to `tailMs`.
 */

/** Anything that reports key presses as 'digit' events (PortDtmf, a call's digits). */
export interface DigitEvents {
  on(event: 'digit', l: (d: string) => void): unknown;
  off(event: 'digit', l: (d: string) => void): unknown;
}

export type StopReason = 'max' | 'silence' | 'digit' | 'aborted' | 'closed';

/** Anything that emits 320-byte 'frame' events: another MediaPort, a tap on an outbound stream. */
export interface FrameEmitter {
  on(event: 'frame', listener: (frame: Buffer) => void): unknown;
  off(event: 'frame', listener: (frame: Buffer) => void): unknown;
}

export interface RecordOptions {
  path: string;
  /** Longest recording, ms. Default 120000. */
  maxMs?: number;
  /** Stop after this much continuous caller silence, ms (0: never). Default 5000. */
  silenceMs?: number;
  /** A frame quieter than this (RMS, dBFS) counts as silence. Default -45. */
  silenceDbfs?: number;
  /** Keys that end the recording ('' for none). Default '#'. */
  stopDigits?: string;
  /** The call's key presses if it has them (from wherever its line takes them); otherwise an in-band listener is made for the recording. */
  dtmf?: DigitEvents;
  /** Other sources mixed into the file (not used for silence or digit detection). */
  mix?: FrameEmitter[];
  /** Trailing silence kept, ms. Default 500. */
  tailMs?: number;
  /**
   * Audio held back to cut a stop digit's tone, ms. Default 60: a digit is confirmed at most ~45 ms
   * after its tone starts, so the tone begins within the last three frames.
   */
  holdMs?: number;
  signal?: AbortSignal;
}

export interface Recording {
  path: string;
  durationMs: number;
  /** How much of it the caller was not silent, ms (0: an empty voicemail). */
  speechMs: number;
  reason: StopReason;
  digit?: string;
}

interface Pending {
  frame: Buffer;
  silent: boolean;
}

export function record(port: MediaPort, opts: RecordOptions): Promise<Recording> {
  const maxFrames = Math.max(1, Math.round((opts.maxMs ?? 120_000) / FRAME_MS));
  const silenceFrames = Math.round((opts.silenceMs ?? 5000) / FRAME_MS);
  const tailFrames = Math.round((opts.tailMs ?? 500) / FRAME_MS);
  const holdFrames = Math.round((opts.holdMs ?? 60) / FRAME_MS);
  // Mean square of a frame at the silence threshold, so the hot path needs no log().
  const silenceEnergy = 32768 ** 2 * 10 ** ((opts.silenceDbfs ?? -45) / 10) * (FRAME_BYTES / 2);
  const stopDigits = opts.stopDigits ?? '#';
  const writer = new WavWriter(opts.path);
  const mixQueues = (opts.mix ?? []).map(() => [] as Buffer[]);
  const mixListeners = (opts.mix ?? []).map((_, i) => (f: Buffer): void => {
    const q = mixQueues[i]!;
    q.push(f);
    if (q.length > 10) q.shift(); // sources drift apart; never let one lag more than 200 ms
  });
  const dtmf = stopDigits ? (opts.dtmf ?? new PortDtmf(port)) : undefined;

  const pending: Pending[] = [];
  let seen = 0; // frames taken in (counts against maxFrames)
  let committed = 0;
  let speechFrames = 0;
  let silentRun = 0;
  let lastFrameAt = performance.now();
  const startedAt = lastFrameAt;

  return new Promise<Recording>((resolve, reject) => {
    let done = false;
    const finish = (reason: StopReason, digit?: string): void => {
      if (done) return;
      done = true;
      port.off('frame', onFrame);
      port.off('close', onClose);
      opts.mix?.forEach((m, i) => m.off('frame', mixListeners[i]!));
      dtmf?.off('digit', onDigit);
      if (dtmf && !opts.dtmf) (dtmf as PortDtmf).close();
      opts.signal?.removeEventListener('abort', onAbort);
      clearInterval(watchdog);
      // The stop key's tone is in the held-back frames; then trim trailing silence to tailFrames.
      let keep = pending.length - (reason === 'digit' ? Math.min(holdFrames, pending.length) : 0);
      let trailing = 0;
      while (trailing < keep && pending[keep - 1 - trailing]!.silent) trailing++;
      keep -= Math.max(0, trailing - tailFrames);
      for (let i = 0; i < keep; i++) commit(pending[i]!);
      writer.close().then(
        () => {
          const rec: Recording = { path: opts.path, durationMs: committed * FRAME_MS, speechMs: speechFrames * FRAME_MS, reason };
          if (digit !== undefined) rec.digit = digit;
          resolve(rec);
        },
        (err: unknown) => reject(err),
      );
    };
    const commit = (p: Pending): void => {
      writer.append(p.frame);
      committed++;
      if (!p.silent) speechFrames++;
    };
    const onFrame = (frame: Buffer): void => {
      if (done) return;
      lastFrameAt = performance.now();
      const s = asSamples(frame);
      let e = 0;
      for (let i = 0; i < s.length; i++) e += s[i]! * s[i]!;
      const silent = e < silenceEnergy;
      pending.push({ frame: mixFrame(frame, mixQueues), silent });
      silentRun = silent ? silentRun + 1 : 0;
      // Commit all but the held-back frames and, while the caller is silent, the silent run (it
      // may turn out to be trailing silence to trim).
      const keep = holdFrames + (silenceFrames > 0 ? Math.min(silentRun, silenceFrames) : 0);
      while (pending.length > keep) commit(pending.shift()!);
      seen++;
      if (seen >= maxFrames) finish('max');
      else if (silenceFrames > 0 && silentRun >= silenceFrames) finish('silence');
    };
    const onDigit = (d: string): void => {
      if (stopDigits.includes(d)) finish('digit', d);
    };
    const onClose = (): void => finish('closed');
    const onAbort = (): void => finish('aborted');
    // Frame counting cannot see a port that stopped delivering: check the wall clock too.
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (now - startedAt > maxFrames * FRAME_MS + 2000) finish('max');
      else if (silenceFrames > 0 && now - lastFrameAt > silenceFrames * FRAME_MS) finish('silence');
    }, 1000);
    watchdog.unref?.();

    if (port.closed) return finish('closed');
    if (opts.signal?.aborted) return finish('aborted');
    port.on('frame', onFrame);
    port.once('close', onClose);
    opts.mix?.forEach((m, i) => m.on('frame', mixListeners[i]!));
    dtmf?.on('digit', onDigit);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sum one queued frame of each mix source into a copy of `frame`, with clipping. */
function mixFrame(frame: Buffer, queues: Buffer[][]): Buffer {
  if (queues.every((q) => q.length === 0)) return frame;
  const out = Buffer.from(frame);
  const o = asSamples(out);
  for (const q of queues) {
    const f = q.shift();
    if (!f) continue;
    const s = asSamples(f);
    for (let i = 0; i < o.length && i < s.length; i++) o[i] = Math.max(-32768, Math.min(32767, o[i]! + s[i]!));
  }
  return out;
}

/**
 * Incremental WAV writer: a placeholder header, data appended in ~1 s batches (not 50 writes a
 * second per call), the header rewritten with the real sizes at the end, then renamed into place.
 */
export class WavWriter {
  private readonly part: string;
  private readonly fh: Promise<FileHandle>;
  private chain: Promise<unknown>;
  private batch: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly path: string,
    /** 2: stereo, samples interleaved by the caller. */
    private readonly channels = 1,
  ) {
    this.part = `${path}.part`;
    this.fh = open(this.part, 'w');
    this.chain = this.fh.then((fh) => fh.write(encodeWav(Buffer.alloc(0), SAMPLE_RATE, channels), 0, 44, 0));
    this.chain.catch(() => undefined); // reported by close()
  }

  append(pcm: Buffer): void {
    this.batch.push(pcm);
    if (this.batch.length >= 50) this.flush();
  }

  /** Finish the file; resolves with the number of PCM bytes written. */
  async close(): Promise<number> {
    this.flush();
    const fh = await this.fh;
    try {
      await this.chain;
      const header = encodeWav(Buffer.alloc(0), SAMPLE_RATE, this.channels);
      header.writeUInt32LE(36 + this.bytes, 4);
      header.writeUInt32LE(this.bytes, 40);
      await fh.write(header, 0, 44, 0);
      await fh.close();
      await rename(this.part, this.path);
      return this.bytes;
    } catch (err) {
      await fh.close().catch(() => undefined); // clean-up; the write's error is thrown below
      await unlink(this.part).catch(() => undefined); // clean-up; the write's error is thrown below
      throw err;
    }
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const data = Buffer.concat(this.batch);
    this.batch = [];
    const at = 44 + this.bytes;
    this.bytes += data.length;
    this.chain = this.chain.then(() => this.fh.then((fh) => fh.write(data, 0, data.length, at)));
    this.chain.catch(() => undefined); // reported by close()
  }
}
