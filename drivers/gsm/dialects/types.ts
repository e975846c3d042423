/**
 * A modem dialect: a small declarative profile (commands and URC prefixes) plus the few behaviours
 * that really differ between vendors (how a call's state is reported, how the voice port is
 * switched on).
 */

import type { EndCause } from '../../line.js';

/** What a call-related URC means, whatever the vendor wrote. */
export type CallUrc =
  | { type: 'incoming'; number?: string }
  | { type: 'alerting' }
  | { type: 'connected' }
  | { type: 'ended'; cause: EndCause; detail?: string }
  | { type: 'dtmf'; digit: string };

export type DialectName = 'huawei' | 'quectel' | 'simcom';

export interface DialectProfile {
  readonly name: DialectName;
  /** Dialect-specific init after the common sequence (ATE0, CMEE, CLIP, CREG, CMGF, CNMI). */
  readonly init: readonly string[];
  /** Prefixes that are unsolicited on this modem (besides the common ones). */
  readonly urcPrefixes: readonly string[];
  /** ICCID query and the prefix of its answer. */
  readonly iccid: { command: string; prefix: string };
  /** Commands to start audio on the voice tty once the call is up, and to stop it. */
  readonly voiceOn: readonly string[];
  readonly voiceOff: readonly string[];
  readonly hangup: string;
  /** 'modem': the modem reports key presses (and they are taken from there); 'in-band': audio only. */
  readonly dtmfSource: 'modem' | 'in-band';
  dtmf(callIndex: number, digit: string): string;
  /** Full modem reset, when the firmware has one we trust; null: just reopen. */
  readonly reset: string | null;
  /** Interpret a dialect call URC; null when the line is not one. */
  parseCallUrc(line: string): CallUrc | null;
}
