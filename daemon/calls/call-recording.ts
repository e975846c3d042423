import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FRAME_BYTES, FRAME_MS } from '../../drivers/media/format.js';
import { WavWriter } from '../speech/recorder.js';
import type { Bridge } from './bridge.js';
import { mix } from './pair-mixer.js';

const SILENT = Buffer.alloc(FRAME_BYTES);

/**
 * Records a bridged conversation with each leg on its own channel: an 8 kHz stereo WAV, the caller
 * (bridge side a) left and the agent (side b) right, so each can be analysed on its own (quality
 * inspection); optionally also both mixed in a mono file. Both sides deliver a frame about every
 * 20 ms; a frame from one side waits for its partner from the other, and when a side falls silent
 * (no frames, e.g. on hold) the other's frames are written against silence after a short wait, so
 * the recording keeps real time either way.
 */
export class CallRecording {
  private readonly stereo: WavWriter;
  private readonly mixed: WavWriter | undefined;
  private readonly queue: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };
  private frames = 0;
  private untap: (() => void) | undefined;

  private constructor(
    readonly path: string,
    readonly mixedPath?: string,
  ) {
    this.stereo = new WavWriter(path, 2);
    this.mixed = mixedPath ? new WavWriter(mixedPath) : undefined;
  }

  static async start(path: string, bridge: Bridge, opts: { mixedPath?: string } = {}): Promise<CallRecording> {
    await mkdir(dirname(path), { recursive: true });
    const r = new CallRecording(path, opts.mixedPath);
    r.untap = bridge.tap((side, frame) => r.onFrame(side, frame));
    return r;
  }

  private onFrame(side: 'a' | 'b', frame: Buffer): void {
    this.queue[side].push(frame);
    const { a, b } = this.queue;
    while (a.length > 0 && b.length > 0) this.write(a.shift()!, b.shift()!);
    // One side is not sending: do not hold the other back for more than ~100 ms.
    while (a.length > 5) this.write(a.shift()!, SILENT);
    while (b.length > 5) this.write(SILENT, b.shift()!);
  }

  private write(caller: Buffer, agent: Buffer): void {
    this.stereo.append(interleave(caller, agent));
    this.mixed?.append(mix(caller, agent));
    this.frames++;
  }

  /** Stop recording and finish the file(s). */
  async stop(): Promise<{ path: string; durationMs: number; mixedPath?: string }> {
    this.untap?.();
    const { a, b } = this.queue;
    while (a.length > 0 || b.length > 0) this.write(a.shift() ?? SILENT, b.shift() ?? SILENT);
    await Promise.all([this.stereo.close(), this.mixed?.close()]);
    return { path: this.path, durationMs: this.frames * FRAME_MS, ...(this.mixedPath ? { mixedPath: this.mixedPath } : {}) };
  }
}

/** Two mono frames → one stereo frame (left, right, left, right ...). */
function interleave(left: Buffer, right: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_BYTES * 2);
  for (let i = 0; i < FRAME_BYTES / 2; i++) {
    out.writeInt16LE(i * 2 < left.length ? left.readInt16LE(i * 2) : 0, i * 4);
    out.writeInt16LE(i * 2 < right.length ? right.readInt16LE(i * 2) : 0, i * 4 + 2);
  }
  return out;
}
