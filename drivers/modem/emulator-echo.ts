/**
 * For modem emulators (analog and GSM): the line returning what the DTE sends, as a 2-wire hybrid
 * (or a handset with its canceller off) does: filtered, attenuated, after a playout delay.
 */

/** The hybrid's echo path: a short smear after the playout delay (a line is no pure delay). */
const ECHO_TAPS: readonly [number, number][] = [
  [0, 1],
  [1, -0.45],
  [4, 0.2],
  [25, -0.1],
];
const ECHO_DELAY_FRAMES = 8;

export class EmulatedEcho {
  /**
   * The modem's playout buffer: the DTE's frames are played (and echo back) one per tick of the
   * modem's clock, after a start-up fill that absorbs the tty's jitter, as a real modem's DSP
   * does; so the n-th frame sent echoes in a fixed later frame.
   */
  private readonly playout: Buffer[] = [];
  private playing = false;
  private history = new Float64Array(32);
  /** Echo frames played and their energy (for ERLE); how often the playout ran dry (the echo delay moved). */
  readonly stats = { frames: 0, energy: 0, underruns: 0 };

  /** A new call: empty playout, no history. */
  reset(): void {
    this.playout.length = 0;
    this.playing = false;
    this.history.fill(0);
  }

  /** The DTE's frame (s16le) comes back through the hybrid `db` down, after the playout delay. */
  push(pcm: Buffer, db: number): void {
    const gain = 10 ** (db / 20);
    const n = pcm.length >> 1;
    const hist = this.history;
    const x = new Float64Array(hist.length + n);
    x.set(hist);
    for (let i = 0; i < n; i++) x[hist.length + i] = pcm.readInt16LE(i * 2);
    const out = Buffer.alloc(pcm.length);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (const [d, h] of ECHO_TAPS) v += h * x[hist.length + i - d]!;
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * gain))), i * 2);
    }
    this.history = x.slice(n);
    this.playout.push(out);
    if (this.playout.length > 25) this.playout.shift();
  }

  /** The echo for this tick of the modem's clock, or undefined (none yet, or filling again after an underrun). */
  next(): Buffer | undefined {
    if (!this.playing && this.playout.length < ECHO_DELAY_FRAMES) return undefined;
    this.playing = this.playout.length > 1;
    if (!this.playing) this.stats.underruns++;
    const e = this.playout.shift();
    if (e) {
      this.stats.frames++;
      for (let i = 0; i + 1 < e.length; i += 2) this.stats.energy += e.readInt16LE(i) ** 2;
    }
    return e;
  }

  /** What the far party says with this tick's echo mixed in (s16le, clipped). */
  mixInto(frame: Buffer): Buffer {
    const e = this.next();
    if (!e) return frame;
    const out = Buffer.alloc(frame.length);
    for (let i = 0; i + 1 < frame.length; i += 2) out.writeInt16LE(Math.max(-32768, Math.min(32767, frame.readInt16LE(i) + (i + 1 < e.length ? e.readInt16LE(i) : 0))), i);
    return out;
  }
}
