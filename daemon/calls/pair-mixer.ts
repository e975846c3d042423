import { FRAME_BYTES } from '../../drivers/media/format.js';
import { asSamples } from '../../drivers/audio/tones.js';

/**
 * Mixes the two directions of a bridge into one stream: both sides deliver a frame about every
 * 20 ms; a frame from one side waits for its partner from the other, and when a side falls silent
 * (no frames, e.g. on hold) the other's frames go out alone after ~100 ms, so the mix keeps real
 * time either way. Used by call recording and by a supervisor listening in.
 */
export class PairMixer {
  private readonly queue: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };

  constructor(private readonly out: (frame: Buffer) => void) {}

  push(side: 'a' | 'b', frame: Buffer): void {
    this.queue[side].push(frame);
    const { a, b } = this.queue;
    while (a.length > 0 && b.length > 0) this.out(mix(a.shift()!, b.shift()!));
    for (const q of [a, b]) while (q.length > 5) this.out(q.shift()!);
  }

  /** Whatever is still waiting for a partner. */
  flush(): void {
    for (const q of [this.queue.a, this.queue.b]) while (q.length > 0) this.out(q.shift()!);
  }
}

/** Sum two frames with clipping (telephone levels leave plenty of headroom). */
export function mix(x: Buffer, y: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_BYTES);
  const a = asSamples(x);
  const b = asSamples(y);
  for (let i = 0; i < FRAME_BYTES / 2; i++) out.writeInt16LE(Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i] ?? 0))), i * 2);
  return out;
}
