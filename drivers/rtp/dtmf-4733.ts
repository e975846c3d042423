/** RFC 4733 telephone-events: DTMF digits 0-9 * # A-D as events 0-15. */

const DIGITS = '0123456789*#ABCD';

export interface DtmfEvent {
  digit: string;
  end: boolean;
  volume: number;
  /** In timestamp units (8 kHz samples). */
  duration: number;
}

export function parseDtmfEvent(payload: Buffer): DtmfEvent | undefined {
  if (payload.length < 4) return undefined;
  const digit = DIGITS[payload[0]!];
  if (digit === undefined) return undefined; // other events (flash, tones) are ignored
  return { digit, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: payload.readUInt16BE(2) };
}

export function buildDtmfEvent(e: DtmfEvent): Buffer {
  const code = DIGITS.indexOf(e.digit.toUpperCase());
  if (code < 0) throw new Error(`not a DTMF digit: ${e.digit}`);
  const b = Buffer.alloc(4);
  b[0] = code;
  b[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  b.writeUInt16BE(Math.min(0xffff, e.duration), 2);
  return b;
}

export function isDtmfDigit(d: string): boolean {
  return d.length === 1 && DIGITS.includes(d.toUpperCase());
}

/**
 * Turns a stream of event packets into digits: one digit per event (keyed by RTP timestamp), reported
 * at the first packet seen, so lost start packets, repeated end packets and retransmits never double it.
 */
export class DtmfReceiver {
  private lastTimestamp: number | undefined;

  /** Returns the digit when this packet starts a new event. */
  push(timestamp: number, payload: Buffer): string | undefined {
    const e = parseDtmfEvent(payload);
    if (!e || timestamp === this.lastTimestamp) return undefined;
    this.lastTimestamp = timestamp;
    return e.digit;
  }
}
