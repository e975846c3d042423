/** Final result codes of an AT command, and the errors a command can end with. */

export type FinalKind = 'ok' | 'error' | 'cme' | 'cms' | 'no-carrier' | 'busy' | 'no-answer' | 'no-dialtone' | 'connect';

export interface FinalResult {
  kind: FinalKind;
  /** The line as received. */
  text: string;
  /** +CME/+CMS numeric code, when the modem reported one (or a verbose text we know). */
  code?: number;
  /** +CME/+CMS verbose text, when the modem reported one. */
  message?: string;
}

/** Finals that only end call-control commands (ATD, ATA); at any other time they are unsolicited. */
export const CALL_FINALS: ReadonlySet<FinalKind> = new Set(['no-carrier', 'busy', 'no-answer', 'no-dialtone', 'connect']);

/** Verbose +CME texts we act on, mapped to their 27.007 numbers so callers can switch on codes only. */
const CME_TEXT: Record<string, number> = {
  'phone failure': 0,
  'operation not allowed': 3,
  'operation not supported': 4,
  'sim not inserted': 10,
  'sim pin required': 11,
  'sim puk required': 12,
  'sim failure': 13,
  'sim busy': 14,
  'sim wrong': 15,
  'incorrect password': 16,
  'memory full': 20,
  'invalid index': 21,
  'not found': 22,
  'no network service': 30,
  'network timeout': 31,
  unknown: 100,
};

export const CME_SIM_NOT_INSERTED = 10;

/** Classify a line as a final result, or null when it is not one. */
export function parseFinal(line: string): FinalResult | null {
  switch (line) {
    case 'OK':
      return { kind: 'ok', text: line };
    case 'ERROR':
      return { kind: 'error', text: line };
    case 'NO CARRIER':
      return { kind: 'no-carrier', text: line };
    case 'BUSY':
      return { kind: 'busy', text: line };
    case 'NO ANSWER':
      return { kind: 'no-answer', text: line };
    case 'NO DIALTONE':
      return { kind: 'no-dialtone', text: line };
  }
  // VCON: a V.253 voice modem's "voice connection" (USR-style modems answer ATD…; with it).
  if (line === 'CONNECT' || line.startsWith('CONNECT ') || line === 'VCON') return { kind: 'connect', text: line };
  const m = /^\+(CME|CMS) ERROR:\s*(.*)$/.exec(line);
  if (m) {
    const kind = m[1] === 'CME' ? 'cme' : 'cms';
    const detail = m[2]!.trim();
    if (/^\d+$/.test(detail)) return { kind, text: line, code: Number(detail) };
    const code = kind === 'cme' ? CME_TEXT[detail.toLowerCase()] : undefined;
    return code === undefined ? { kind, text: line, message: detail } : { kind, text: line, code, message: detail };
  }
  return null;
}

/** A command ended with ERROR, +CME/+CMS ERROR, or a call final (BUSY, NO CARRIER...). */
export class AtCommandError extends Error {
  constructor(
    readonly command: string,
    readonly final: FinalResult,
    readonly lines: string[],
  ) {
    super(`${command} → ${final.text}`);
    this.name = 'AtCommandError';
  }
}

/** No final result arrived in time: the modem may be hung. */
export class AtTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly ms: number,
  ) {
    super(`${command} timed out after ${ms} ms`);
    this.name = 'AtTimeoutError';
  }
}

/** The engine was closed (port gone, line stopping) before the command finished. */
export class AtClosedError extends Error {
  constructor(readonly command: string) {
    super(`${command}: AT channel closed`);
    this.name = 'AtClosedError';
  }
}
