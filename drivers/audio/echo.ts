import type { IKoffiLib } from 'koffi';
import { koffi } from '../ffi.js';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../media/format.js';

/**
 * Line echo cancellation with speexdsp's echo canceller (Debian libspeexdsp1), loaded through koffi
 * as the project does for libc and libvosk: an adaptive filter (MDF) over `tailMs` of echo path,
 * then speexdsp's residual echo suppressor. A 2-wire line returns what the box sends, 6-15 dB down;
 * this takes it out of what the caller side delivers.
 *
 * Use: playback(frame) for every frame sent to the line, capture(frame) for every frame received
 * from it. Both streams run at 50 frames a second but arrive with jitter (a tty delivers in
 * bursts), so received frames are paired with sent ones by count, not by arrival: the n-th
 * received frame with the (n + offset)-th sent one, the offset fixed at the first received frame
 * (a few frames of margin so the reference is always already sent), and fixed again only if the
 * two clocks drift apart. The echo delay the filter sees is then constant, as it must be.
 */

const SPEEX_ECHO_SET_SAMPLING_RATE = 24;
const SPEEX_PREPROCESS_SET_DENOISE = 0;
const SPEEX_PREPROCESS_SET_AGC = 2;
const SPEEX_PREPROCESS_SET_ECHO_STATE = 24;

interface SpeexDsp {
  echoInit: (frameSize: number, filterLength: number) => unknown;
  echoDestroy: (st: unknown) => void;
  echoCancel: (st: unknown, rec: Int16Array, play: Int16Array, out: Int16Array) => void;
  echoCtl: (st: unknown, request: number, value: Int32Array) => number;
  echoReset: (st: unknown) => void;
  preInit: (frameSize: number, rate: number) => unknown;
  preDestroy: (st: unknown) => void;
  preCtlInt: (st: unknown, request: number, value: Int32Array) => number;
  preCtlPtr: (st: unknown, request: number, value: unknown) => number;
  preRun: (st: unknown, x: Int16Array) => number;
}

let lib: SpeexDsp | undefined;

/** Load libspeexdsp once; throws a clear error when it is not installed. */
function speexdsp(): SpeexDsp {
  if (lib) return lib;
  let so: IKoffiLib;
  try {
    so = koffi().load('libspeexdsp.so.1');
  } catch (err) {
    throw new Error(`echo cancellation needs libspeexdsp1 (apt-get install libspeexdsp1): ${(err as Error).message}`);
  }
  koffi().opaque('SpeexEchoState');
  koffi().opaque('SpeexPreprocessState');
  lib = {
    echoInit: so.func('SpeexEchoState *speex_echo_state_init(int, int)') as SpeexDsp['echoInit'],
    echoDestroy: so.func('void speex_echo_state_destroy(SpeexEchoState *)') as SpeexDsp['echoDestroy'],
    echoCancel: so.func('void speex_echo_cancellation(SpeexEchoState *, const int16_t *, const int16_t *, _Out_ int16_t *)') as SpeexDsp['echoCancel'],
    echoReset: so.func('void speex_echo_state_reset(SpeexEchoState *)') as SpeexDsp['echoReset'],
    echoCtl: so.func('int speex_echo_ctl(SpeexEchoState *, int, _Inout_ int32_t *)') as SpeexDsp['echoCtl'],
    preInit: so.func('SpeexPreprocessState *speex_preprocess_state_init(int, int)') as SpeexDsp['preInit'],
    preDestroy: so.func('void speex_preprocess_state_destroy(SpeexPreprocessState *)') as SpeexDsp['preDestroy'],
    preCtlInt: so.func('int speex_preprocess_ctl(SpeexPreprocessState *, int, _Inout_ int32_t *)') as SpeexDsp['preCtlInt'],
    preCtlPtr: so.func('speex_preprocess_ctl', 'int', ['SpeexPreprocessState *', 'int', 'void *']) as SpeexDsp['preCtlPtr'],
    preRun: so.func('int speex_preprocess_run(SpeexPreprocessState *, _Inout_ int16_t *)') as SpeexDsp['preRun'],
  };
  return lib;
}

/** Sent frames kept for pairing (2 s); a line's round trip is well within. */
const HISTORY = 100;
/** Until the delay is known, a received frame pairs with the frame sent this many frames before it. */
const MARGIN = 3;
/** Early by more than this many frames, for good: the clocks drifted; pair anew. */
const DRIFT = 5;
/** Paired ahead of what was sent for this many frames in a row (but within DRIFT): pair anew. */
const AHEAD = 25;
/** Bulk delays looked for (frames), and how many frames with echo-worthy sending between looks. */
const MAX_LAG = 40;
const ESTIMATE_AFTER = 60;
/** Received frames the estimate looks at (6 s). */
const WINDOW = 300;
/**
 * Tracking a delay that moves during the call (the modem's playout buffer ran dry because the tty or
 * this process stalled, so it played silence and everything after echoes later): cancellation is
 * judged over blocks of TRACK_BLOCK frames in which we sent speech. Once converged (CONVERGED_BLOCKS at
 * CONVERGED_DB of ERLE in a row), blocks below LOST_DB with our speech plainly in what came back since the last
 * good block (envelope correlation >= TRACK_CORR over at least TRACK_MIN frames) move the pairing to
 * the new delay, keeping the converged filter: the echo path is the same, only later. Found fast, the
 * filter has not yet learnt the wrong pairing. A caller talking over us leaves the envelopes
 * uncorrelated and the pairing alone.
 */
const TRACK_BLOCK = 10;
const CONVERGED_DB = 15;
const LOST_DB = 8;
const TRACK_MIN = 25;
const TRACK_CORR = 0.7;
/** How far (frames) a playout underrun or stall moves the delay; a short window looked at wider finds speech's own rhythm. */
const TRACK_RANGE = 10;
/**
 * Until the filter has converged (the first seconds of a call, before the delay is known), speech
 * we send comes back nearly whole, and a prompt's echo would read as the caller talking over it.
 * Meanwhile a frame that is quieter than ECHO_ONLY of the loudest frame we sent in the last
 * ECHO_WINDOW frames cannot be the caller over us (a line returns at least 6 dB less: Geigel's
 * double-talk rule) and is attenuated by SUPPRESS; louder frames pass. Stops once a block reached
 * CONVERGED_BLOCKS blocks in a row reached CONVERGED_DB, or after SUPPRESS_FOR frames
 * of our speech at the latest (a line without echo never converges).
 */
const ECHO_ONLY = 0.25;
const ECHO_WINDOW = MAX_LAG + DRIFT;
const SUPPRESS = 1 / 32;
const SUPPRESS_FOR = 500;
/** Blocks in a row at CONVERGED_DB that make the filter converged (one good block can be luck). */
const CONVERGED_BLOCKS = 3;
const SILENCE = new Int16Array(FRAME_SAMPLES);

export interface EchoCancellerOptions {
  /** How much echo path the filter covers, in ms (speexdsp's filter length), after the bulk delay. */
  tailMs: number;
}

/**
 * One call's echo canceller: 8 kHz, 20 ms frames of s16le.
 *
 * An adaptive filter needs each received frame paired with the sent frames it echoes at a fixed
 * distance. Both streams run at 50 frames a second from the moment voice starts, but received
 * frames arrive with the tty's jitter (in bursts), so they are paired by count, not by arrival:
 * received frame n with sent frame n + offset. The line's bulk delay (tty, modem buffers, the
 * line) is measured from the frames' energy envelopes and taken into the offset, so the filter's
 * tail covers the echo path itself rather than the transport: a long filter converges slowly.
 */
export class EchoCanceller {
  private echo: unknown;
  private pre: unknown;
  private readonly rec = new Int16Array(FRAME_SAMPLES);
  private readonly out = new Int16Array(FRAME_SAMPLES);
  /** Sent frames (and their energy) by count, a ring of HISTORY. */
  private readonly sent: Int16Array[] = Array.from({ length: HISTORY }, () => new Int16Array(FRAME_SAMPLES));
  private readonly sentEnergy = new Float64Array(HISTORY);
  private played = 0;
  private captured = 0;
  private offset = -MARGIN;
  /** Received frames in a row paired with a frame not sent yet. */
  private ahead = 0;
  /** For the delay estimate: per received frame its pairing and log energy; log energies of sent frames. */
  private readonly estimate: { rec: [ref: number, logEnergy: number][]; log: number[]; active: number } = { rec: [], log: [], active: 0 };
  /** The bulk delay taken into the pairing (frames). */
  bulkDelayFrames = 0;
  /** The pacing clock's dropped-tick count at the last paced() frame. */
  private lateSeen: number | undefined;
  /** How often the pairing was set anew (clock drift); for tests and the bench. */
  realigned = 0;
  /** How often a moved delay was followed with the filter kept (see TRACK_BLOCK); for tests and the bench. */
  retracked = 0;
  /** Echo in and left over the current block of frames paired with our speech; whether a block reached CONVERGED_DB. */
  private readonly block = { frames: 0, in: 0, out: 0, converged: false, goodRun: 0, goodAt: 0, spoken: 0 };
  /** Frames attenuated as echo before the filter converged; for tests and the bench. */
  suppressed = 0;

  constructor(opts: EchoCancellerOptions) {
    const s = speexdsp();
    const taps = Math.max(FRAME_SAMPLES, Math.round((opts.tailMs * SAMPLE_RATE) / 1000));
    this.echo = s.echoInit(FRAME_SAMPLES, taps);
    s.echoCtl(this.echo, SPEEX_ECHO_SET_SAMPLING_RATE, Int32Array.of(SAMPLE_RATE));
    this.pre = s.preInit(FRAME_SAMPLES, SAMPLE_RATE);
    // Residual echo suppression only: no noise suppression or gain control on the caller's voice.
    s.preCtlInt(this.pre, SPEEX_PREPROCESS_SET_DENOISE, Int32Array.of(0));
    s.preCtlInt(this.pre, SPEEX_PREPROCESS_SET_AGC, Int32Array.of(0));
    s.preCtlPtr(this.pre, SPEEX_PREPROCESS_SET_ECHO_STATE, this.echo);
  }

  /** A frame (320 bytes s16le) just sent to the line: the reference for its echo. */
  playback(frame: Buffer): void {
    if (!this.echo) return;
    const slot = this.played % HISTORY;
    copyIn(frame, this.sent[slot]!);
    this.sentEnergy[slot] = energy(this.sent[slot]!);
    this.estimate.log.push(Math.log10(1 + this.sentEnergy[slot]));
    if (this.estimate.log.length > WINDOW + MAX_LAG + HISTORY) this.estimate.log.shift();
    this.played++;
  }

  /**
   * playback() for a port paced by `clock`: ticks the clock dropped since the last frame (the event
   * loop stalled) were sent as nothing, and the modem played silence in their place.
   */
  paced(frame: Buffer, clock: { readonly lateTicks: number }): void {
    const late = clock.lateTicks;
    if (this.lateSeen !== undefined && late > this.lateSeen) this.skipped(late - this.lateSeen);
    this.lateSeen = late;
    this.playback(frame);
  }

  /** `n` frames the modem played as silence because we sent nothing. */
  skipped(n: number): void {
    for (let i = 0; i < n && this.echo; i++) {
      const slot = this.played % HISTORY;
      this.sent[slot]!.fill(0);
      this.sentEnergy[slot] = 0;
      this.estimate.log.push(0);
      this.played++;
    }
  }

  /** A frame received from the line: returns it with the echo of what we sent taken out. */
  capture(frame: Buffer): Buffer {
    if (!this.echo) return frame;
    const s = speexdsp();
    copyIn(frame, this.rec);
    let ref = this.captured + this.offset;
    // Paired with a frame not sent yet: jitter for a moment; for AHEAD frames in a row, the line's
    // stream started before ours (the modem talks from CONNECT on) and the pairing must move.
    this.ahead = ref > this.played - 1 ? this.ahead + 1 : 0;
    if (this.played > 0 && (ref > this.played - 1 + DRIFT || ref < this.played - HISTORY + MAX_LAG || this.ahead >= AHEAD)) {
      this.ahead = 0;
      this.realigned++;
      this.offset = this.played - 1 - MARGIN - this.bulkDelayFrames - this.captured;
      ref = this.captured + this.offset;
      // What the delay estimate collected was paired the old way.
      this.estimate.rec.length = 0;
      this.estimate.active = 0;
    }
    this.observe(ref);
    // Jitter may bring a frame in before its partner was sent: the latest sent one stands in.
    ref = Math.min(ref, this.played - 1);
    const play = ref >= 0 ? this.sent[ref % HISTORY]! : SILENCE;
    this.captured++;
    s.echoCancel(this.echo, this.rec, play, this.out);
    s.preRun(this.pre, this.out);
    const nearEnergy = energy(this.rec);
    if (ref >= 0 && this.sentEnergy[ref % HISTORY]! > 1e4) this.track(nearEnergy, energy(this.out));
    if (!this.block.converged && this.block.spoken < SUPPRESS_FOR && this.echoOnly(nearEnergy)) {
      this.suppressed++;
      for (let i = 0; i < this.out.length; i++) this.out[i] = Math.round(this.out[i]! * SUPPRESS);
    }
    return Buffer.from(this.out.buffer.slice(0));
  }

  /**
   * Collect energy envelopes (received frames by count, with the pairing they had); once the box
   * has talked for a while, find the lag where received energy follows sent energy best.
   */
  private observe(ref: number): void {
    const est = this.estimate;
    est.rec.push([ref, Math.log10(1 + energy(this.rec))]);
    if (est.rec.length > WINDOW) est.rec.shift();
    if (ref >= 0 && ref < this.played && this.sentEnergy[ref % HISTORY]! > 1e4) est.active++;
    // Look again each time enough was sent that could echo.
    if (est.active < ESTIMATE_AFTER) return;
    est.active = 0;
    const { lag, corr } = this.bestLag(est.rec);
    // A clear match only: a caller talking over us, or no echo at all, leaves the pairing alone.
    if (corr < 0.5) return;
    // A new delay: the filter learnt at the old one starts again (and has to converge again).
    if (this.move(lag)) {
      speexdsp().echoReset(this.echo);
      this.block.converged = false;
      this.block.goodRun = 0;
      this.block.spoken = 0;
    }
  }

  /** Take the delay found into the pairing: the echo of the frame paired with a received one should start a frame into the filter. */
  private move(lag: number): boolean {
    const move = lag - 1;
    // Never beyond what the sent history covers (a run of moves must not walk the pairing out of it).
    if (move === 0 || this.bulkDelayFrames + move < -MARGIN - DRIFT || this.bulkDelayFrames + move > MAX_LAG) return false;
    this.bulkDelayFrames += move;
    this.offset -= move;
    this.estimate.rec.length = 0;
    this.estimate.active = 0;
    return true;
  }

  /** The lag (frames) at which the received energy envelope follows the sent one best, over `recs`. */
  private bestLag(recs: readonly [ref: number, logEnergy: number][], from = -MARGIN, to = MAX_LAG): { lag: number; corr: number } {
    const log = this.estimate.log;
    let corr = 0;
    let lag = 0;
    for (let l = from; l <= to; l++) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const [r, e] of recs) {
        const src = r - l;
        if (src < 0 || src >= this.played || src < this.played - log.length) continue;
        xs.push(log[src - (this.played - log.length)]!);
        ys.push(e);
      }
      const c = correlation(xs, ys);
      if (c > corr) {
        corr = c;
        lag = l;
      }
    }
    return { lag, corr };
  }

  /** Judge cancellation block by block while we talk; follow a delay that moved (TRACK_BLOCK). */
  private track(echoIn: number, left: number): void {
    const b = this.block;
    b.frames++;
    b.spoken++;
    b.in += echoIn;
    b.out += left;
    if (b.frames < TRACK_BLOCK) return;
    const erle = 10 * Math.log10((b.in + 1) / (b.out + 1));
    b.frames = b.in = b.out = 0;
    b.goodRun = erle >= CONVERGED_DB ? b.goodRun + 1 : 0;
    if (b.goodRun >= CONVERGED_BLOCKS) b.converged = true;
    if (erle >= LOST_DB) b.goodAt = this.captured;
    if (!b.converged || erle >= LOST_DB) return;
    const since = this.captured - b.goodAt;
    if (since < TRACK_MIN) return;
    const { lag, corr } = this.bestLag(this.estimate.rec.slice(-since), 1 - TRACK_RANGE, 1 + TRACK_RANGE);
    if (corr >= TRACK_CORR && this.move(lag)) {
      this.retracked++;
      b.goodAt = this.captured;
    }
  }

  /** Before convergence: is this received frame (energy) too quiet, against what we just sent, to be anything but our echo? */
  private echoOnly(nearEnergy: number): boolean {
    let farMax = 0;
    for (let i = Math.max(0, this.played - ECHO_WINDOW); i < this.played; i++) farMax = Math.max(farMax, this.sentEnergy[i % HISTORY]!);
    return farMax > 1e4 && nearEnergy < farMax * ECHO_ONLY;
  }

  close(): void {
    if (!this.echo) return;
    const s = speexdsp();
    s.preDestroy(this.pre);
    s.echoDestroy(this.echo);
    this.echo = this.pre = undefined;
  }
}

function correlation(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 10) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]! - mx;
    const y = ys[i]! - my;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  return sxy / Math.sqrt(sxx * syy || 1);
}

function energy(x: Int16Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e / x.length;
}

function copyIn(frame: Buffer, into: Int16Array): void {
  const n = Math.min(into.length, frame.length >> 1);
  for (let i = 0; i < n; i++) into[i] = frame.readInt16LE(i * 2);
  into.fill(0, n);
}

/**
 * A per-call canceller factory for a line, or undefined when the line has none. Loads libspeexdsp
 * now, so a missing library fails the line's construction (a config error), not a call.
 */
export function echoFactory(opts: EchoCancellerOptions | undefined): (() => EchoCanceller) | undefined {
  if (!opts) return undefined;
  speexdsp();
  return () => new EchoCanceller(opts);
}
