import { EventEmitter } from 'node:events';
import type { DtmfSource, Leg, LegEnd, LegEvents, LegState, Party } from '../line.js';
import type { MediaPort } from '../media/port.js';

/** What a GSM leg needs from its line: the line owns the modem; the leg only asks. */
export interface GsmLegHost {
  answerLeg(leg: GsmLeg): Promise<void>;
  hangupLeg(leg: GsmLeg, cause: string): Promise<void>;
  sendDtmfOn(leg: GsmLeg, digits: string): Promise<void>;
  /** Where the line's key presses come from: the modem's detector, DLE codes, or the audio alone. */
  readonly dtmfSource: DtmfSource;
}

let seq = 0;

export class GsmLeg extends EventEmitter<LegEvents> implements Leg {
  readonly id: string;
  state: LegState;
  media: MediaPort | null = null;
  end: LegEnd | undefined;
  /** The modem's call index (^CONN:<idx>, +CLCC). Most modems use 1 for the only call. */
  callIndex = 1;
  /** Set when we asked the modem to hang up: the end URC that follows is ours, not the caller's. */
  localHangupCause: string | undefined;

  constructor(
    private readonly host: GsmLegHost,
    readonly lineId: string,
    readonly direction: 'inbound' | 'outbound',
    readonly remote: Party,
  ) {
    super();
    this.id = `${lineId}-${Date.now().toString(36)}-${(++seq).toString(36)}`;
    this.state = 'offered';
  }

  get dtmfSource(): DtmfSource {
    return this.host.dtmfSource;
  }

  answer(): Promise<void> {
    if (this.direction !== 'inbound') return Promise.reject(new Error('only inbound legs are answered'));
    if (this.state === 'answered') return Promise.resolve();
    if (this.state === 'ended') return Promise.reject(new Error('leg already ended'));
    return this.host.answerLeg(this);
  }

  hangup(cause = 'normal'): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    return this.host.hangupLeg(this, cause);
  }

  sendDtmf(digits: string): Promise<void> {
    if (this.state !== 'answered') return Promise.reject(new Error('DTMF needs an answered leg'));
    return this.host.sendDtmfOn(this, digits);
  }

  /** Driver side: media is up. */
  setAnswered(media: MediaPort): void {
    if (this.state === 'ended') {
      media.close();
      return;
    }
    this.media = media;
    this.state = 'answered';
    this.emit('answered');
  }

  setRinging(): void {
    if (this.state !== 'offered') return;
    this.state = 'ringing';
    this.emit('ringing');
  }

  /** Driver side: the leg is over. Idempotent; closes media; emits 'ended' once. */
  finish(end: LegEnd): boolean {
    if (this.state === 'ended') return false;
    this.state = 'ended';
    this.end = end;
    const m = this.media;
    this.media = null;
    m?.close();
    this.emit('ended', end);
    return true;
  }
}
