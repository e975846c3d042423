import { asPayloadPort, type MediaPort, type RelayHandle } from '../../drivers/media/port.js';
import { mix } from './pair-mixer.js';

/** Something that wants to hear a bridged call, e.g. a recording: one frame per direction per tick. */
export type Tap = (from: 'a' | 'b', frame: Buffer) => void;

type Side = 'a' | 'b';

/**
 * Connects two legs' media: what A says is written to B and back.
 *
 * Two ways per direction:
 * - pass: both legs are RTP with the same G.711 codec (PayloadPort). Each payload goes on as it
 *   arrives, untouched, under the receiving leg's own stream (sequence, SSRC, timestamps): no decode,
 *   no jitter buffer, no re-pacing, no encode — what rtpengine does. The timing is the sender's, as
 *   with any relay; the far end's jitter buffer absorbs it. Taps (recording, a supervisor listening)
 *   still get decoded, paced frames from the sending leg, and other listeners of a leg's frames
 *   (in-band DTMF, speech) keep theirs: the leg decodes only while someone listens.
 * - pcm: anything else (a modem leg, different codecs, audio injected for one side by a whispering
 *   supervisor): frames are decoded and paced by each port. Each side is paced by its own port, so a
 *   slow or bursty side (a USB modem delivering frames in clumps) can build a backlog; the bridge
 *   keeps at most `maxQueued` frames (default 5 = 100 ms) waiting on each side, dropping the
 *   oldest, so delay never creeps up during a long call. A direction that falls back to pcm stays there.
 *
 * While both directions pass and nothing else wants either leg's packets (no tap, no frame listener,
 * no digit being sent), the pair is relayed natively: the legs lend their sockets to a relay thread
 * (drivers/rtp/native-relay.ts) that does the same rewrite without a JS callback per packet. Anything
 * that needs the packets here again takes the pair back first, synchronously; once it is gone, the
 * bridge lends the pair again.
 */
export class Bridge {
  private readonly dirs: Direction[];
  private readonly taps = new Set<Tap>();
  /** Extra audio for one side only (a supervisor whispering to the agent), mixed into its frames. */
  private readonly extra: Record<Side, Buffer[]> = { a: [], b: [] };
  private open = true;
  dropped = 0;
  private native: RelayHandle | undefined;
  private readonly relayChance = (): void => this.reviewNative();

  constructor(
    readonly a: MediaPort,
    readonly b: MediaPort,
    private readonly maxQueued = 5,
  ) {
    a.clear();
    b.clear();
    this.dirs = [new Direction(this, a, b, 'a', 'b'), new Direction(this, b, a, 'b', 'a')];
    for (const p of [a, b]) {
      const pp = asPayloadPort(p);
      if (pp) pp.onRelayChance = this.relayChance;
    }
    this.reviewNative();
  }

  /** Whether the pair is relayed on the native relay's thread now (for tests and health reports). */
  get relayedNatively(): boolean {
    return this.native !== undefined;
  }

  /** Lend the pair to the native relay when it can go there, take it back when it can't stay. */
  private reviewNative(): void {
    const wanted = this.open && this.dirs.every((d) => d.mode === 'pass') && this.taps.size === 0 && !this.injecting('a') && !this.injecting('b');
    if (!wanted) return this.native?.stop();
    if (this.native) return;
    const a = asPayloadPort(this.a);
    const b = asPayloadPort(this.b);
    if (!a?.relayWith || !b) return;
    const handle: RelayHandle | undefined = a.relayWith(b, () => {
      if (this.native === handle) this.native = undefined;
    });
    this.native = handle;
  }

  /** Relay one PCM frame (pcm mode) from `side` to `to`. */
  relayFrame(to: MediaPort, toSide: Side, frame: Buffer): void {
    if (!this.open || to.closed) return;
    if (to.queued >= this.maxQueued) {
      to.clear();
      this.dropped += this.maxQueued;
    }
    const extra = this.extra[toSide].shift();
    to.write(extra ? mix(frame, extra) : frame);
  }

  /** Give a frame from `side` to every tap. */
  tapFrame(side: Side, frame: Buffer): void {
    for (const tap of this.taps) tap(side, frame);
  }

  get tapped(): boolean {
    return this.taps.size > 0;
  }

  /** Whether audio waits to be mixed into what `side` hears (the direction towards it must be pcm). */
  injecting(side: Side): boolean {
    return this.extra[side].length > 0;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** How each direction is relayed now (a→b, b→a): for tests and health reports. */
  get modes(): ['pass' | 'pcm', 'pass' | 'pcm'] {
    return [this.dirs[0]!.mode, this.dirs[1]!.mode];
  }

  tap(t: Tap): () => void {
    this.taps.add(t);
    this.reviewNative();
    for (const d of this.dirs) d.refresh();
    return () => {
      this.taps.delete(t);
      for (const d of this.dirs) d.refresh();
      this.reviewNative();
    };
  }

  /** Add a frame heard by one side only, mixed into what the other side says (bounded to ~100 ms). */
  inject(to: Side, frame: Buffer): void {
    if (!this.open) return;
    const q = this.extra[to];
    q.push(frame);
    if (q.length > this.maxQueued) q.shift();
    this.native?.stop();
    for (const d of this.dirs) if (d.toSide === to) d.toPcm();
  }

  /** Disconnect (the legs stay up). Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.native?.stop();
    for (const p of [this.a, this.b]) {
      const pp = asPayloadPort(p);
      if (pp?.onRelayChance === this.relayChance) pp.onRelayChance = undefined; // a leg may be in the next bridge already
    }
    for (const d of this.dirs) d.close();
    this.taps.clear();
  }
}

/** One direction of a bridge: from → to. */
class Direction {
  mode: 'pass' | 'pcm';
  private listening = false;
  private readonly onFrame = (frame: Buffer): void => {
    if (this.mode === 'pcm') this.bridge.relayFrame(this.to, this.toSide, frame);
    this.bridge.tapFrame(this.side, frame);
  };

  constructor(
    private readonly bridge: Bridge,
    private readonly from: MediaPort,
    private readonly to: MediaPort,
    private readonly side: Side,
    readonly toSide: Side,
  ) {
    const src = asPayloadPort(from);
    const dst = asPayloadPort(to);
    this.mode = src && dst && src.payloadCodec !== undefined && src.payloadCodec === dst.payloadCodec ? 'pass' : 'pcm';
    if (this.mode === 'pass' && src && dst) {
      dst.setPayloadFed(true);
      src.onPayload = (payload, timestamp, source) => {
        // A re-INVITE changed a codec, or a supervisor whispers: from here on, frames.
        if (!this.bridge.isOpen || dst.closed) return;
        if (src.payloadCodec !== dst.payloadCodec || this.bridge.injecting(this.toSide)) return this.toPcm();
        dst.sendPayload(payload, timestamp, source);
      };
    }
    this.refresh();
  }

  /** Listen to the sending leg's frames only when they are needed: pcm relay or a tap. */
  refresh(): void {
    const want = this.bridge.isOpen && (this.mode === 'pcm' || this.bridge.tapped);
    if (want === this.listening) return;
    this.listening = want;
    if (want) this.from.on('frame', this.onFrame);
    else this.from.off('frame', this.onFrame);
  }

  toPcm(): void {
    if (this.mode === 'pcm') return;
    this.mode = 'pcm';
    this.stopPassing();
    this.refresh();
  }

  private stopPassing(): void {
    const src = asPayloadPort(this.from);
    const dst = asPayloadPort(this.to);
    if (src) src.onPayload = undefined;
    dst?.setPayloadFed(false);
  }

  close(): void {
    if (this.mode === 'pass') this.stopPassing();
    this.refresh();
  }
}
