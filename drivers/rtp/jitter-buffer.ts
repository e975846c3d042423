import { seqDiff } from './packet.js';

/**
 * A small adaptive jitter buffer for 8 kHz audio. Packets are kept by sequence number and played out
 * one per 20 ms tick by the media clock (so frames leave it paced). The target depth follows the
 * RFC 3550 interarrival jitter estimate between `minFrames` and `maxFrames`; when the buffer runs long
 * (the sender's clock is fast or a burst arrived), one packet is dropped to pull latency back.
 * A missing packet is concealed by repeating the last one at half amplitude, then silence.
 */
export interface JitterOptions {
  minFrames?: number;
  maxFrames?: number;
}

export class JitterBuffer {
  private readonly packets = new Map<number, Buffer>();
  private next: number | undefined;
  private playing = false;
  private last: Buffer | undefined;
  private concealed = 0;
  private jitter = 0; // in ms
  private prevTransit: number | undefined;
  readonly stats = { received: 0, late: 0, lost: 0, concealed: 0, dropped: 0 };
  private readonly min: number;
  private readonly max: number;

  constructor(opts: JitterOptions = {}) {
    this.min = opts.minFrames ?? 2;
    this.max = opts.maxFrames ?? 10;
  }

  /** Frames the buffer wants to hold before playing. */
  get target(): number {
    return Math.max(this.min, Math.min(this.max, Math.ceil((2 * this.jitter) / 20) + this.min));
  }

  get depth(): number {
    return this.packets.size;
  }

  /** Forget what is buffered and the stream position (statistics stay): the next packet starts a new stream. */
  reset(): void {
    this.packets.clear();
    this.next = undefined;
    this.playing = false;
    this.last = undefined;
    this.prevTransit = undefined;
  }

  /** Store one packet's decoded PCM. `arrivalMs` and `timestampMs` feed the jitter estimate. */
  push(seq: number, pcm: Buffer, timestampMs: number, arrivalMs: number): void {
    this.stats.received++;
    const transit = arrivalMs - timestampMs;
    if (this.prevTransit !== undefined) this.jitter += (Math.abs(transit - this.prevTransit) - this.jitter) / 16;
    this.prevTransit = transit;
    if (this.next !== undefined && seqDiff(seq, this.next) < 0) {
      this.stats.late++;
      return;
    }
    if (this.next === undefined) this.next = seq;
    else if (seqDiff(seq, this.next) > 500) {
      // The sender jumped (new SSRC, restart): start over from here.
      this.packets.clear();
      this.next = seq;
      this.playing = false;
    }
    if (this.packets.size >= this.max * 4) return;
    this.packets.set(seq, pcm);
  }

  /** One PCM chunk for this tick, or undefined while filling / after a long silence. */
  pop(): Buffer | undefined {
    if (this.next === undefined) return undefined;
    if (!this.playing) {
      if (this.packets.size < this.target) return undefined;
      this.playing = true;
    }
    if (this.packets.size > this.target + 3) {
      this.packets.delete(this.next);
      this.next = (this.next + 1) & 0xffff;
      this.stats.dropped++;
    }
    const pcm = this.packets.get(this.next);
    if (pcm) {
      this.packets.delete(this.next);
      this.next = (this.next + 1) & 0xffff;
      this.last = pcm;
      this.concealed = 0;
      return pcm;
    }
    if (this.packets.size === 0) {
      // Underrun: the far end paused (silence suppression, hold). Refill before playing again.
      this.playing = false;
      return undefined;
    }
    this.next = (this.next + 1) & 0xffff;
    this.stats.lost++;
    return this.conceal();
  }

  private conceal(): Buffer | undefined {
    this.stats.concealed++;
    if (!this.last || this.concealed++ >= 3) return undefined;
    const out = Buffer.allocUnsafe(this.last.length);
    for (let i = 0; i < out.length; i += 2) out.writeInt16LE(this.last.readInt16LE(i) >> this.concealed, i);
    return out;
  }
}
