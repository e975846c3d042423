import { EventEmitter } from 'node:events';
import { FRAME_BYTES, SILENCE_FRAME } from './format.js';
import { MediaClock, mediaClock } from './clock.js';

/** Events every MediaPort emits. */
export interface MediaPortEvents {
  /** One 320-byte inbound frame (what the far end said), at ~50 Hz. */
  frame: [frame: Buffer];
  /** The port is closed; no more frames either way. */
  close: [];
}

/**
 * The media contract between drivers and the call core: 8 kHz s16le mono, 20 ms frames.
 * Every leg (GSM voice tty, RTP, analog modem, WebRTC) exposes one. Inbound frames arrive as
 * 'frame' events; outbound frames are queued with write() and sent by the port at a steady
 * 50 Hz, with silence when nothing is queued.
 */
export interface MediaPort extends EventEmitter<MediaPortEvents> {
  /** Queue one 320-byte frame for sending. */
  write(frame: Buffer): void;
  /** Drop every queued outbound frame (barge-in, a new prompt). */
  clear(): void;
  /** Frames queued and not yet sent. */
  readonly queued: number;
  readonly closed: boolean;
  close(): void;
}

/**
 * Optional capability of ports whose wire format is G.711 (RTP legs). A bridge between two of them
 * that use the same codec passes each payload on as it arrives, untouched, instead of decoding,
 * re-pacing and encoding it: the relay then costs what a packet relay costs, and its timing is the
 * sender's (see daemon/calls/bridge.ts).
 */
export interface PayloadPort {
  /** The codec both directions use now ('PCMU' / 'PCMA'), or undefined when payloads can't be passed on. */
  readonly payloadCodec: string | undefined;
  /** Called with each inbound audio payload as it arrives; `timestamp` in samples, `source` the sender's stream id. */
  onPayload: ((payload: Buffer, timestamp: number, source: number) => void) | undefined;
  /** On: outbound audio comes from sendPayload(), the port's clock sends no silence of its own. */
  setPayloadFed(on: boolean): void;
  /** Send one payload now, as part of this port's outbound stream (its own sequence and timestamps). */
  sendPayload(payload: Buffer, timestamp: number, source: number): void;
  /**
   * Optional: relay both directions between this port and `peer` off the event loop (drivers/rtp's
   * native relay), while both pass payloads and nothing else needs their packets. Undefined when it
   * can't now. `onEnd` is called when the ports take the relay back (a listener for frames, a
   * re-INVITE, a digit to send, close), whoever asked; `onRelayChance` when it may work again.
   */
  relayWith?(peer: PayloadPort, onEnd: () => void): RelayHandle | undefined;
  onRelayChance?: (() => void) | undefined;
}

/** A pair relayed off the event loop; stop() hands it back at once (synchronously). */
export interface RelayHandle {
  stop(): void;
}

/** The port's PayloadPort side, if it has one. */
export function asPayloadPort(p: MediaPort): (MediaPort & PayloadPort) | undefined {
  return 'sendPayload' in p && 'payloadCodec' in p ? (p as MediaPort & PayloadPort) : undefined;
}

/** Counters every port keeps, for health reports and tests. */
export interface MediaStats {
  framesIn: number;
  framesOut: number;
  silenceOut: number;
}

/**
 * The shared half of every MediaPort: an outbound queue drained by the drift-free clock, silence when
 * idle. A driver subclasses it and implements sendFrame() (write to the tty, packetise to RTP...)
 * and calls receive() for each inbound frame.
 */
export abstract class PacedMediaPort extends EventEmitter<MediaPortEvents> implements MediaPort {
  private readonly out: Buffer[] = [];
  private head = 0;
  private readonly tick = (): void => this.onTick();
  private started = false;
  closed = false;
  readonly stats: MediaStats = { framesIn: 0, framesOut: 0, silenceOut: 0 };

  constructor(private readonly clock: MediaClock = mediaClock) {
    super();
  }

  /** Start pacing outbound frames. Call once the far end can take audio. */
  protected startPacing(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.clock.add(this.tick);
  }

  /** Stop (or resume) this port's ticks while another sender owns its stream (drivers/rtp's native relay). */
  protected holdPacing(hold: boolean): void {
    if (!this.started || this.closed) return;
    if (hold) this.clock.remove(this.tick);
    else this.clock.add(this.tick);
  }

  /** Deliver one outbound frame to the wire. `silence` is true when the queue was empty. */
  protected abstract sendFrame(frame: Buffer, silence: boolean): void;

  /** Hand an inbound frame to listeners. Drivers call this; it validates the size. */
  protected receive(frame: Buffer): void {
    if (this.closed || frame.length !== FRAME_BYTES) return;
    this.stats.framesIn++;
    this.emit('frame', frame);
  }

  get queued(): number {
    return this.out.length - this.head;
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    if (frame.length !== FRAME_BYTES) throw new RangeError(`MediaPort.write needs ${FRAME_BYTES}-byte frames, got ${frame.length}`);
    this.out.push(frame);
  }

  clear(): void {
    this.out.length = 0;
    this.head = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.started) this.clock.remove(this.tick);
    this.clear();
    this.onClose();
    this.emit('close');
  }

  /** Release driver resources. Called once from close(). */
  protected onClose(): void {}

  private onTick(): void {
    if (this.closed) return;
    let frame: Buffer;
    let silence = false;
    if (this.head < this.out.length) {
      frame = this.out[this.head++]!;
      // Compact occasionally instead of shift() on every tick.
      if (this.head > 256 && this.head * 2 > this.out.length) {
        this.out.splice(0, this.head);
        this.head = 0;
      }
    } else {
      frame = SILENCE_FRAME;
      silence = true;
      this.stats.silenceOut++;
    }
    this.stats.framesOut++;
    this.sendFrame(frame, silence);
  }
}
