import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { LineError, type DialOptions, type DtmfSource, type EndCause, type Leg, type LegEnd, type LegEvents, type LegState, type Party } from '../line.js';
import { dtmfTones } from '../audio/tones.js';
import { toFrames } from '../media/format.js';
import { WebRtcMediaPort } from './media-port.js';
import { peerConnection, type PeerConnection } from './peer.js';

/** What the leg asks of the page(s) of its agent: ring, and hear that the call is over. */
export interface PhoneSignal {
  ring(leg: WebRtcLeg): void;
  end(leg: WebRtcLeg, end: LegEnd): void;
}

export const WEBRTC_LINE_ID = 'webrtc';
const GATHER_MS = 3000;

/**
 * A call to an agent's browser: an outbound Leg like a SIP leg to a desk phone. The page is rung
 * over the console's event stream, answers by sending its SDP offer (it owns the microphone), and
 * hangs up or sends keys over the console API. Media runs through @roamhq/wrtc on the box.
 */
export class WebRtcLeg extends EventEmitter<LegEvents> implements Leg {
  readonly id = randomUUID();
  readonly lineId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly remote: Party;
  state: LegState;
  media: WebRtcMediaPort | null = null;
  end: LegEnd | undefined;
  private pc: PeerConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** ICE connected: media flows. */
  private connected = false;

  /** An agent's browser phone (outbound), or with `inbound` a web caller's leg. */
  constructor(
    readonly extension: string,
    readonly options: DialOptions,
    private readonly signals: () => PhoneSignal[],
    private readonly filter: (sdp: string) => string,
    inbound?: { lineId: string; remote: Party },
  ) {
    super();
    this.lineId = inbound?.lineId ?? WEBRTC_LINE_ID;
    this.direction = inbound ? 'inbound' : 'outbound';
    this.remote = inbound?.remote ?? { number: extension, uri: `webrtc:${extension}` };
    this.state = inbound ? 'ringing' : 'offered';
  }

  /**
   * A web caller's leg (the public call page): inbound on `lineId`, negotiated first (accept), then
   * handed to the call core, which answers it once media flows.
   */
  static inbound(lineId: string, remote: Party, filter: (sdp: string) => string): WebRtcLeg {
    return new WebRtcLeg(remote.number ?? 'web', {}, () => [], filter, { lineId, remote });
  }

  /** Ring the agent's page(s). */
  ring(): void {
    this.state = 'ringing';
    for (const s of this.signals()) s.ring(this);
    if (this.options.timeoutMs) this.timer = setTimeout(() => this.finish({ by: 'network', cause: 'no-answer' }), this.options.timeoutMs);
    queueMicrotask(() => this.emit('ringing'));
  }

  /** The page answers with its SDP offer; returns our SDP answer. Media flows once ICE connects. */
  async accept(offer: string): Promise<string> {
    if (this.state !== 'ringing') throw new LineError('wrong-state', `the call is ${this.state}`);
    try {
      return await this.negotiate(offer);
    } catch (err) {
      // A bad offer or a failed negotiation ends the leg (the router tries the next agent).
      this.finish({ by: 'network', cause: 'failed', detail: (err as Error).message });
      throw err;
    }
  }

  private async negotiate(offer: string): Promise<string> {
    clearTimeout(this.timer);
    this.state = 'answered';
    // Loaded on the first browser call only: the native library starts threads of its own.
    const wrtc = (await import('@roamhq/wrtc')).default;
    if (this.state !== 'answered') throw new LineError('ended', 'the call ended');
    const pc = peerConnection(wrtc);
    this.pc = pc;
    const source = new wrtc.nonstandard.RTCAudioSource();
    pc.addTrack(source.createTrack());
    const gotTrack = new Promise<MediaStreamTrackLike>((resolve) => (pc.ontrack = (e) => resolve(e.track as MediaStreamTrackLike)));
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') this.finish({ by: 'network', cause: 'failed', detail: `ice ${pc.connectionState}` });
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: this.filter(offer) });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    const track = await gotTrack;
    const sink = new wrtc.nonstandard.RTCAudioSink(track);
    const media = new WebRtcMediaPort(source, sink);
    this.media = media;
    media.start();
    const connected = (): void => {
      if (this.connected || this.state !== 'answered') return;
      this.connected = true;
      this.emit('answered');
    };
    if (pc.connectionState === 'connected') connected();
    else {
      const prev = pc.onconnectionstatechange;
      pc.onconnectionstatechange = (ev: unknown) => {
        prev?.(ev);
        if (pc.connectionState === 'connected') connected();
      };
    }
    return this.filter(pc.localDescription!.sdp);
  }

  /** The page hung up (or declined while ringing). */
  remoteHangup(): void {
    this.finish({ by: 'remote', cause: this.state === 'ringing' ? 'rejected' : 'normal' });
  }

  /** Keys pressed on the page's keypad. */
  remoteDtmf(digits: string): void {
    const keys = [...digits].filter((d) => /^[0-9*#A-D]$/.test(d));
    if (!keys.length) return;
    // An agent's keys reach the caller in band (as a desk phone's do); a web caller's go to the bot
    // as events (dtmfSource 'console'), so each key counts once.
    if (this.direction === 'outbound') this.media?.injectInbound(toFrames(dtmfTones(keys.join(''), 120, 80)));
    else for (const d of keys) this.emit('dtmf', d, 'console');
  }

  get dtmfSource(): DtmfSource {
    return this.direction === 'inbound' ? 'console' : 'in-band';
  }

  /** Inbound (web caller): resolves once media flows. */
  async answer(): Promise<void> {
    if (this.direction === 'outbound') throw new LineError('wrong-state', 'a browser phone leg is outbound; the page answers it');
    if (this.connected) return;
    if (this.state === 'ended') throw new LineError('ended', 'the web caller left');
    await new Promise<void>((resolve, reject) => {
      this.once('answered', () => resolve());
      this.once('ended', () => reject(new LineError('ended', 'the web caller left')));
    });
  }

  async hangup(cause: EndCause = 'normal'): Promise<void> {
    this.finish({ by: 'local', cause });
  }

  /** In band: the page has no out-of-band DTMF channel to the agent. */
  async sendDtmf(digits: string): Promise<void> {
    if (!this.media) return;
    for (const f of toFrames(dtmfTones(digits, 100, 100))) this.media.write(f);
  }

  private finish(end: LegEnd): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.end = end;
    clearTimeout(this.timer);
    this.media?.close();
    this.media = null;
    try {
      this.pc?.close();
    } catch {
      // already closed
    }
    for (const s of this.signals()) s.end(this, end);
    this.emit('ended', end);
  }
}

interface MediaStreamTrackLike {
  kind: string;
}

/** Wait until ICE gathering is complete (no trickle: the page gets every candidate in one answer). */
function gathered(pc: PeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, GATHER_MS);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    };
  });
}
