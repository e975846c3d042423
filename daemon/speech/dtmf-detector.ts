import { SAMPLE_RATE } from '../../drivers/media/format.js';
import { DTMF_FREQS, asSamples } from '../../drivers/audio/tones.js';

/**
 * In-band DTMF detection (Goertzel) for 8 kHz s16le audio, after ITU-T Q.24 / Bellcore practice.
 *
 * Analysis: 120-sample windows (15 ms, ~67 Hz bins: enough to separate 697 from 770 Hz) taken
 * every HOP samples (5 ms), so timing does not depend on where a tone falls relative to the
 * 20 ms frames. Each window's DFT terms are put together from three 40-sample sub-blocks, each
 * computed once (see dft()). Each window is classified as one digit or nothing by, in order:
 *   level gate    mean power too low for two tones at the minimum level → nothing (cheap; silence
 *                 and quiet speech never reach the Goertzel filters);
 *   dominance     the strongest low and strongest high tone each ≥ every other tone of its group
 *                 + dominanceDb;
 *   (their powers are then corrected for how far off their bin centre they are, from the phase
 *   advance since the previous window, so ±1.5 % does not bend the following checks)
 *   level         each ≥ minLevelDbm0;
 *   twist         high ≤ low + reverseTwistDb and low ≤ high + normalTwistDb (2 dB slack per
 *                 window; on the run's averaged powers, +0.5 dB, when confirming);
 *   energy ratio  the two tones carry ≥ energyRatio of the window energy (talk-off: speech spreads
 *                 its energy over many harmonics and formants; also makes a window that is only
 *                 partly covered by the tone fail, which is what gives duration its precision);
 *   harmonics     the second harmonic of each winner is ≥ harmonicDb below it (skipped where the
 *                 second harmonic lands within ~1.6 bins of the other tone, e.g. 2×697 = 1394 near
 *                 1336, where it would measure the tone itself; the energy ratio still covers it).
 * A digit is confirmed after a run of consecutive windows of that digit long enough that a tone of
 * minToneMs always qualifies and one of 3/4 of that never does; its frequencies are then checked
 * against freqTolerance by measuring the phase advance between overlapping windows (the magnitude
 * of a 67 Hz bin alone cannot tell 1.5 % from 3.5 %). A key is released after a run of non-matching
 * windows that a gap of minGapMs always produces and one of half that never does.
 *
 * Last, a pair whose measured frequencies stand in an exact 2:1 ratio is refused: it is a note and its
 * octave (music, a sung vowel), which no key within ±1.5 % produces.
 *
 * Semantics: push() returns each digit once per key press, as soon as it is confirmed (about
 * 35–45 ms after the tone starts), not when the key is released: that is what barge-in needs.
 */

/** Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM (G.711: +3.14 dBm0 is full scale). */
export const DBM0_AMPLITUDE = 32767 * Math.pow(10, -3.14 / 20);

export interface DtmfOptions {
  /** Minimum level of each tone, dBm0. Default -42 (-45 dBFS: a -40 dBFS tone is found with margin). */
  minLevelDbm0?: number;
  /** How far the high tone may exceed the low one, dB. Default 4. */
  reverseTwistDb?: number;
  /** How far the low tone may exceed the high one, dB. Default 8. */
  normalTwistDb?: number;
  /**
   * Winner over the other tones of its group, dB. Default 5: not more, because with 8 dB of normal
   * twist and a 1.5 % deviation, the strong low tone and the off-bin high tone leak into the
   * neighbouring high-group bin at about -7 to -10 dB.
   */
  dominanceDb?: number;
  /**
   * Share of the window energy the two tones must carry, 0..1. Default 0.7. (Before the octave
   * check, 0.7 let through 2 digits in 86 min of espeak-ng speech and 0.8 none; with it, 0.7 gives
   * none in 39 min of 12 voices at 4 levels and finds more digits spoken over.) Also sets the
   * timing (see the constructor).
   */
  energyRatio?: number;
  /** Second harmonic at least this far below its fundamental, dB. Default 10. */
  harmonicDb?: number;
  /** Maximum frequency deviation, as a fraction. Default 0.025 (accept ±1.5 %, reject ±3.5 %). */
  freqTolerance?: number;
  /** Shortest tone that must be detected, ms. Default 40. */
  minToneMs?: number;
  /** Shortest pause that separates two presses of the same key, ms. Default 40. */
  minGapMs?: number;
  /** Called for every confirmed digit, in addition to push()'s return value. */
  onDigit?: (digit: string, info: DigitInfo) => void;
}

export interface DigitInfo {
  /** Index (in samples since the detector started) of the window end that confirmed the digit. */
  atSample: number;
  /** Measured levels of the two tones, dBm0. */
  lowDbm0: number;
  highDbm0: number;
}

const N = 120;
const HOP = 40;
/** A window is BLOCKS sub-blocks of HOP samples; each sub-block's DFT terms are computed once. */
const BLOCKS = N / HOP;
/** Ring of cached sub-block results (a power of two > BLOCKS). */
const RING = 8;
const LOW = [697, 770, 852, 941] as const;
const HIGH = [1209, 1336, 1477, 1633] as const;
const FREQS = [...LOW, ...HIGH];
const KEYS: string[] = [];
for (const lo of LOW) for (const hi of HIGH) KEYS.push(Object.entries(DTMF_FREQS).find(([, f]) => f[0] === lo && f[1] === hi)![0]);

/** Per-filter constants: Goertzel coefficient, sin ω, and the phase advance of one hop (e^{-jωH}). */
const COEF = new Float64Array(FREQS.map((f) => 2 * Math.cos((2 * Math.PI * f) / SAMPLE_RATE)));
const SINW = new Float64Array(FREQS.map((f) => Math.sin((2 * Math.PI * f) / SAMPLE_RATE)));
const HOP_RE = new Float64Array(FREQS.map((f) => Math.cos((2 * Math.PI * f * HOP) / SAMPLE_RATE)));
const HOP_IM = new Float64Array(FREQS.map((f) => -Math.sin((2 * Math.PI * f * HOP) / SAMPLE_RATE)));
const BIN_HZ = SAMPLE_RATE / N;
/** e^{-jω·HOP·m} for m = 0..BLOCKS-1, per filter: shifts sub-block m to the window's reference. */
const SHIFT_RE = new Float64Array(8 * BLOCKS);
const SHIFT_IM = new Float64Array(8 * BLOCKS);
for (let k = 0; k < 8; k++) {
  for (let m = 0; m < BLOCKS; m++) {
    const a = (-2 * Math.PI * FREQS[k]! * HOP * m) / SAMPLE_RATE;
    SHIFT_RE[k * BLOCKS + m] = Math.cos(a);
    SHIFT_IM[k * BLOCKS + m] = Math.sin(a);
  }
}
/** The same for the second harmonic (2f) of each tone, for the harmonics check. */
const H_COEF = new Float64Array(FREQS.map((f) => 2 * Math.cos((4 * Math.PI * f) / SAMPLE_RATE)));
const H_SINW = new Float64Array(FREQS.map((f) => Math.sin((4 * Math.PI * f) / SAMPLE_RATE)));
const H_SHIFT_RE = new Float64Array(8 * BLOCKS);
const H_SHIFT_IM = new Float64Array(8 * BLOCKS);
for (let k = 0; k < 8; k++) {
  for (let m = 0; m < BLOCKS; m++) {
    const a = (-2 * Math.PI * 2 * FREQS[k]! * HOP * m) / SAMPLE_RATE;
    H_SHIFT_RE[k * BLOCKS + m] = Math.cos(a);
    H_SHIFT_IM[k * BLOCKS + m] = Math.sin(a);
  }
}
/** A measured high tone within this of twice the low one is the low tone's octave (see track()). */
const OCTAVE_HZ = 9;
/** Whether each (low, high) pair may take the second-harmonic check (see the class comment). */
const HARM_OK: boolean[][] = LOW.map((lo) => HIGH.map((hi) => Math.abs(2 * lo - hi) > 1.6 * BIN_HZ));

/** Returned by push() when no digit was confirmed (no allocation per frame). Frozen. */
const NONE: string[] = Object.freeze([]) as unknown as string[];

const db = (x: number): number => Math.pow(10, x / 10);

export class DtmfDetector {
  private readonly minPower: number;
  private readonly gatePower: number;
  private readonly reverseTwist: number;
  private readonly normalTwist: number;
  private readonly confirmReverseTwist: number;
  private readonly confirmNormalTwist: number;
  private readonly windowReverseTwist: number;
  private readonly windowNormalTwist: number;
  private readonly dominance: number;
  private readonly ratio: number;
  private readonly harmonic: number;
  private readonly tol: number;
  private readonly toneWindows: number;
  private readonly gapWindows: number;
  private readonly onDigit: ((digit: string, info: DigitInfo) => void) | undefined;

  // Sample buffer: x[i] and cumulative energy cum[i] = Σ x[0..i-1]², compacted every push.
  // Room for two 20 ms frames (ensure() grows it for bigger pushes): one per call, so kept small.
  private x = new Float64Array(N + 320);
  private cum = new Float64Array(N + 321);
  private len = 0;
  /** Absolute sample index of x[0]. */
  private base = 0;
  /** Offset in x of the next window start. */
  private next = 0;

  // Sub-block DFT terms (Goertzel over HOP samples), by absolute block index modulo RING.
  private readonly blkRe = new Float64Array(8 * RING);
  private readonly blkIm = new Float64Array(8 * RING);
  private readonly blkId = new Float64Array(RING).fill(-1);
  // The same for the second harmonics, per filter, computed only for sub-blocks a harmonics check
  // needs (music holds a note over many windows: each sub-block is then filtered once, not three times).
  private readonly hRe = new Float64Array(8 * RING);
  private readonly hIm = new Float64Array(8 * RING);
  private readonly hId = new Float64Array(8 * RING).fill(-1);

  // DFT terms of the last window (y = s1 - e^{-jω}s2, relative to the window start).
  private readonly re = new Float64Array(8);
  private readonly im = new Float64Array(8);
  private readonly pow = new Float64Array(8);
  // The same for the window before (when it was analysed too), for per-window deviation estimates.
  private readonly preRe = new Float64Array(8);
  private readonly preIm = new Float64Array(8);
  private preOk = false;

  // Run of consecutive windows classified as the same digit.
  private runKey = -1;
  private runLen = 0;
  private runDone = false;
  private prevRe = [0, 0];
  private prevIm = [0, 0];
  private accRe = [0, 0];
  private accIm = [0, 0];
  /** Summed tone powers over the run (low, high). */
  private runPow = [0, 0];
  // Key state for debouncing: the digit being held and how many windows it has been absent.
  private down = -1;
  private absent = 0;
  private out: string[] = NONE;

  constructor(opts: DtmfOptions = {}) {
    const a0 = DBM0_AMPLITUDE;
    this.minPower = (a0 * a0 * db(opts.minLevelDbm0 ?? -42)) / 2;
    // Two tones at the minimum need at least ~2 × minPower of mean power; 0.8 leaves room for
    // window-edge effects.
    this.gatePower = 2 * this.minPower * 0.8;
    this.reverseTwist = db(opts.reverseTwistDb ?? 4);
    this.normalTwist = db(opts.normalTwistDb ?? 8);
    // Per window the twist is only roughly right (the other group's tone leaks in through the
    // rectangular window's sidelobes, ±1 dB depending on phase): screen windows with 2 dB of slack and
    // hold the run's averaged powers to the limits (+0.5 dB: the other group's tone, off its bin,
    // still leaks in by up to ±0.6 dB and its phase drifts too slowly to average out) when confirming.
    this.confirmReverseTwist = this.reverseTwist * db(0.5);
    this.confirmNormalTwist = this.normalTwist * db(0.5);
    this.windowReverseTwist = this.reverseTwist * db(2);
    this.windowNormalTwist = this.normalTwist * db(2);
    this.dominance = db(opts.dominanceDb ?? 5);
    this.ratio = opts.energyRatio ?? 0.7;
    this.harmonic = db(opts.harmonicDb ?? 10);
    this.tol = opts.freqTolerance ?? 0.025;
    const tone = ((opts.minToneMs ?? 40) * SAMPLE_RATE) / 1000;
    const gap = ((opts.minGapMs ?? 40) * SAMPLE_RATE) / 1000;
    // A window qualifies once the tone covers about `energyRatio` of it, so a tone of T samples
    // yields about (T - (2r-1)N)/HOP qualifying windows and a gap of G about (G + (2r-1)N)/HOP
    // failing ones. Aim between "minTone always passes" and "3/4 of it never does", and between
    // "minGap always separates" and "half of it never does". Measured boundaries (50 %) with the
    // defaults: tone ~34 ms, gap ~28.5 ms (tests: 30 ms never, 40 ms always; 20/40 ms gaps).
    const edge = (2 * this.ratio - 1) * N;
    this.toneWindows = Math.max(2, Math.round((0.875 * tone - edge) / HOP));
    this.gapWindows = Math.max(2, Math.round((0.75 * gap + edge) / HOP));
    this.onDigit = opts.onDigit;
  }

  /**
   * Feed s16le audio (normally one 320-byte frame). Returns the digits confirmed by it, usually
   * none (a shared frozen empty array: no allocation per frame).
   */
  push(frame: Buffer): readonly string[] {
    const s = asSamples(frame);
    this.ensure(s.length);
    const x = this.x;
    const cum = this.cum;
    let e = cum[this.len]!;
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      x[this.len] = v;
      e += v * v;
      cum[++this.len] = e;
    }
    this.out = NONE;
    while (this.next + N <= this.len) {
      this.window(this.next);
      this.next += HOP;
    }
    this.compact();
    return this.out;
  }

  /** Forget all state (a new call, or after the far end was re-connected). */
  reset(): void {
    this.len = 0;
    this.next = 0;
    this.base = 0;
    this.blkId.fill(-1);
    this.hId.fill(-1);
    this.cum[0] = 0;
    this.runKey = -1;
    this.runLen = 0;
    this.preOk = false;
    this.down = -1;
    this.absent = 0;
  }

  /** Convenience: every digit in a whole buffer. */
  static detect(pcm: Buffer, opts?: DtmfOptions): string[] {
    const d = new DtmfDetector(opts);
    const digits: string[] = [];
    for (let off = 0; off < pcm.length; off += 320) digits.push(...d.push(pcm.subarray(off, Math.min(pcm.length, off + 320))));
    return digits;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.x.length) return;
    const x = new Float64Array((this.len + n) * 2);
    const cum = new Float64Array(x.length + 1);
    x.set(this.x.subarray(0, this.len));
    cum.set(this.cum.subarray(0, this.len + 1));
    this.x = x;
    this.cum = cum;
  }

  /** Drop samples no future window needs, keeping cum relative (so it never grows large). */
  private compact(): void {
    const drop = this.next;
    if (drop === 0) return;
    const keep = this.len - drop;
    this.x.copyWithin(0, drop, this.len);
    const c0 = this.cum[drop]!;
    for (let i = 0; i <= keep; i++) this.cum[i] = this.cum[drop + i]! - c0;
    this.len = keep;
    this.base += drop;
    this.next = 0;
  }

  private window(start: number): void {
    const energy = this.cum[start + N]! - this.cum[start]!;
    let key = -1;
    if (energy / N >= this.gatePower) {
      key = this.classify(start, energy);
      this.preRe.set(this.re);
      this.preIm.set(this.im);
      this.preOk = true;
    } else this.preOk = false;
    this.track(key, this.base + start + N);
  }

  /** The digit index (0..15) this window shows, or -1. */
  private classify(start: number, energy: number): number {
    const pow = this.pow;
    this.dft(start);
    let lo = 0;
    for (let k = 1; k < 4; k++) if (pow[k]! > pow[lo]!) lo = k;
    let hi = 4;
    for (let k = 5; k < 8; k++) if (pow[k]! > pow[hi]!) hi = k;
    for (let k = 0; k < 8; k++) {
      if (k === lo || k === hi) continue;
      if (pow[k]! * this.dominance > pow[k < 4 ? lo : hi]!) return -1;
    }
    // A tone off its nominal frequency reads low in a 67 Hz bin (about -1.9 dB at 1.5 % of 1633 Hz),
    // which would bend the twist and energy-ratio checks: undo that, within the tolerance.
    const pl = (pow[lo]! *= this.offBinGain(lo));
    const ph = (pow[hi]! *= this.offBinGain(hi));
    if (pl < this.minPower || ph < this.minPower) return -1;
    if (ph > pl * this.windowReverseTwist || pl > ph * this.windowNormalTwist) return -1;
    if (pl + ph < this.ratio * (energy / N)) return -1;
    // Second harmonics: only now (rarely) worth two more filters.
    if (HARM_OK[lo]![hi - 4] && this.harmonicTooStrong(start, lo, pl)) return -1;
    if (this.harmonicTooStrong(start, hi, ph)) return -1;
    return lo * 4 + (hi - 4);
  }

  /**
   * The eight DFT terms of the window at `start`, from its BLOCKS sub-blocks: X = Σ_m e^{-jωHm}·D_m,
   * each D_m a HOP-sample Goertzel computed once and reused by the BLOCKS windows that overlap it
   * (a fifth of the work of a full-window Goertzel per hop). X differs from the full-window Goertzel
   * output by a constant phase per filter, which neither the powers nor the phase advances see.
   */
  private dft(start: number): void {
    const first = (this.base + start) / HOP;
    for (let m = 0; m < BLOCKS; m++) this.block(first + m, start + m * HOP);
    for (let k = 0; k < 8; k++) {
      let r = 0, i = 0;
      for (let m = 0; m < BLOCKS; m++) {
        const slot = k * RING + ((first + m) & (RING - 1));
        const br = this.blkRe[slot]!, bi = this.blkIm[slot]!;
        const wr = SHIFT_RE[k * BLOCKS + m]!, wi = SHIFT_IM[k * BLOCKS + m]!;
        r += br * wr - bi * wi;
        i += br * wi + bi * wr;
      }
      this.re[k] = r;
      this.im[k] = i;
      this.pow[k] = ((r * r + i * i) * 2) / (N * N);
    }
  }

  /** Sub-block `id` (absolute index), starting at offset `at` in x: computed unless cached. */
  private block(id: number, at: number): void {
    const ring = id & (RING - 1);
    if (this.blkId[ring] === id) return;
    this.blkId[ring] = id;
    const x = this.x;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
    const c0 = COEF[0]!, c1 = COEF[1]!, c2 = COEF[2]!, c3 = COEF[3]!;
    const c4 = COEF[4]!, c5 = COEF[5]!, c6 = COEF[6]!, c7 = COEF[7]!;
    for (let i = at, end = at + HOP; i < end; i++) {
      const v = x[i]!;
      let t: number;
      t = v + c0 * a0 - b0; b0 = a0; a0 = t;
      t = v + c1 * a1 - b1; b1 = a1; a1 = t;
      t = v + c2 * a2 - b2; b2 = a2; a2 = t;
      t = v + c3 * a3 - b3; b3 = a3; a3 = t;
      t = v + c4 * a4 - b4; b4 = a4; a4 = t;
      t = v + c5 * a5 - b5; b5 = a5; a5 = t;
      t = v + c6 * a6 - b6; b6 = a6; a6 = t;
      t = v + c7 * a7 - b7; b7 = a7; a7 = t;
    }
    this.blk(0, ring, a0, b0); this.blk(1, ring, a1, b1); this.blk(2, ring, a2, b2); this.blk(3, ring, a3, b3);
    this.blk(4, ring, a4, b4); this.blk(5, ring, a5, b5); this.blk(6, ring, a6, b6); this.blk(7, ring, a7, b7);
  }

  /** Goertzel end state → y = s1 - e^{-jω}·s2 (the sub-block's DFT term up to a constant phase). */
  private blk(k: number, ring: number, s1: number, s2: number): void {
    this.blkRe[k * RING + ring] = s1 - (COEF[k]! / 2) * s2;
    this.blkIm[k * RING + ring] = SINW[k]! * s2;
  }

  /**
   * 1/|W(Δf)|² for filter k, where Δf is the deviation measured from the phase advance since the
   * previous window (clamped to the tolerance) and W the rectangular window's response; 1 when
   * there is no previous window.
   */
  private offBinGain(k: number): number {
    if (!this.preOk) return 1;
    const r = this.re[k]!, i = this.im[k]!, pr = this.preRe[k]!, pi = this.preIm[k]!;
    const ar = r * pr + i * pi;
    const ai = i * pr - r * pi;
    const dr = ar * HOP_RE[k]! - ai * HOP_IM[k]!;
    const di = ar * HOP_IM[k]! + ai * HOP_RE[k]!;
    const lim = this.tol * FREQS[k]!;
    const dev = Math.max(-lim, Math.min(lim, (Math.atan2(di, dr) * SAMPLE_RATE) / (2 * Math.PI * HOP)));
    if (Math.abs(dev) < 0.5) return 1;
    const x = (Math.PI * dev) / SAMPLE_RATE;
    const w = Math.sin(x * N) / (N * Math.sin(x));
    return 1 / (w * w);
  }

  /** Whether filter k's second harmonic, over the window at `start`, is within harmonicDb of `fundamental`. */
  private harmonicTooStrong(start: number, k: number, fundamental: number): boolean {
    const first = (this.base + start) / HOP;
    const c = H_COEF[k]!;
    let r = 0, i = 0;
    for (let m = 0; m < BLOCKS; m++) {
      const id = first + m;
      const slot = k * RING + (id & (RING - 1));
      if (this.hId[slot] !== id) {
        let a = 0, b = 0;
        for (let n = start + m * HOP, end = n + HOP; n < end; n++) {
          const t = this.x[n]! + c * a - b;
          b = a;
          a = t;
        }
        this.hId[slot] = id;
        this.hRe[slot] = a - (c / 2) * b;
        this.hIm[slot] = H_SINW[k]! * b;
      }
      const br = this.hRe[slot]!, bi = this.hIm[slot]!;
      const wr = H_SHIFT_RE[k * BLOCKS + m]!, wi = H_SHIFT_IM[k * BLOCKS + m]!;
      r += br * wr - bi * wi;
      i += br * wi + bi * wr;
    }
    return (((r * r + i * i) * 2) / (N * N)) * this.harmonic > fundamental;
  }

  private track(key: number, atSample: number): void {
    // Key release: enough consecutive windows without the held digit.
    if (this.down >= 0) {
      if (key === this.down) this.absent = 0;
      else if (++this.absent >= this.gapWindows) this.down = -1;
    }
    if (key < 0) {
      this.runKey = -1;
      this.runLen = 0;
      return;
    }
    const lo = key >> 2;
    const hi = 4 + (key & 3);
    if (key !== this.runKey) {
      this.runKey = key;
      this.runLen = 0;
      this.runDone = false;
      this.accRe[0] = this.accIm[0] = this.accRe[1] = this.accIm[1] = 0;
      this.runPow[0] = this.runPow[1] = 0;
    } else {
      // Phase advance since the previous window, for the frequency check: Σ y_k · conj(y_{k-1}).
      this.accumulate(0, lo);
      this.accumulate(1, hi);
    }
    this.prevRe[0] = this.re[lo]!;
    this.prevIm[0] = this.im[lo]!;
    this.prevRe[1] = this.re[hi]!;
    this.prevIm[1] = this.im[hi]!;
    this.runPow[0]! += this.pow[lo]!;
    this.runPow[1]! += this.pow[hi]!;
    this.runLen++;
    if (this.runDone || this.runLen < this.toneWindows) return;
    this.runDone = true;
    if (this.down === key) return; // same key still held (gap too short): not a new press
    const [pl, ph] = this.runPow as [number, number];
    if (ph > pl * this.confirmReverseTwist || pl > ph * this.confirmNormalTwist) return;
    const fl = this.measuredHz(0, lo);
    const fh = this.measuredHz(1, hi);
    if (Math.abs(fl - FREQS[lo]!) > this.tol * FREQS[lo]! || Math.abs(fh - FREQS[hi]!) > this.tol * FREQS[hi]!) return;
    // A note and its octave: 2 x 752 Hz sits on 770 + 1477 ('6') with both tones inside the
    // tolerance. No DTMF pair within ±1.5 % comes nearer than 17 Hz to an exact 2:1 ratio
    // (697/1336, 770/1477 and 852/1633 are the closest), so such a pair is a harmonic, not a key.
    if (Math.abs(fh - 2 * fl) < OCTAVE_HZ) return;
    this.down = key;
    this.absent = 0;
    const digit = KEYS[key]!;
    if (this.out === NONE) this.out = [];
    this.out.push(digit);
    if (this.onDigit) {
      const lvl = (p: number): number => 10 * Math.log10(p / ((DBM0_AMPLITUDE * DBM0_AMPLITUDE) / 2));
      this.onDigit(digit, { atSample, lowDbm0: lvl(pl / this.runLen), highDbm0: lvl(ph / this.runLen) });
    }
  }

  private accumulate(slot: 0 | 1, k: number): void {
    const r = this.re[k]!, i = this.im[k]!;
    const pr = this.prevRe[slot]!, pi = this.prevIm[slot]!;
    this.accRe[slot]! += r * pr + i * pi;
    this.accIm[slot]! += i * pr - r * pi;
  }

  /**
   * The tone's frequency over the run. The windows are referenced to their own start, so a tone
   * exactly on frequency still advances by e^{jωH} from one window to the next; remove that, and
   * what is left is the deviation δ·H.
   */
  private measuredHz(slot: 0 | 1, k: number): number {
    const ar = this.accRe[slot]!, ai = this.accIm[slot]!;
    const dr = ar * HOP_RE[k]! - ai * HOP_IM[k]!;
    const di = ar * HOP_IM[k]! + ai * HOP_RE[k]!;
    return FREQS[k]! + (Math.atan2(di, dr) * SAMPLE_RATE) / (2 * Math.PI * HOP);
  }
}
