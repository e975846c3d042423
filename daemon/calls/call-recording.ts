import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FRAME_MS } from '../../drivers/media/format.js';
import { WavWriter } from '../speech/recorder.js';
import type { Bridge } from './bridge.js';
import { PairMixer } from './pair-mixer.js';

/** Records a bridged conversation to one 8 kHz mono WAV: caller and agent mixed (PairMixer). */
export class CallRecording {
  private readonly writer: WavWriter;
  private readonly mixer = new PairMixer((f) => this.write(f));
  private frames = 0;
  private untap: (() => void) | undefined;

  private constructor(readonly path: string) {
    this.writer = new WavWriter(path);
  }

  static async start(path: string, bridge: Bridge): Promise<CallRecording> {
    await mkdir(dirname(path), { recursive: true });
    const r = new CallRecording(path);
    r.untap = bridge.tap((side, frame) => r.mixer.push(side, frame));
    return r;
  }

  private write(frame: Buffer): void {
    this.writer.append(frame);
    this.frames++;
  }

  /** Stop recording and finish the file. */
  async stop(): Promise<{ path: string; durationMs: number }> {
    this.untap?.();
    this.mixer.flush();
    await this.writer.close();
    return { path: this.path, durationMs: this.frames * FRAME_MS };
  }
}
