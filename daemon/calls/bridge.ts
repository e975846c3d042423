import type { MediaPort } from '../../drivers/media/port.js';
import { mix } from './pair-mixer.js';

/** Something that wants to hear a bridged call, e.g. a recording: one frame per direction per tick. */
export type Tap = (from: 'a' | 'b', frame: Buffer) => void;

/**
 * Connects two legs' media: what A says is written to B and back. Each side is paced by its own
 * port, so a slow or bursty side (a USB modem delivering frames in clumps) can build a backlog;
 * the bridge keeps at most `maxQueued` frames (default 5 = 100 ms) waiting on each side, dropping
 * the oldest, so delay never creeps up during a long call.
 */
export class Bridge {
  private readonly offA: () => void;
  private readonly offB: () => void;
  private readonly taps = new Set<Tap>();
  /** Extra audio for one side only (a supervisor whispering to the agent), mixed into its frames. */
  private readonly extra: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };
  private open = true;
  dropped = 0;

  constructor(
    readonly a: MediaPort,
    readonly b: MediaPort,
    private readonly maxQueued = 5,
  ) {
    a.clear();
    b.clear();
    this.offA = this.relay(a, b, 'a', 'b');
    this.offB = this.relay(b, a, 'b', 'a');
  }

  private relay(from: MediaPort, to: MediaPort, side: 'a' | 'b', toSide: 'a' | 'b'): () => void {
    const onFrame = (frame: Buffer): void => {
      if (!this.open || to.closed) return;
      if (to.queued >= this.maxQueued) {
        to.clear();
        this.dropped += this.maxQueued;
      }
      const extra = this.extra[toSide].shift();
      to.write(extra ? mix(frame, extra) : frame);
      for (const tap of this.taps) tap(side, frame);
    };
    from.on('frame', onFrame);
    return () => from.off('frame', onFrame);
  }

  tap(t: Tap): () => void {
    this.taps.add(t);
    return () => this.taps.delete(t);
  }

  /** Add a frame heard by one side only, mixed into what the other side says (bounded to ~100 ms). */
  inject(to: 'a' | 'b', frame: Buffer): void {
    if (!this.open) return;
    const q = this.extra[to];
    q.push(frame);
    if (q.length > this.maxQueued) q.shift();
  }

  /** Disconnect (the legs stay up). Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.offA();
    this.offB();
    this.taps.clear();
  }
}
