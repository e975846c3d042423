import { EventEmitter } from 'node:events';
import { LineError, type DtmfSource, type EndCause, type Leg, type LegEnd, type LegEvents, type LegState, type Party } from '../line.js';
import type { MediaPort } from '../media/port.js';

/** What a modem leg needs from its line: the line owns the modem; the leg only asks. */
export interface ModemLegHost {
  answerLeg(leg: ModemLeg): Promise<void>;
  hangupLeg(leg: ModemLeg, cause: EndCause): Promise<void>;
  sendDtmfOn(leg: ModemLeg, digits: string): Promise<void>;
  /** Where the line's key presses come from: the modem's detector, DLE codes, or the audio alone. */
  readonly dtmfSource: DtmfSource;
}

let seq = 0;

/**
 * One call on a modem line (GSM or analog): offered → (ringing) → answered → ended. The leg is the one
 * place that holds the call's state; the line drives it through the driver-side methods below.
 */
export class ModemLeg extends EventEmitter<LegEvents> implements Leg {
  readonly id: string;
  private _state: LegState = 'offered';
  private _media: MediaPort | null = null;
  private _end: LegEnd | undefined;
  /** The modem's call index (^CONN:<idx>, +CLCC). Most modems use 1 for the only call. */
  callIndex = 1;
  /** Set when we asked the modem to hang up: the end URC that follows is ours, not the caller's. */
  localHangupCause: EndCause | undefined;

  constructor(
    private readonly host: ModemLegHost,
    readonly lineId: string,
    readonly direction: 'inbound' | 'outbound',
    readonly remote: Party,
  ) {
    super();
    this.id = `${lineId}-${Date.now().toString(36)}-${(++seq).toString(36)}`;
  }

  get state(): LegState {
    return this._state;
  }

  get media(): MediaPort | null {
    return this._media;
  }

  /** How the leg ended, once it has. */
  get end(): LegEnd | undefined {
    return this._end;
  }

  /** Offered or ringing: not answered yet, not over. */
  get pending(): boolean {
    return this._state === 'offered' || this._state === 'ringing';
  }

  get dtmfSource(): DtmfSource {
    return this.host.dtmfSource;
  }

  answer(): Promise<void> {
    if (this.direction !== 'inbound') return Promise.reject(new LineError('wrong-state', 'only inbound legs are answered'));
    if (this.state === 'answered') return Promise.resolve();
    if (this.state === 'ended') return Promise.reject(new LineError('ended', 'leg already ended'));
    return this.host.answerLeg(this);
  }

  hangup(cause: EndCause = 'normal'): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    return this.host.hangupLeg(this, cause);
  }

  sendDtmf(digits: string): Promise<void> {
    if (this.state !== 'answered') return Promise.reject(new LineError('wrong-state', 'DTMF needs an answered leg'));
    return this.host.sendDtmfOn(this, digits);
  }

  /** Driver side: media is up. */
  setAnswered(media: MediaPort): void {
    if (this.state === 'ended') {
      media.close();
      return;
    }
    this._media = media;
    this._state = 'answered';
    this.emit('answered');
  }

  setRinging(): void {
    if (this._state !== 'offered') return;
    this._state = 'ringing';
    this.emit('ringing');
  }

  /** Driver side: the modem reported a key press (its detector or a DLE code) on an answered call. */
  receiveDtmf(digit: string): boolean {
    const source = this.host.dtmfSource;
    if (this._state !== 'answered' || source === 'in-band') return false;
    this.emit('dtmf', digit, source);
    return true;
  }

  /** Driver side: the leg is over. Idempotent; closes media; emits 'ended' once. */
  finish(end: LegEnd): boolean {
    if (this.state === 'ended') return false;
    this._state = 'ended';
    this._end = end;
    const m = this._media;
    this._media = null;
    m?.close();
    this.emit('ended', end);
    return true;
  }
}
