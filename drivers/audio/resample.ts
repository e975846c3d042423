/**
 * Sample-rate conversion for prompts and ASR: a windowed-sinc low-pass (so 22.05 kHz TTS does not
 * alias into the 4 kHz telephone band) followed by linear interpolation. Good enough for speech; not
 * meant for music.
 */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input;
  const src = toRate < fromRate ? lowPass(input, (0.45 * toRate) / fromRate) : input;
  const ratio = fromRate / toRate;
  const n = Math.floor(input.length / ratio);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const pos = i * ratio;
    const j = Math.floor(pos);
    const frac = pos - j;
    const a = src[j] ?? 0;
    const b = src[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * frac);
  }
  return out;
}

/** FIR low-pass with cutoff as a fraction of the sample rate (0..0.5), Hann-windowed, 31 taps. */
function lowPass(input: Int16Array, cutoff: number): Int16Array {
  const taps = 31;
  const mid = (taps - 1) / 2;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let k = 0; k < taps; k++) {
    const x = k - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / (taps - 1));
    h[k] = sinc * w;
    sum += h[k]!;
  }
  for (let k = 0; k < taps; k++) h[k]! /= sum;
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    let acc = 0;
    for (let k = 0; k < taps; k++) {
      const idx = i + k - mid;
      if (idx >= 0 && idx < input.length) acc += input[idx]! * h[k]!;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

/** 8 kHz telephony to the 16 kHz small Vosk models expect. */
export function upsample8to16(input: Int16Array): Int16Array {
  return resample(input, 8000, 16000);
}
