/**
 * G.711 µ-law and A-law (ITU-T G.711), table driven: decoding is one lookup per sample, encoding one
 * lookup in a 64 Ki table built once at load (128 KiB for both laws), so a hundred streams cost little.
 */

export function ulawDecode(u: number): number {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

export function alawDecode(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function ulawEncode(sample: number): number {
  const BIAS = 0x84;
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > 32635) s = 32635;
  s += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

function alawEncode(sample: number): number {
  let s = sample;
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) out = s >> 4;
  else {
    let exp = 1;
    for (let v = s >> 8; v > 1; v >>= 1) exp++;
    out = (exp << 4) | ((s >> (exp + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

const U_DEC = new Int16Array(256);
const A_DEC = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  U_DEC[i] = ulawDecode(i);
  A_DEC[i] = alawDecode(i);
}
// Indexed by the sample as an unsigned 16-bit value.
const U_ENC = new Uint8Array(65536);
const A_ENC = new Uint8Array(65536);
for (let i = 0; i < 65536; i++) {
  const s = i < 32768 ? i : i - 65536;
  U_ENC[i] = ulawEncode(s);
  A_ENC[i] = alawEncode(s);
}

export type Law = 'PCMU' | 'PCMA';

/** s16le PCM → G.711 bytes. */
export function encodeG711(pcm: Buffer, law: Law, out: Buffer = Buffer.allocUnsafe(pcm.length >> 1)): Buffer {
  const table = law === 'PCMU' ? U_ENC : A_ENC;
  const n = pcm.length >> 1;
  for (let i = 0; i < n; i++) out[i] = table[pcm[2 * i]! | (pcm[2 * i + 1]! << 8)]!;
  return out;
}

/** G.711 bytes → s16le PCM. */
export function decodeG711(data: Buffer, law: Law, out: Buffer = Buffer.allocUnsafe(data.length * 2)): Buffer {
  const table = law === 'PCMU' ? U_DEC : A_DEC;
  for (let i = 0; i < data.length; i++) {
    const v = table[data[i]!]!;
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = (v >> 8) & 0xff;
  }
  return out;
}
