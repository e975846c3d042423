import type { Vad } from './vad.js';

/**
 * Energy VAD, the fallback when Silero cannot run: a 20 ms window is speech when it stands well
 * above the line's own noise floor and above an absolute gate. The floor is a low percentile of
 * the last few seconds of window levels, so steady line noise or hum becomes the floor within
 * the first windows instead of reading as endless speech (a decaying minimum would take seconds to
 * climb to it). What it cannot tell: non-stationary noise (clicks, a passing truck) from speech.
 */
export interface EnergyVadOptions {
  /** dB above the noise floor that counts as speech. Default 10. */
  marginDb?: number;
  /** Absolute gate, dBFS: quieter is never speech. Default -50. */
  gateDbfs?: number;
  /** Seconds of history for the floor. Default 5. */
  historyS?: number;
  /** Percentile of the history taken as the floor. Default 0.1. */
  percentile?: number;
  /** Window size at 8 kHz. Default 160 (20 ms). */
  windowSamples?: number;
}

export class EnergyVad implements Vad {
  readonly name = 'energy' as const;
  readonly windowSamples: number;
  private readonly margin: number;
  private readonly gate: number;
  private readonly percentile: number;
  private readonly history: Float64Array;
  private n = 0;
  private pos = 0;
  private readonly sorted: number[] = [];

  constructor(opts: EnergyVadOptions = {}) {
    this.margin = opts.marginDb ?? 10;
    this.gate = opts.gateDbfs ?? -50;
    this.percentile = opts.percentile ?? 0.1;
    this.windowSamples = opts.windowSamples ?? 160;
    this.history = new Float64Array(Math.max(10, Math.round(((opts.historyS ?? 5) * 8000) / this.windowSamples)));
  }

  /** Level of a window, dBFS (full-scale square wave = 0). */
  static levelDbfs(win: Int16Array): number {
    let s = 0;
    for (let i = 0; i < win.length; i++) s += win[i]! * win[i]!;
    return 10 * Math.log10(s / Math.max(1, win.length) / (32768 * 32768) + 1e-12);
  }

  process(win: Int16Array): number {
    const level = EnergyVad.levelDbfs(win);
    this.remember(level);
    const floor = this.sorted[Math.min(this.sorted.length - 1, Math.floor(this.percentile * this.sorted.length))]!;
    const threshold = Math.max(floor + this.margin, this.gate);
    // A soft probability around the threshold, so the endpointer's hysteresis has something to hold.
    return Math.min(1, Math.max(0, 0.5 + (level - threshold) / 6));
  }

  /** Keep a ring of levels and a sorted copy (binary insert/remove: ~250 entries, cheap). */
  private remember(level: number): void {
    if (this.n === this.history.length) {
      const old = this.history[this.pos]!;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
    } else this.n++;
    this.history[this.pos] = level;
    this.pos = (this.pos + 1) % this.history.length;
    this.sorted.splice(lowerBound(this.sorted, level), 0, level);
  }

  reset(): void {
    this.n = 0;
    this.pos = 0;
    this.sorted.length = 0;
  }
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
