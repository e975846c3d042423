import type { MediaPort } from '../../drivers/media/port.js';
import { MediaClock, mediaClock } from '../../drivers/media/clock.js';
import { FRAME_BYTES, FRAME_MS } from '../../drivers/media/format.js';
import { silence, tone } from '../../drivers/audio/tones.js';
import { PortDtmf } from './dtmf-port.js';
import type { DtmfOptions } from './dtmf-detector.js';

export type PlayResult = 'done' | 'interrupted';

/** Frames to play, pulled one at a time; undefined means the end. */
export interface FrameSource {
  next(): Buffer | undefined;
}

export interface PlayOptions {
  /** Abort to stop the prompt (clears what is queued in the port). */
  signal?: AbortSignal;
}

export interface PlayerOptions {
  /** The clock the port is paced by (default: the process-wide one). */
  clock?: MediaClock;
  /**
   * Frames kept queued in the port ahead of the wire. The player tops the port up on every clock
   * tick instead of queueing a whole prompt, so stop() drops at most this much, `position` is
   * accurate to a few frames, and a 30 s prompt does not sit in memory twice. 3 frames (60 ms)
   * survives one late tick without an audible gap.
   */
  ahead?: number;
}

/** Frames of a PCM buffer (the last one zero-padded). */
export function pcmSource(pcm: Buffer): FrameSource {
  let off = 0;
  return {
    next() {
      if (off >= pcm.length) return undefined;
      const end = off + FRAME_BYTES;
      let f: Buffer;
      if (end <= pcm.length) f = pcm.subarray(off, end);
      else {
        f = Buffer.alloc(FRAME_BYTES);
        pcm.copy(f, 0, off);
      }
      off = end;
      return f;
    },
  };
}

/** A PCM buffer repeated forever (hold music), padded to whole frames so the loop stays aligned. */
export function loopSource(pcm: Buffer): FrameSource {
  const whole = Math.ceil(pcm.length / FRAME_BYTES) * FRAME_BYTES;
  const buf = whole === pcm.length ? pcm : Buffer.concat([pcm, Buffer.alloc(whole - pcm.length)]);
  if (buf.length === 0) throw new RangeError('loopSource needs some audio');
  let off = 0;
  return {
    next() {
      const f = buf.subarray(off, off + FRAME_BYTES);
      off = (off + FRAME_BYTES) % buf.length;
      return f;
    },
  };
}

export interface RingbackOptions {
  /** Tone frequencies, Hz. Default [450] (China; North America uses [440, 480]). */
  freqs?: readonly number[];
  /** On/off durations in ms, alternating, starting with on. Default [1000, 4000] (China). */
  cadence?: readonly number[];
  /** Level of each tone, dBm0. Default -13. */
  levelDbm0?: number;
}

/** One cadence cycle of ringback as PCM (each segment rounded to whole frames). */
export function ringbackCycle(opts: RingbackOptions = {}): Buffer {
  const freqs = opts.freqs ?? [450];
  const cadence = opts.cadence ?? [1000, 4000];
  // tone() takes dBFS of a full-scale sine; 0 dBm0 is 3.14 dB below full scale.
  const dbfs = (opts.levelDbm0 ?? -13) - 3.14;
  const parts = cadence.map((ms, i) => {
    const whole = Math.max(1, Math.round(ms / FRAME_MS)) * FRAME_MS;
    return i % 2 === 0 ? tone(freqs, whole, dbfs) : silence(whole);
  });
  return Buffer.concat(parts);
}

/**
 * Plays prompts into one MediaPort, one at a time: a new play() interrupts the current one.
 */
export class PromptPlayer {
  private readonly clock: MediaClock;
  private readonly ahead: number;
  private current: { finish: (r: PlayResult) => void } | undefined;
  private written = 0;

  constructor(
    private readonly port: MediaPort,
    opts: PlayerOptions = {},
  ) {
    this.clock = opts.clock ?? mediaClock;
    this.ahead = Math.max(2, opts.ahead ?? 3);
  }

  get playing(): boolean {
    return this.current !== undefined;
  }

  /** Frames of the current (or last) prompt that have left the port's queue. */
  get position(): number {
    return this.current ? Math.max(0, this.written - this.port.queued) : this.written;
  }

  play(audio: Buffer | FrameSource, opts: PlayOptions = {}): Promise<PlayResult> {
    this.stop();
    const src = Buffer.isBuffer(audio) ? pcmSource(audio) : audio;
    const { port, clock, ahead } = this;
    const signal = opts.signal;
    if (port.closed || signal?.aborted) return Promise.resolve('interrupted');
    this.written = 0;
    return new Promise<PlayResult>((resolve) => {
      let ended = false;
      let settled = false;
      const finish = (r: PlayResult): void => {
        if (settled) return;
        settled = true;
        clock.remove(tick);
        port.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        if (this.current === me) this.current = undefined;
        if (r === 'interrupted') port.clear();
        resolve(r);
      };
      const me = { finish };
      const fill = (): void => {
        while (!ended && port.queued < ahead) {
          const f = src.next();
          if (!f) ended = true;
          else {
            port.write(f);
            this.written++;
          }
        }
      };
      const tick = (): void => {
        fill();
        if (ended && port.queued === 0) finish('done');
      };
      const onClose = (): void => finish('interrupted');
      const onAbort = (): void => finish('interrupted');
      this.current = me;
      port.once('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      fill();
      clock.add(tick);
    });
  }

  /** Stop now: the port's queue is cleared at once (barge-in) and play() resolves 'interrupted'. */
  stop(): void {
    this.current?.finish('interrupted');
  }
}

/** Play one prompt; resolves when its last frame has been sent, or 'interrupted'. */
export function play(port: MediaPort, audio: Buffer | FrameSource, opts: PlayOptions & PlayerOptions = {}): Promise<PlayResult> {
  return new PromptPlayer(port, opts).play(audio, opts);
}

/** Ringback until stopped (the signal aborts or the port closes); resolves 'interrupted'. */
export function playRingback(port: MediaPort, opts: PlayOptions & PlayerOptions & RingbackOptions = {}): Promise<PlayResult> {
  return play(port, loopSource(ringbackCycle(opts)), opts);
}

/** Loop hold music until the signal aborts. */
export function playHold(port: MediaPort, music: Buffer, opts: PlayOptions & PlayerOptions = {}): Promise<PlayResult> {
  return play(port, loopSource(music), opts);
}

export interface BargeInResult {
  result: PlayResult | 'digit';
  /** The digit that stopped the prompt. */
  digit?: string;
}

export interface BargeInOptions extends PlayOptions, PlayerOptions {
  /** The leg's DTMF listener, if the call already has one; else one is made for this prompt. */
  dtmf?: PortDtmf;
  dtmfOptions?: DtmfOptions;
}

/**
 * Play a prompt that a key press interrupts: the first digit stops it (queued audio is dropped at
 * once) and is returned. Digits confirmed ~40 ms into the tone, so the caller hears at most about
 * 40 ms + `ahead` frames of prompt after pressing.
 */
export async function playWithDtmfBargeIn(port: MediaPort, audio: Buffer | FrameSource, opts: BargeInOptions = {}): Promise<BargeInResult> {
  const dtmf = opts.dtmf ?? new PortDtmf(port, opts.dtmfOptions);
  const player = new PromptPlayer(port, opts);
  let digit: string | undefined;
  const onDigit = (d: string): void => {
    if (digit !== undefined) return;
    digit = d;
    player.stop();
  };
  dtmf.on('digit', onDigit);
  try {
    const r = await player.play(audio, opts);
    return digit !== undefined ? { result: 'digit', digit } : { result: r };
  } finally {
    dtmf.off('digit', onDigit);
    if (!opts.dtmf) dtmf.close();
  }
}
