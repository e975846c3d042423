/**
 * The GSM 03.38 default alphabet and its extension table, and septet packing.
 */

// Index = septet value. '\x1b' at 0x1B is the escape to the extension table.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXT: Record<number, string> = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };

const toBasic = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== 0x1b) toBasic.set(BASIC[i]!, i);
const toExt = new Map<string, number>();
for (const [k, v] of Object.entries(EXT)) toExt.set(v, Number(k));

/** Septets for `text`, or null when some character is not in the GSM alphabet (use UCS2). */
export function toSeptets(text: string): number[] | null {
  const out: number[] = [];
  for (const ch of text) {
    const b = toBasic.get(ch);
    if (b !== undefined) out.push(b);
    else {
      const e = toExt.get(ch);
      if (e === undefined) return null;
      out.push(0x1b, e);
    }
  }
  return out;
}

export function fromSeptets(septets: readonly number[]): string {
  let s = '';
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i]!;
    if (v === 0x1b && i + 1 < septets.length) {
      s += EXT[septets[++i]!] ?? ' ';
    } else s += BASIC[v] ?? '?';
  }
  return s;
}

/** Pack septets LSB-first, starting after `fillBits` padding bits (to align after a UDH). */
export function packSeptets(septets: readonly number[], fillBits = 0): Buffer {
  const totalBits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (const s of septets) {
    for (let k = 0; k < 7; k++, bit++) if (s & (1 << k)) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

export function unpackSeptets(data: Buffer, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let k = 0; k < 7; k++, bit++) {
      const byte = data[bit >> 3];
      if (byte === undefined) return out;
      if (byte & (1 << (bit & 7))) v |= 1 << k;
    }
    out.push(v);
  }
  return out;
}
