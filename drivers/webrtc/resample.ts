/**
 * A streaming resampler for the browser's audio (48 kHz from Opus) down to the 8 kHz MediaPort rate:
 * a 31-tap Hann-windowed sinc low-pass whose history carries across chunks (so 10 ms chunks join
 * without clicks), then linear interpolation at the output rate. drivers/audio/resample.ts does
 * the same for whole prompts; this one keeps state between calls.
 */
const TAPS = 31;

export class StreamResampler {
  private readonly h = new Float64Array(TAPS);
  private hist = new Float64Array(TAPS - 1);
  /** Position of the next output sample, in input samples from the start of the next chunk. */
  private pos = 0;
  private prev = 0;
  private readonly step: number;

  constructor(readonly fromRate: number, readonly toRate: number) {
    this.step = fromRate / toRate;
    const cutoff = toRate < fromRate ? (0.45 * toRate) / fromRate : 0.45;
    const mid = (TAPS - 1) / 2;
    let sum = 0;
    for (let k = 0; k < TAPS; k++) {
      const x = k - mid;
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      this.h[k] = sinc * (0.5 - 0.5 * Math.cos((2 * Math.PI * k) / (TAPS - 1)));
      sum += this.h[k]!;
    }
    for (let k = 0; k < TAPS; k++) this.h[k]! /= sum;
  }

  push(input: Int16Array): Int16Array {
    const n = input.length;
    const ext = new Float64Array(TAPS - 1 + n);
    ext.set(this.hist);
    for (let i = 0; i < n; i++) ext[TAPS - 1 + i] = input[i]!;
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let k = 0; k < TAPS; k++) acc += this.h[k]! * ext[i + k]!;
      f[i] = acc;
    }
    this.hist = ext.slice(n);
    const out: number[] = [];
    while (this.pos < n - 1) {
      const j = Math.floor(this.pos);
      const frac = this.pos - j;
      const a = j < 0 ? this.prev : f[j]!;
      const b = f[j + 1]!;
      out.push(Math.max(-32768, Math.min(32767, Math.round(a + (b - a) * frac))));
      this.pos += this.step;
    }
    this.pos -= n;
    this.prev = f[n - 1] ?? this.prev;
    return Int16Array.from(out);
  }
}
