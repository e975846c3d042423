import { FRAME_MS } from './format.js';

/** Something that wants a callback every 20 ms. */
export type TickHandler = () => void;

/**
 * A drift-free 50 Hz clock shared by every outbound media stream in the process.
 *
 * Ticks are scheduled from the start time (start + n * 20 ms), never from the previous tick, so
 * timer jitter does not accumulate. One timer serves all streams: a hundred calls cost 50 wake-ups a
 * second, not 5000. When the event loop stalls, missed ticks are replayed (so a stream neither
 * loses nor stretches time) up to `maxCatchUp` frames; beyond that the clock re-anchors and counts
 * the skipped ticks in `lateTicks`, which benchmarks and health reports can read.
 */
export class MediaClock {
  private readonly handlers = new Set<TickHandler>();
  private timer: NodeJS.Timeout | undefined;
  private start = 0;
  private n = 0;
  /** Ticks that were dropped because the loop stalled for longer than maxCatchUp frames. */
  lateTicks = 0;
  /** Total ticks delivered since the clock last started. */
  ticks = 0;

  constructor(
    private readonly frameMs = FRAME_MS,
    private readonly maxCatchUp = 5,
  ) {}

  add(handler: TickHandler): void {
    this.handlers.add(handler);
    if (!this.timer) this.begin();
  }

  remove(handler: TickHandler): void {
    this.handlers.delete(handler);
    if (this.handlers.size === 0) this.halt();
  }

  get size(): number {
    return this.handlers.size;
  }

  private begin(): void {
    this.start = performance.now();
    this.n = 0;
    this.schedule();
  }

  private halt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.start + (this.n + 1) * this.frameMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - performance.now()));
  }

  private fire(): void {
    const now = performance.now();
    let behind = Math.floor((now - this.start) / this.frameMs) - this.n;
    if (behind > this.maxCatchUp) {
      this.lateTicks += behind - this.maxCatchUp;
      this.n += behind - this.maxCatchUp;
      behind = this.maxCatchUp;
    }
    for (let i = 0; i < behind; i++) {
      this.n++;
      this.ticks++;
      for (const h of this.handlers) {
        try {
          h();
        } catch {
          // A faulty stream must not stop the clock for every other call.
        }
      }
    }
    if (this.timer) this.schedule();
  }
}

/** The process-wide clock. Tests may create their own. */
export const mediaClock = new MediaClock();
