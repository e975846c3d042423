import { randomInt } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { FRAME_BYTES, FRAME_SAMPLES, SILENCE_FRAME } from '../media/format.js';
import { PacedMediaPort, type PayloadPort, type RelayHandle } from '../media/port.js';
import type { MediaClock } from '../media/clock.js';
import { mediaClock } from '../media/clock.js';
import { decodeG711, encodeG711, type Law } from '../audio/g711.js';
import { JitterBuffer } from './jitter-buffer.js';
import { DtmfReceiver, buildDtmfEvent, isDtmfDigit } from './dtmf-4733.js';
import type { RtpSession } from './session.js';
import type { RtpPacket } from './packet.js';
import { startNativeRelay, type RelayEnd, type RelayLoan, type RelayStream } from './native-relay.js';
import { FED_SILENCE_AFTER_TICKS } from './relay-layout.js';

export interface RtpMediaConfig {
  codec: Law;
  payload: number;
  /** telephone-event payload type; undefined when the far end does not do RFC 4733. */
  dtmfPayload?: number;
  /** Whether we send and/or play out (from the SDP direction). */
  send: boolean;
  receive: boolean;
}

const DTMF_TONE_TICKS = 5; // 100 ms per digit
const DTMF_GAP_TICKS = 3; // 60 ms between digits
const DTMF_END_REPEATS = 3; // RFC 4733 §2.5.1.4: send the end packet three times

/** G.711 silence (a zero sample) per codec: what the relay's thread sends on a quiet feed. */
const SILENCE_BYTE: Record<Law, number> = { PCMU: 0xff, PCMA: 0xd5 };

interface DtmfJob {
  digit: string;
  tick: number;
  timestamp: number;
  done: () => void;
}

/**
 * The MediaPort of an RTP leg. One clock tick does both directions: it sends the next outbound frame
 * (G.711 encoded, or an RFC 4733 event packet while a digit is being sent) and plays out one frame
 * from the jitter buffer, so inbound frames are paced as well. Inbound audio is only decoded and
 * buffered while someone listens to 'frame'; a bridge to another RTP leg takes the payloads as they
 * arrive (PayloadPort) and, while it feeds this port, the clock adds no silence of its own.
 */
export class RtpMediaPort extends PacedMediaPort implements PayloadPort, RelayEnd {
  private config: RtpMediaConfig;
  private timestamp = randomInt(0, 0xffffffff);
  private readonly jitter = new JitterBuffer();
  private readonly dtmfIn = new DtmfReceiver();
  private readonly dtmfQueue: { digit: string; done: () => void }[] = [];
  private dtmfJob: DtmfJob | undefined;
  private gap = 0;
  private pending: Buffer = Buffer.alloc(0);
  private heard = false;
  private readonly encoded = Buffer.allocUnsafe(FRAME_SAMPLES);
  /** Called for each RFC 4733 digit received. */
  onDtmf: ((digit: string) => void) | undefined;
  onPayload: ((payload: Buffer, timestamp: number, source: number) => void) | undefined;
  private fed = false;
  /** Clock ticks since the last passed-on payload: after a few, silence keeps the stream going (hold, a silent sender). */
  private sinceRelay = 0;
  /** Passed-on payloads keep the sender's timestamp spacing: ours = theirs + offset, per sender stream. */
  private relaySource: number | undefined;
  private relayOffset = 0;
  /** Nobody listened to 'frame' when the last packet came: the jitter buffer starts afresh when someone does. */
  private idle = true;
  /** While the native relay owns this leg's socket (and its peer's): our stream is the relay's meanwhile. */
  private loan: RelayLoan | undefined;
  onRelayChance: (() => void) | undefined;
  private chancePending = false;

  constructor(
    readonly session: RtpSession,
    config: RtpMediaConfig,
    clock: MediaClock = mediaClock,
  ) {
    super(clock);
    this.config = config;
    session.on('packet', (p, at) => this.onPacket(p, at));
    session.onConnected = () => this.relayChance();
    // Someone wants this leg's PCM: its packets must come through here again (and back when they leave).
    const events = this as EventEmitter;
    events.on('newListener', (event) => {
      if (event === 'frame') this.loan?.release();
    });
    events.on('removeListener', (event) => {
      if (event === 'frame' && this.listenerCount('frame') === 0) this.relayChance();
    });
  }

  /** Start pacing (media is up). */
  start(): void {
    this.startPacing();
  }

  /** A re-INVITE changed codec or direction. */
  reconfigure(config: RtpMediaConfig): void {
    this.loan?.release();
    this.config = config;
    this.relayChance();
  }

  get jitterStats(): JitterBuffer['stats'] {
    return this.jitter.stats;
  }

  private onPacket(p: RtpPacket, arrivalMs: number): void {
    if (this.closed) return;
    const c = this.config;
    if (p.payloadType === c.dtmfPayload) {
      const digit = this.dtmfIn.push(p.timestamp, p.payload);
      if (digit) this.onDtmf?.(digit);
      return;
    }
    if (p.payloadType !== c.payload || !c.receive || p.payload.length === 0 || p.payload.length > 1600) return;
    this.onPayload?.(p.payload, p.timestamp, p.ssrc);
    // Decoding and buffering cost more than the relay itself: only for someone who wants the PCM.
    if (this.listenerCount('frame') === 0) {
      this.idle = true;
      return;
    }
    if (this.idle) {
      this.idle = false;
      this.jitter.reset();
      this.pending = Buffer.alloc(0);
    }
    this.jitter.push(p.sequence, decodeG711(p.payload, c.codec), p.timestamp / 8, arrivalMs);
  }

  get payloadCodec(): string | undefined {
    const c = this.config;
    return c.send && c.receive ? c.codec : undefined;
  }

  setPayloadFed(on: boolean): void {
    if (!on) this.loan?.release();
    this.fed = on;
    this.relaySource = undefined;
  }

  sendPayload(payload: Buffer, timestamp: number, source: number): void {
    const c = this.config;
    // An RFC 4733 digit being sent replaces the audio meanwhile, as on the paced path.
    if (this.closed || !c.send || this.dtmfJob) return;
    let marker = false;
    if (source !== this.relaySource) {
      // A new sender stream (or the first packet): continue our timestamps from where they are.
      this.relaySource = source;
      this.relayOffset = (this.timestamp - timestamp) >>> 0;
      marker = true;
    }
    const ts = (timestamp + this.relayOffset) >>> 0;
    this.session.send(c.payload, ts, payload, marker);
    this.timestamp = (ts + payload.length) >>> 0; // one byte per sample in G.711
    this.sinceRelay = 0;
  }

  protected sendFrame(frame: Buffer, silence: boolean): void {
    if (this.loan) return; // the relay's thread sends (and fills silence) meanwhile
    this.playOut();
    const c = this.config;
    if (this.sendDtmfTick()) {
      this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
      this.relaySource = undefined;
      return;
    }
    // Fed by a bridge: its payloads are the audio, and frames written here (none in a bridge). When
    // they stop for longer than a little jitter, silence again, so the far end keeps getting RTP.
    if (this.fed && silence && ++this.sinceRelay <= FED_SILENCE_AFTER_TICKS) return;
    if (c.send) this.session.send(c.payload, this.timestamp, encodeG711(frame, c.codec, this.encoded));
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    this.relaySource = undefined;
  }

  /** Pull enough from the jitter buffer for one 320-byte frame (the far end may use another ptime). */
  private playOut(): void {
    if (this.idle) return;
    while (this.pending.length < FRAME_BYTES) {
      const pcm = this.jitter.pop();
      if (!pcm) break;
      this.heard = true;
      this.pending = this.pending.length ? Buffer.concat([this.pending, pcm]) : pcm;
    }
    if (this.pending.length >= FRAME_BYTES) {
      const frame = this.pending.subarray(0, FRAME_BYTES);
      this.pending = this.pending.subarray(FRAME_BYTES);
      this.receive(frame);
    } else if (this.heard) {
      // Keep the inbound stream at 50 Hz through gaps, so consumers see a steady clock.
      this.receive(SILENCE_FRAME);
    }
  }

  /** Queue RFC 4733 digits. Resolves when all were sent. Falls back to nothing if the far end has no telephone-event. */
  sendDigits(digits: string): Promise<void> {
    if (this.config.dtmfPayload === undefined) return Promise.reject(new Error('far end did not negotiate telephone-event'));
    const all = [...digits].filter(isDtmfDigit);
    this.loan?.release(); // our clock sends the digits, in our stream
    return Promise.all(all.map((digit) => new Promise<void>((done) => this.dtmfQueue.push({ digit, done })))).then(() => undefined);
  }

  /** Returns true when this tick carried an event packet (audio is suppressed meanwhile). */
  private sendDtmfTick(): boolean {
    const pt = this.config.dtmfPayload;
    if (!this.dtmfJob) {
      if (this.gap > 0) {
        this.gap--;
        return false;
      }
      const next = this.dtmfQueue.shift();
      if (!next || pt === undefined) return false;
      this.dtmfJob = { ...next, tick: 0, timestamp: this.timestamp };
    }
    const job = this.dtmfJob;
    job.tick++;
    const end = job.tick >= DTMF_TONE_TICKS;
    const duration = Math.min(job.tick, DTMF_TONE_TICKS) * FRAME_SAMPLES;
    const payload = buildDtmfEvent({ digit: job.digit, end, volume: 10, duration });
    if (!end) {
      this.session.send(pt!, job.timestamp, payload, job.tick === 1);
      return true;
    }
    for (let i = 0; i < DTMF_END_REPEATS; i++) this.session.send(pt!, job.timestamp, payload);
    this.dtmfJob = undefined;
    this.gap = DTMF_GAP_TICKS;
    job.done();
    if (this.dtmfQueue.length === 0) this.relayChance();
    return true;
  }

  // ---------------- the native relay (native-relay.ts) ----------------

  /** Relay both directions with `peer` on the relay's thread, when both can (see Bridge). */
  relayWith(peer: PayloadPort, onEnd: () => void): RelayHandle | undefined {
    if (!(peer instanceof RtpMediaPort) || peer === this || !this.relayable || !peer.relayable || this.payloadCodec !== peer.payloadCodec) return undefined;
    return startNativeRelay(this, peer, onEnd, () => this.relayChance());
  }

  /** Nothing here needs this leg's packets: payloads only go on to the bridged leg, digits come back. */
  private get relayable(): boolean {
    return !this.closed && this.fed && this.onPayload !== undefined && this.payloadCodec !== undefined && !this.dtmfJob && this.dtmfQueue.length === 0 && this.listenerCount('frame') === 0 && this.session.ready && !this.loan;
  }

  lend(loan: RelayLoan): { fd: number; stream: RelayStream } | undefined {
    const c = this.config;
    const s = this.session.lend(loan);
    if (!s) return undefined;
    this.loan = loan;
    this.holdPacing(true); // the relay's thread has the clock for this stream meanwhile
    const stream: RelayStream = { payload: c.payload, silence: SILENCE_BYTE[c.codec], seq: s.seq, ssrc: this.session.ssrc, timestamp: this.timestamp, source: this.relaySource, offset: this.relayOffset, sinceRelay: this.sinceRelay };
    return { fd: s.fd, stream };
  }

  takeBack(stream: RelayStream, packetsIn: number, packetsOut: number): void {
    this.loan = undefined;
    this.holdPacing(false);
    this.session.takeBack(stream.seq, packetsIn, packetsOut);
    this.timestamp = stream.timestamp;
    this.relaySource = stream.source;
    this.relayOffset = stream.offset;
    this.sinceRelay = stream.sinceRelay;
  }

  deliver(packet: Buffer): void {
    this.session.deliver(packet);
  }

  /** The bridge may try relayWith again (a listener left, a re-INVITE or a digit is done, the socket connected). */
  private relayChance(): void {
    if (!this.onRelayChance || this.chancePending) return;
    this.chancePending = true;
    queueMicrotask(() => {
      this.chancePending = false;
      if (!this.closed) this.onRelayChance?.();
    });
  }

  protected override onClose(): void {
    this.loan?.release();
    for (const j of this.dtmfQueue) j.done();
    this.dtmfQueue.length = 0;
    this.dtmfJob?.done();
    this.session.close();
  }
}
