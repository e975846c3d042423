import { decodeG711, encodeG711 } from '../audio/g711.js';
import { FRAME_SAMPLES } from '../media/format.js';

/**
 * The sample formats a V.253 modem offers in `AT+VSM=?`, the one we pick, and conversion between it
 * and Frontdesk's 8 kHz s16le. Firmware names the formats freely ("16-BIT LINEAR", "SIGNED PCM",
 * "G.711U", "8-BIT ULAW"...), so the choice goes by name and bits, not by number.
 */
export type SampleKind = 's16' | 'ulaw' | 'alaw' | 'u8' | 's8';

export interface VoiceFormat {
  /** The compression method number to put in AT+VSM=<cml>,8000. */
  cml: number;
  name: string;
  kind: SampleKind;
}

/** Most wanted first: 16-bit linear needs no conversion; G.711 is lossless for telephony; 8-bit linear last. */
const PREFERENCE: SampleKind[] = ['s16', 'ulaw', 'alaw', 'u8', 's8'];

/** Bytes per 20 ms frame of a format at 8 kHz. */
export function frameBytes(kind: SampleKind): number {
  return kind === 's16' ? FRAME_SAMPLES * 2 : FRAME_SAMPLES;
}

/** One `AT+VSM=?` line → the format it describes, or undefined when we cannot use it (ADPCM, CELP, no 8 kHz). */
export function parseVsmLine(line: string): VoiceFormat | undefined {
  const m = /^(?:\+VSM:\s*)?(\d+)\s*,\s*"([^"]*)"\s*(?:,(.*))?$/i.exec(line.trim());
  if (!m) return undefined;
  const cml = Number(m[1]);
  const name = m[2]!;
  const rest = m[3] ?? '';
  const up = name.toUpperCase();
  if (/ADPCM|CELP|GSM|IMA|CL1|AC2/.test(up)) return undefined;
  // Conexant style: <cml>,"<name>",<bits>,<tm>,<rates>...; USR style: <cml>,"<name>",(<rates>).
  const bitsField = /^\s*(\d+)\s*,/.exec(rest);
  const bits = /16/.test(up) || bitsField?.[1] === '16' ? 16 : 8;
  if (!supports8k(rest.slice(bitsField ? bitsField[0].length : 0))) return undefined;
  let kind: SampleKind | undefined;
  if (/U-?LAW|MU-?LAW|µ|G\.?711\s*U|PCMU/.test(up)) kind = 'ulaw';
  else if (/A-?LAW|G\.?711\s*A|PCMA/.test(up)) kind = 'alaw';
  else if (/LINEAR|PCM/.test(up)) {
    if (bits === 16) kind = /UNSIGNED/.test(up) ? undefined : 's16';
    else kind = /(^|[^N])SIGNED/.test(up) && !/UNSIGNED/.test(up) ? 's8' : 'u8';
  }
  return kind ? { cml, name, kind } : undefined;
}

/** Does a rate list like "(7200,8000,11025)", "8000,0,0" or "(7200-11025)" include 8 kHz? No numbers at all: assume yes. */
function supports8k(rates: string): boolean {
  for (const r of rates.matchAll(/(\d+)\s*-\s*(\d+)/g)) if (Number(r[1]) <= 8000 && 8000 <= Number(r[2])) return true;
  const nums = [...rates.matchAll(/\d+/g)].map((x) => Number(x[0]));
  const rateLike = nums.filter((n) => n >= 4000);
  return rateLike.length === 0 || rateLike.includes(8000);
}

/** Pick the best format from the `AT+VSM=?` answer lines. */
export function chooseFormat(lines: string[]): VoiceFormat | undefined {
  const offered = lines.map(parseVsmLine).filter((f): f is VoiceFormat => f !== undefined);
  for (const k of PREFERENCE) {
    const f = offered.find((o) => o.kind === k);
    if (f) return f;
  }
  return undefined;
}

/** Modem bytes (whole frame) → one 320-byte s16le frame. */
export function toS16(data: Buffer, kind: SampleKind): Buffer {
  switch (kind) {
    case 's16':
      return data;
    case 'ulaw':
      return decodeG711(data, 'PCMU');
    case 'alaw':
      return decodeG711(data, 'PCMA');
    case 'u8':
    case 's8': {
      const out = Buffer.allocUnsafe(data.length * 2);
      for (let i = 0; i < data.length; i++) out.writeInt16LE(kind === 'u8' ? (data[i]! - 128) << 8 : (data.readInt8(i) << 8), i * 2);
      return out;
    }
  }
}

/** One 320-byte s16le frame → modem bytes. */
export function fromS16(frame: Buffer, kind: SampleKind): Buffer {
  switch (kind) {
    case 's16':
      return frame;
    case 'ulaw':
      return encodeG711(frame, 'PCMU');
    case 'alaw':
      return encodeG711(frame, 'PCMA');
    case 'u8':
    case 's8': {
      const n = frame.length >> 1;
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) {
        const hi = frame.readInt16LE(i * 2) >> 8; // -128..127
        out[i] = kind === 'u8' ? hi + 128 : hi & 0xff;
      }
      return out;
    }
  }
}
