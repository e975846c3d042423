import type { LineHealth } from '../line.js';

/** Parsers for the health queries: AT+CSQ, AT+CREG?, AT+CPIN?, AT+COPS?, identity lines. */

/** +CSQ: <rssi>,<ber> → dBm (27.007: 0 = -113 dBm or less, 31 = -51 dBm or more, 99 = unknown). */
export function csqToDbm(line: string): number | undefined {
  const m = /^\+CSQ:\s*(\d+)\s*,/.exec(line);
  if (!m) return undefined;
  const rssi = Number(m[1]);
  if (rssi === 99 || rssi > 31) return undefined;
  return -113 + 2 * rssi;
}

const REG: Record<number, NonNullable<LineHealth['registration']>> = {
  0: 'unregistered',
  1: 'home',
  2: 'searching',
  3: 'denied',
  4: 'unknown',
  5: 'roaming',
};

/**
 * +CREG: <n>,<stat>[,...] (query answer) or +CREG: <stat>[,<lac>,<ci>] (URC). The two are told
 * apart by the field count and quoting: in the URC the second field, if any, is a quoted LAC.
 */
export function parseCreg(line: string, isQueryAnswer: boolean): LineHealth['registration'] | undefined {
  const m = /^\+CREG:\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const f = m[1]!.split(',').map((s) => s.trim());
  const stat = isQueryAnswer ? f[1] : f[0];
  if (stat === undefined || !/^\d+$/.test(stat)) return undefined;
  return REG[Number(stat)] ?? 'unknown';
}

export function parseCpin(line: string): LineHealth['sim'] {
  const m = /^\+CPIN:\s*(.*)$/.exec(line);
  const v = m?.[1]?.trim().toUpperCase();
  if (v === 'READY') return 'ready';
  if (v === 'SIM PIN') return 'pin-required';
  if (v === 'SIM PUK') return 'puk-required';
  if (v === 'NOT INSERTED' || v === 'NOT READY') return 'missing';
  return 'unknown';
}

/** +COPS: <mode>,<format>,"<oper>"[,<act>] → operator name. */
export function parseCops(line: string): string | undefined {
  const m = /^\+COPS:\s*\d+\s*,\s*\d+\s*,\s*"([^"]*)"/.exec(line);
  return m?.[1] || undefined;
}

/** The first line of a response that looks like an identity (IMEI, IMSI): digits only. */
export function digitsLine(lines: readonly string[], prefix?: string): string | undefined {
  for (const l of lines) {
    const v = (prefix && l.startsWith(prefix) ? l.slice(prefix.length) : l).replace(/"/g, '').trim();
    if (/^[0-9A-Fa-f]{6,22}$/.test(v)) return v;
  }
  return undefined;
}

/** +CLIP: "<number>",<type>,... or +CLCC: <idx>,<dir>,<stat>,<mode>,<mpty>,"<number>",<type> */
export function parseClip(line: string): string | undefined {
  const m = /^\+CLIP:\s*"([^"]*)"/.exec(line);
  return m?.[1] || undefined;
}

export interface ClccEntry {
  idx: number;
  dir: number;
  stat: number;
  mode: number;
  number?: string;
}

export function parseClcc(line: string): ClccEntry | undefined {
  const m = /^\+CLCC:\s*(\d+),(\d),(\d+),(\d+),(\d+)(?:,"([^"]*)")?/.exec(line);
  if (!m) return undefined;
  const e: ClccEntry = { idx: Number(m[1]), dir: Number(m[2]), stat: Number(m[3]), mode: Number(m[4]) };
  if (m[6]) e.number = m[6];
  return e;
}
