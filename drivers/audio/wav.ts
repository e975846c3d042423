import { readFile, writeFile } from 'node:fs/promises';
import { alawDecode, ulawDecode } from './g711.js';

/** Decoded audio: interleaved channels converted to mono signed 16-bit samples. */
export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/**
 * Parse a RIFF/WAVE file: PCM 8/16/24/32-bit, IEEE float 32, G.711 A-law and µ-law; any channel
 * count (mixed down to mono). Throws a clear error on anything else.
 */
export function parseWav(buf: Buffer, name = 'WAV'): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${name}: not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    // Streamed WAVs (espeak-ng --stdout, sox -) may carry 0 or 0xffffffff as the data size.
    if (id === 'data' && (size === 0 || body + size > buf.length)) size = buf.length - body;
    if (id === 'fmt ') {
      let format = buf.readUInt16LE(body);
      if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
      fmt = { format, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      data = buf.subarray(body, body + size);
    }
    off = body + size + (size & 1);
  }
  if (!fmt) throw new Error(`${name}: no fmt chunk`);
  if (!data) throw new Error(`${name}: no data chunk`);
  const { format, channels, rate, bits } = fmt;
  if (channels < 1) throw new Error(`${name}: bad channel count ${channels}`);
  const bytes = bits / 8;
  const frames = Math.floor(data.length / (bytes * channels));
  const read = sampleReader(format, bits, name);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) acc += read(data, (i * channels + c) * bytes);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc / channels)));
  }
  return { sampleRate: rate, samples: out };
}

function sampleReader(format: number, bits: number, name: string): (b: Buffer, o: number) => number {
  if (format === 1 && bits === 16) return (b, o) => b.readInt16LE(o);
  if (format === 1 && bits === 8) return (b, o) => (b[o]! - 128) << 8;
  if (format === 1 && bits === 24) return (b, o) => b.readIntLE(o, 3) >> 8;
  if (format === 1 && bits === 32) return (b, o) => b.readInt32LE(o) >> 16;
  if (format === 3 && bits === 32) return (b, o) => Math.max(-1, Math.min(1, b.readFloatLE(o))) * 32767;
  if (format === 6 && bits === 8) return (b, o) => alawDecode(b[o]!);
  if (format === 7 && bits === 8) return (b, o) => ulawDecode(b[o]!);
  throw new Error(`${name}: unsupported WAV encoding (format ${format}, ${bits}-bit)`);
}

export async function readWav(path: string): Promise<Pcm> {
  return parseWav(await readFile(path), path);
}

/**
 * The channels of a 16-bit PCM WAV kept apart (e.g. a two-leg call recording: caller left, agent
 * right). Other encodings: use parseWav.
 */
export function parseWavChannels(buf: Buffer, name = 'WAV'): { sampleRate: number; channels: Int16Array[] } {
  const ch = buf.length >= 24 && buf.toString('ascii', 12, 16) === 'fmt ' ? buf.readUInt16LE(22) : 1;
  const bits = buf.length >= 36 ? buf.readUInt16LE(34) : 0;
  if (bits !== 16) throw new Error(`${name}: expected 16-bit PCM for separate channels`);
  const data = buf.indexOf('data', 12, 'ascii');
  if (data < 0) throw new Error(`${name}: no data chunk`);
  const pcm = buf.subarray(data + 8);
  const frames = Math.floor(pcm.length / (2 * ch));
  const channels = Array.from({ length: ch }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < ch; c++) channels[c]![i] = pcm.readInt16LE((i * ch + c) * 2);
  return { sampleRate: buf.readUInt32LE(24), channels };
}

export async function readWavChannels(path: string): Promise<{ sampleRate: number; channels: Int16Array[] }> {
  return parseWavChannels(await readFile(path), path);
}

/** A 16-bit PCM WAV file image (mono unless `channels` says otherwise; samples interleaved). */
export function encodeWav(samples: Int16Array | Buffer, sampleRate: number, channels = 1): Buffer {
  const pcm = Buffer.isBuffer(samples) ? samples : Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2 * channels, 28);
  h.writeUInt16LE(2 * channels, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

export async function writeWav(path: string, samples: Int16Array | Buffer, sampleRate: number): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate));
}
