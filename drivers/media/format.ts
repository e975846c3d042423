/**
 * The one audio format inside Frontdesk: 8 kHz mono signed 16-bit little-endian PCM in 20 ms frames.
 * It is the native format of Huawei voice ports and of G.711 after decoding, so most legs need no
 * resampling at all.
 */
export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000; // 160
export const FRAME_BYTES = FRAME_SAMPLES * 2; // 320

/** A shared all-zero frame. Never write into it. */
export const SILENCE_FRAME: Buffer = Buffer.alloc(FRAME_BYTES);

/** Split a PCM buffer into whole frames, zero-padding the last one. */
export function toFrames(pcm: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let off = 0; off < pcm.length; off += FRAME_BYTES) {
    if (off + FRAME_BYTES <= pcm.length) frames.push(pcm.subarray(off, off + FRAME_BYTES));
    else {
      const last = Buffer.alloc(FRAME_BYTES);
      pcm.copy(last, 0, off);
      frames.push(last);
    }
  }
  return frames;
}
