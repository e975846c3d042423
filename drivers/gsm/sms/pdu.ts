import { fromSeptets, packSeptets, toSeptets, unpackSeptets } from './gsm7.js';

/**
 * SMS PDUs (3GPP 23.040) for PDU mode (AT+CMGF=0): SMS-SUBMIT to send, SMS-DELIVER to receive,
 * GSM 7-bit and UCS2, concatenated messages with the 8-bit reference UDH (IEI 00).
 * Both directions are here because the modem emulator needs the mirror of what the driver does.
 */

export type Encoding = 'gsm7' | 'ucs2';

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/** One PDU as sent to AT+CMGS: hex, and the TPDU length (bytes after the SMSC part). */
export interface SubmitPdu {
  hex: string;
  tpduLength: number;
}

export interface DecodedSms {
  /** Originator (deliver) or destination (submit) address. */
  address: string;
  text: string;
  encoding: Encoding | '8bit';
  concat?: ConcatInfo;
  /** Service-centre timestamp (deliver only), ISO 8601 with offset. */
  timestamp?: string;
}

// ---- addresses ----

function encodeAddress(number: string): Buffer {
  const intl = number.startsWith('+');
  const digits = number.replace(/[^0-9*#]/g, '');
  const nibbles = digits.split('').map((d) => (d === '*' ? 0xa : d === '#' ? 0xb : Number(d)));
  if (nibbles.length % 2) nibbles.push(0xf);
  const bcd = Buffer.alloc(nibbles.length / 2);
  for (let i = 0; i < bcd.length; i++) bcd[i] = nibbles[2 * i]! | (nibbles[2 * i + 1]! << 4);
  return Buffer.concat([Buffer.from([digits.length, intl ? 0x91 : 0x81]), bcd]);
}

/** Decode an address field at `off`; returns the address and the offset after it. */
function decodeAddress(buf: Buffer, off: number): [string, number] {
  const len = need(buf, off);
  const type = need(buf, off + 1);
  const octets = Math.ceil(len / 2);
  const body = buf.subarray(off + 2, off + 2 + octets);
  if (body.length < octets) throw new PduError('address truncated');
  if ((type & 0x70) === 0x50) {
    // Alphanumeric sender (bank, operator): GSM 7-bit packed, len counts semi-octets.
    return [fromSeptets(unpackSeptets(body, Math.floor((len * 4) / 7))), off + 2 + octets];
  }
  let s = '';
  for (let i = 0; i < len; i++) {
    const b = body[i >> 1]!;
    const n = i & 1 ? b >> 4 : b & 0xf;
    s += n === 0xa ? '*' : n === 0xb ? '#' : n <= 9 ? String(n) : '';
  }
  return [((type & 0x70) === 0x10 ? '+' : '') + s, off + 2 + octets];
}

export class PduError extends Error {
  constructor(msg: string) {
    super(`bad PDU: ${msg}`);
    this.name = 'PduError';
  }
}

function need(buf: Buffer, i: number): number {
  const v = buf[i];
  if (v === undefined) throw new PduError(`truncated at ${i}`);
  return v;
}

// ---- user data ----

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const PART = { gsm7: 153, ucs2: 67 } as const;

interface UdPart {
  udl: number;
  ud: Buffer;
}

/** Split text into parts and encode each part's user data (with a concat UDH when > 1 part). */
function encodeUserData(text: string, ref: number): { encoding: Encoding; parts: UdPart[] } {
  const septets = toSeptets(text);
  if (septets) {
    const chunks: number[][] = [];
    if (septets.length <= SINGLE.gsm7) chunks.push(septets);
    else {
      for (let i = 0; i < septets.length; ) {
        let end = Math.min(i + PART.gsm7, septets.length);
        // Never split an escape from the septet it escapes.
        if (end < septets.length && septets[end - 1] === 0x1b) end--;
        chunks.push(septets.slice(i, end));
        i = end;
      }
    }
    const parts = chunks.map((c, k) => {
      if (chunks.length === 1) return { udl: c.length, ud: packSeptets(c) };
      const udh = concatUdh(ref, chunks.length, k + 1);
      const fill = (7 - ((udh.length * 8) % 7)) % 7;
      const udhSeptets = (udh.length * 8 + fill) / 7;
      const packed = packSeptets(c, fill);
      return { udl: udhSeptets + c.length, ud: Buffer.concat([udh, packed]) };
    });
    return { encoding: 'gsm7', parts };
  }
  // UCS2: count UTF-16 code units, never splitting a surrogate pair.
  const units = text.length;
  const chunks: string[] = [];
  if (units <= SINGLE.ucs2) chunks.push(text);
  else {
    for (let i = 0; i < units; ) {
      let end = Math.min(i + PART.ucs2, units);
      const last = text.charCodeAt(end - 1);
      if (end < units && last >= 0xd800 && last <= 0xdbff) end--;
      chunks.push(text.slice(i, end));
      i = end;
    }
  }
  const parts = chunks.map((c, k) => {
    const body = Buffer.from(c, 'utf16le').swap16();
    const ud = chunks.length === 1 ? body : Buffer.concat([concatUdh(ref, chunks.length, k + 1), body]);
    return { udl: ud.length, ud };
  });
  return { encoding: 'ucs2', parts };
}

function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

function decodeUserData(buf: Buffer, off: number, dcs: number, udhi: boolean): Pick<DecodedSms, 'text' | 'encoding' | 'concat'> {
  const udl = need(buf, off);
  const ud = buf.subarray(off + 1);
  const encoding = alphabetOf(dcs);
  let concat: ConcatInfo | undefined;
  let udhLen = 0;
  if (udhi) {
    udhLen = need(ud, 0) + 1;
    const udh = ud.subarray(1, udhLen);
    for (let i = 0; i + 1 < udh.length; ) {
      const iei = udh[i]!;
      const len = udh[i + 1]!;
      const v = udh.subarray(i + 2, i + 2 + len);
      if (iei === 0x00 && len === 3) concat = { ref: v[0]!, total: v[1]!, seq: v[2]! };
      if (iei === 0x08 && len === 4) concat = { ref: (v[0]! << 8) | v[1]!, total: v[2]!, seq: v[3]! };
      i += 2 + len;
    }
  }
  let text: string;
  if (encoding === 'gsm7') {
    const fill = udhi ? (7 - ((udhLen * 8) % 7)) % 7 : 0;
    const skip = udhi ? (udhLen * 8 + fill) / 7 : 0;
    text = fromSeptets(unpackSeptets(ud.subarray(udhLen), udl - skip, fill));
  } else {
    const body = Buffer.from(ud.subarray(udhLen, udl));
    if (encoding === 'ucs2') text = body.subarray(0, body.length & ~1).swap16().toString('utf16le');
    else text = body.toString('latin1');
  }
  return concat ? { text, encoding, concat } : { text, encoding };
}

function alphabetOf(dcs: number): Encoding | '8bit' {
  if ((dcs & 0xc0) === 0x00 || (dcs & 0xc0) === 0x40) {
    const a = dcs & 0x0c;
    return a === 0x08 ? 'ucs2' : a === 0x04 ? '8bit' : 'gsm7';
  }
  if ((dcs & 0xf0) === 0xe0) return 'ucs2';
  if ((dcs & 0xf0) === 0xf0) return dcs & 0x04 ? '8bit' : 'gsm7';
  return 'gsm7';
}

// ---- SMS-SUBMIT ----

/**
 * Encode `text` to `to` as one or more SMS-SUBMIT PDUs (SMSC from the SIM). With `statusReport`
 * the network is asked for a delivery report (TP-SRR), matched later by the message reference.
 */
export function encodeSubmit(to: string, text: string, ref = Math.floor(Math.random() * 256), opts: { statusReport?: boolean } = {}): SubmitPdu[] {
  const { encoding, parts } = encodeUserData(text, ref);
  return parts.map(({ udl, ud }) => {
    // SUBMIT, relative validity, UDHI when concatenated, SRR when a delivery report is wanted.
    const first = 0x11 | (parts.length > 1 ? 0x40 : 0) | (opts.statusReport ? 0x20 : 0);
    const tpdu = Buffer.concat([
      Buffer.from([first, 0x00]), // MR: the modem fills it in
      encodeAddress(to),
      Buffer.from([0x00, encoding === 'ucs2' ? 0x08 : 0x00, 0xaa, udl]), // PID, DCS, VP (4 days), UDL
      ud,
    ]);
    return { hex: ('00' + tpdu.toString('hex')).toUpperCase(), tpduLength: tpdu.length };
  });
}

export function decodeSubmit(hex: string): DecodedSms {
  const buf = Buffer.from(hex.trim(), 'hex');
  let off = need(buf, 0) + 1; // skip SMSC
  const first = need(buf, off);
  if ((first & 0x03) !== 0x01) throw new PduError('not an SMS-SUBMIT');
  off += 2; // first octet, MR
  const [address, next] = decodeAddress(buf, off);
  off = next;
  const dcs = need(buf, off + 1);
  off += 2;
  const vpf = (first >> 3) & 0x03;
  off += vpf === 2 ? 1 : vpf === 0 ? 0 : 7;
  return { address, ...decodeUserData(buf, off, dcs, (first & 0x40) !== 0) };
}

// ---- SMS-DELIVER ----

function bcdSwap(n: number): number {
  const s = String(n).padStart(2, '0');
  return Number(s[1]) * 16 + Number(s[0]);
}

function encodeTimestamp(d: Date): Buffer {
  // Always UTC (+00) to keep the emulator simple.
  return Buffer.from([d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0].map(bcdSwap));
}

function decodeTimestamp(b: Buffer): string {
  const v = (x: number) => (x & 0x0f) * 10 + (x >> 4);
  const [yy, mo, dd, hh, mi, ss] = Array.from(b.subarray(0, 6), v);
  const tzByte = b[6]!;
  const quarters = (tzByte & 0x07) * 10 + (tzByte >> 4);
  const sign = tzByte & 0x08 ? -1 : 1;
  const p = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  const tzMin = sign * quarters * 15;
  const tz = `${tzMin < 0 ? '-' : '+'}${p(Math.floor(Math.abs(tzMin) / 60))}:${p(Math.abs(tzMin) % 60)}`;
  return `20${p(yy)}-${p(mo)}-${p(dd)}T${p(hh)}:${p(mi)}:${p(ss)}${tz}`;
}

/** Encode what a network would deliver: one DELIVER PDU (hex, with an SMSC) per part. */
export function encodeDeliver(from: string, text: string, when = new Date(), ref = Math.floor(Math.random() * 256)): string[] {
  const { encoding, parts } = encodeUserData(text, ref);
  const smsc = encodeAddress('+8613800100500');
  const smscField = Buffer.concat([Buffer.from([smsc.length - 1]), smsc.subarray(1)]);
  return parts.map(({ udl, ud }) =>
    Buffer.concat([
      smscField,
      Buffer.from([0x04 | (parts.length > 1 ? 0x40 : 0)]), // DELIVER, no more messages, UDHI
      encodeAddress(from),
      Buffer.from([0x00, encoding === 'ucs2' ? 0x08 : 0x00]),
      encodeTimestamp(when),
      Buffer.from([udl]),
      ud,
    ])
      .toString('hex')
      .toUpperCase(),
  );
}

export function decodeDeliver(hex: string): DecodedSms {
  const buf = Buffer.from(hex.trim(), 'hex');
  if (buf.length < 2 || !/^[0-9a-fA-F]+$/.test(hex.trim())) throw new PduError('not hex');
  let off = need(buf, 0) + 1;
  const first = need(buf, off);
  if ((first & 0x03) !== 0x00) throw new PduError('not an SMS-DELIVER');
  off += 1;
  const [address, next] = decodeAddress(buf, off);
  off = next;
  const dcs = need(buf, off + 1);
  off += 2;
  const ts = buf.subarray(off, off + 7);
  if (ts.length < 7) throw new PduError('timestamp truncated');
  off += 7;
  return { address, timestamp: decodeTimestamp(ts), ...decodeUserData(buf, off, dcs, (first & 0x40) !== 0) };
}

// ---- SMS-STATUS-REPORT ----

/** A delivery report (3GPP 23.040 9.2.2.3): which message (reference) reached whom, and how it ended. */
export interface StatusReport {
  /** TP-MR of the SMS-SUBMIT it reports on. */
  mr: number;
  recipient: string;
  /** TP-ST: 0x00-0x1F delivered, 0x20-0x3F still trying, 0x40+ failed for good. */
  status: number;
  /** Service-centre time stamps, ISO 8601. */
  scts: string;
  discharged: string;
}

export type DeliveryOutcome = 'delivered' | 'pending' | 'failed';

export function deliveryOutcome(status: number): DeliveryOutcome {
  if (status < 0x20) return 'delivered';
  if (status < 0x40) return 'pending';
  return 'failed';
}

/** True when the PDU (with SMSC) is an SMS-STATUS-REPORT (MTI 10), so it is not read as a DELIVER. */
export function isStatusReport(hex: string): boolean {
  const buf = Buffer.from(hex.trim(), 'hex');
  const first = buf[(buf[0] ?? 0) + 1];
  return first !== undefined && (first & 0x03) === 0x02;
}

/** What a network sends back: one STATUS-REPORT PDU (hex, with an SMSC). */
export function encodeStatusReport(mr: number, recipient: string, status: number, when = new Date()): string {
  const smsc = encodeAddress('+8613800100500');
  const smscField = Buffer.concat([Buffer.from([smsc.length - 1]), smsc.subarray(1)]);
  return Buffer.concat([smscField, Buffer.from([0x06, mr & 0xff]), encodeAddress(recipient), encodeTimestamp(when), encodeTimestamp(when), Buffer.from([status & 0xff])])
    .toString('hex')
    .toUpperCase();
}

export function decodeStatusReport(hex: string): StatusReport {
  const buf = Buffer.from(hex.trim(), 'hex');
  if (buf.length < 2 || !/^[0-9a-fA-F]+$/.test(hex.trim())) throw new PduError('not hex');
  let off = need(buf, 0) + 1;
  const first = need(buf, off);
  if ((first & 0x03) !== 0x02) throw new PduError('not an SMS-STATUS-REPORT');
  const mr = need(buf, off + 1);
  const [recipient, next] = decodeAddress(buf, off + 2);
  off = next;
  const scts = buf.subarray(off, off + 7);
  const dt = buf.subarray(off + 7, off + 14);
  if (dt.length < 7) throw new PduError('time stamps truncated');
  return { mr, recipient, scts: decodeTimestamp(scts), discharged: decodeTimestamp(dt), status: need(buf, off + 14) };
}
