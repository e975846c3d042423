import type { EventEmitter } from 'node:events';
import type { MediaPort } from './media/port.js';

/**
 * The contract between line drivers (GSM, analog, SIP) and the call core. A Line is a physical or
 * logical phone line; each call on it is a Leg. The call core never sees AT commands or SIP messages.
 */

export type LineKind = 'gsm' | 'analog' | 'sip' | 'webrtc';

/** Who is on the other end, as far as the line can tell. */
export interface Party {
  /** E.164 or national number; undefined when withheld or unknown. */
  number?: string;
  /** Display name, when the line provides one. */
  name?: string;
  /** Full URI for SIP parties. */
  uri?: string;
}

export type LegState = 'offered' | 'ringing' | 'answered' | 'ended';

/**
 * Where a leg's key presses come from, declared by its line: the modem's tone detector (Quectel
 * +QTONEDET, SIMCom +RXDTMF), DLE shielded codes (V.253 voice modems), RFC 4733, SIP INFO or a web
 * caller's keypad in the console ('console') — all delivered as 'dtmf' events — or 'in-band': only the audio carries them and the call core detects
 * them there. Exactly one source feeds a call, so nothing has to be de-duplicated by timing.
 */
export type DtmfSource = 'in-band' | 'modem' | 'dle' | 'rfc4733' | 'sip-info' | 'console';

/**
 * Why a leg ended: what the far end or the network reported (mapped from SIP status, GSM ^CEND,
 * modem result codes), or the reason our side gave to hangup().
 */
export type EndCause =
  // the far end or the network
  | 'normal'
  | 'busy'
  | 'no-answer'
  | 'rejected'
  | 'cancelled'
  | 'failed'
  | 'no-dialtone'
  | 'auth-failed'
  | 'line-down'
  | 'no-ack'
  | 'overload'
  /** The far end stayed silent (an analog modem's silence detector). */
  | 'silence'
  // our side: the call core's reasons to hang up (sent along, e.g. as the SIP BYE's Reason text)
  | 'transferred'
  | 'draining'
  | 'shutdown'
  | 'caller-silent'
  | 'not-connected'
  | 'call-ended'
  | 'answer-failed'
  | 'no-media'
  | 'left-in-bot'
  | 'internal-error'
  /** A run-time fault in the call's configuration ended it on the safe path. */
  | 'config-fault'
  /** The line was stopped (shutdown, reload) with the call on it. */
  | 'line-stopped';

export interface LegEnd {
  /** Which side ended the leg. */
  by: 'remote' | 'local' | 'network';
  cause: EndCause;
  /** Protocol detail, e.g. SIP status 486 or GSM ^CEND cause 16. */
  detail?: string;
}

/** Why a line refused or failed a request (dial, answer, SMS, start): one code per way, so callers switch on it instead of parsing text. */
export type LineErrorCode =
  // modem lines: the port and the modem
  | 'port-lost'
  | 'timeout'
  | 'open-failed'
  | 'init-failed'
  | 'imei-not-found'
  // any line
  | 'not-ready'
  | 'busy'
  /** Not dialable: a number, an extension or DTMF digits the line cannot send. */
  | 'bad-number'
  | 'no-media'
  /** The line cannot reach that kind of target as configured (no SIP trunk, extensions off, a web line). */
  | 'not-routable'
  /** The callee cannot be rung now (an agent without a workbench open). */
  | 'unreachable'
  /** The leg is not in a state for this (answer an answered leg, DTMF before answer). */
  | 'wrong-state'
  /** The call ended while the request was under way. */
  | 'ended';

/** A line's failure or refusal, thrown by Line and Leg methods. */
export class LineError extends Error {
  constructor(
    readonly code: LineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LineError';
  }
}

export interface LegEvents {
  /** The far end is alerting (outbound legs). */
  ringing: [];
  /** Media flows; `leg.media` is set. */
  answered: [];
  /** A DTMF digit signalled out of band (RFC 4733, SIP INFO, modem tone detector, a browser's keypad). In-band tones are found by the call core. */
  dtmf: [digit: string, source: Exclude<DtmfSource, 'in-band'>];
  /** The far end put the call on hold (true) or took it off hold (false): SIP re-INVITE; other lines never emit it. */
  hold: [held: boolean];
  /** The leg is over; its media port is closed. Emitted exactly once. */
  ended: [end: LegEnd];
}

export interface Leg extends EventEmitter<LegEvents> {
  readonly id: string;
  readonly lineId: string;
  readonly direction: 'inbound' | 'outbound';
  /** The other party: the caller on inbound legs, the callee on outbound ones. */
  readonly remote: Party;
  readonly state: LegState;
  /** Set once answered, until ended. */
  readonly media: MediaPort | null;
  /** Where this leg's key presses come from (see DtmfSource); known once answered. */
  readonly dtmfSource: DtmfSource;
  /**
   * Inbound: what the caller dialled, where the line carries it (the SIP request-URI's user, e.g.
   * "*51" for a feature code). Undefined on lines that have one number (GSM, analog) and outbound.
   */
  readonly dialled?: string;
  /**
   * Inbound: the user the line verified for this call (SIP digest authentication against the
   * configured users). Undefined when nothing was verified; a caller number is never verified.
   */
  readonly authenticatedUser?: string;
  /** How the leg ended, once it has (the 'ended' event's argument). */
  readonly end?: LegEnd;
  /** Answer an inbound leg. Resolves when media flows; rejects with a LineError. */
  answer(): Promise<void>;
  /** End the leg. Safe to call more than once or after the far end hung up. */
  hangup(cause?: EndCause): Promise<void>;
  /** Send DTMF digits to the far end (out of band where the line supports it). */
  sendDtmf(digits: string): Promise<void>;
}

export interface DialOptions {
  /** Shown to the callee: the From display name on SIP. */
  displayName?: string;
  /** Caller number to present, where the line lets us choose. */
  callerNumber?: string;
  /** Extra protocol headers (SIP X-Frontdesk-*). Ignored by lines that have none. */
  headers?: Record<string, string>;
  /** Give up if not answered within this many ms. */
  timeoutMs?: number;
}

/** What a line reports about itself; published retained over MQTT. */
export interface LineHealth {
  lineId: string;
  kind: LineKind;
  state: 'starting' | 'ready' | 'down' | 'stopped';
  /** Why it is down, when it is. */
  reason?: string;
  inCall: boolean;
  /** GSM: signal in dBm, registration, SIM, identity. */
  signalDbm?: number;
  registration?: 'home' | 'roaming' | 'searching' | 'denied' | 'unregistered' | 'unknown';
  sim?: 'ready' | 'pin-required' | 'puk-required' | 'missing' | 'error' | 'unknown';
  operator?: string;
  imei?: string;
  imsi?: string;
  iccid?: string;
  /** SIP: registration state with the PBX. */
  registered?: boolean;
}

export interface Sms {
  lineId: string;
  from: string;
  text: string;
  /** When the network stamped it (ISO 8601). */
  sentAt?: string;
  receivedAt: string;
}

/** What a line alarms about; each is raised and later cleared (active false) by the line itself. */
export type LineAlarmCode =
  // any line: it is down (the driver's own, or its start failed); the daemon cannot build it
  | 'line-down'
  | 'line-unsupported'
  // modem lines
  | 'modem-reset'
  | 'sim-missing'
  | 'sim-not-ready'
  // SIP trunk
  | 'registration-failed'
  | 'trunk-unreachable'
  | 'sip-overload';

export interface LineAlarm {
  lineId: string;
  code: LineAlarmCode;
  active: boolean;
  message: string;
}

export interface LineEvents {
  incoming: [leg: Leg];
  health: [health: LineHealth];
  alarm: [alarm: LineAlarm];
  sms: [sms: Sms];
}

export interface Line extends EventEmitter<LineEvents> {
  readonly id: string;
  readonly kind: LineKind;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): LineHealth;
  /** Place an outbound call. Resolves with the leg once it exists (before it is answered); rejects with a LineError. */
  dial(target: string, options?: DialOptions): Promise<Leg>;
  /** Lines that can carry SMS implement this. */
  sendSms?(to: string, text: string): Promise<void>;
}
