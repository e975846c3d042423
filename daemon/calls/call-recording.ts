import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FRAME_BYTES, FRAME_MS } from '../../drivers/media/format.js';
import { asSamples } from '../../drivers/audio/tones.js';
import { WavWriter } from '../speech/recorder.js';
import type { Bridge } from './bridge.js';

/**
 * Records a bridged conversation to one 8 kHz mono WAV: caller and agent mixed. Both sides deliver
 * a frame about every 20 ms; a frame from one side waits for its partner from the other, and when a
 * side falls silent (no frames, e.g. on hold) the other's frames are written alone after a short
 * wait, so the recording keeps real time either way.
 */
export class CallRecording {
  private readonly writer: WavWriter;
  private readonly queue: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };
  private frames = 0;
  private untap: (() => void) | undefined;

  private constructor(readonly path: string) {
    this.writer = new WavWriter(path);
  }

  static async start(path: string, bridge: Bridge): Promise<CallRecording> {
    await mkdir(dirname(path), { recursive: true });
    const r = new CallRecording(path);
    r.untap = bridge.tap((side, frame) => r.onFrame(side, frame));
    return r;
  }

  private onFrame(side: 'a' | 'b', frame: Buffer): void {
    this.queue[side].push(frame);
    const { a, b } = this.queue;
    while (a.length > 0 && b.length > 0) this.write(mix(a.shift()!, b.shift()!));
    // One side is not sending: do not hold the other back for more than ~100 ms.
    for (const q of [a, b]) while (q.length > 5) this.write(q.shift()!);
  }

  private write(frame: Buffer): void {
    this.writer.append(frame);
    this.frames++;
  }

  /** Stop recording and finish the file. */
  async stop(): Promise<{ path: string; durationMs: number }> {
    this.untap?.();
    for (const q of [this.queue.a, this.queue.b]) while (q.length > 0) this.write(q.shift()!);
    await this.writer.close();
    return { path: this.path, durationMs: this.frames * FRAME_MS };
  }
}

/** Sum two frames with clipping (telephone levels leave plenty of headroom). */
function mix(x: Buffer, y: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_BYTES);
  const a = asSamples(x);
  const b = asSamples(y);
  for (let i = 0; i < FRAME_BYTES / 2; i++) out.writeInt16LE(Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i] ?? 0))), i * 2);
  return out;
}
