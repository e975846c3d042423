/**
 * Prosody features of one utterance (8 kHz s16le samples), the inputs of the baseline emotion
 * model: how loud, how varied in loudness, how high and how varied the pitch, how fast (a
 * syllable-rate proxy from energy peaks) and how bright (high-frequency share). Cheap enough to run
 * per utterance in the worker: one pass of 20 ms frames plus an autocorrelation pitch search.
 */

export const PROSODY_FEATURES = ['level_db', 'level_std_db', 'pitch_st', 'pitch_std_st', 'rate_hz', 'brightness'] as const;
export type ProsodyFeature = (typeof PROSODY_FEATURES)[number];

const FRAME = 160; // 20 ms at 8 kHz
const RATE = 8000;

export function prosody(samples: Int16Array, rate = RATE): Record<ProsodyFeature, number> {
  const frames = Math.floor(samples.length / FRAME);
  const levels: number[] = [];
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) s += samples[i]! * samples[i]!;
    levels.push(10 * Math.log10(s / FRAME / (32768 * 32768) + 1e-10));
  }
  const top = levels.length ? Math.max(...levels) : -100;
  // Active frames: within 30 dB of the loudest (the utterance, not the pauses around it).
  const active = levels.map((l) => l > top - 30 && l > -60);
  const act = levels.filter((_, i) => active[i]);
  const level = mean(act, -60);
  const levelStd = std(act);

  // Pitch per active frame: normalised autocorrelation over 40 ms, 70..400 Hz.
  const pitches: number[] = [];
  const minLag = Math.floor(rate / 400);
  const maxLag = Math.ceil(rate / 70);
  const win = 2 * FRAME;
  for (let f = 0; f + 2 <= frames; f++) {
    if (!active[f]) continue;
    const o = f * FRAME;
    let e0 = 0;
    for (let i = 0; i < win - maxLag; i++) e0 += samples[o + i]! * samples[o + i]!;
    if (e0 <= 0) continue;
    let best = 0;
    let bestLag = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let c = 0;
      let e1 = 0;
      for (let i = 0; i < win - maxLag; i++) {
        c += samples[o + i]! * samples[o + i + lag]!;
        e1 += samples[o + i + lag]! * samples[o + i + lag]!;
      }
      const r = c / Math.sqrt(e0 * e1 + 1e-9);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
    if (best > 0.6 && bestLag > 0) pitches.push(12 * Math.log2(rate / bestLag / 100)); // semitones re 100 Hz
  }

  // Syllable-rate proxy: peaks of the smoothed envelope, 3 dB above the dips around them.
  const env = levels.map((_, i) => (levels[Math.max(0, i - 1)]! + levels[i]! + levels[Math.min(levels.length - 1, i + 1)]!) / 3);
  let peaks = 0;
  let dip = Infinity;
  let lastPeak = -Infinity;
  for (let i = 1; i + 1 < env.length; i++) {
    dip = Math.min(dip, env[i]!);
    if (active[i] && env[i]! >= env[i - 1]! && env[i]! > env[i + 1]! && env[i]! - dip >= 3 && i - lastPeak >= 5) {
      peaks++;
      lastPeak = i;
      dip = Infinity;
    }
  }
  const activeS = Math.max(0.2, (act.length * FRAME) / rate);

  // Brightness: energy of the first difference over the signal's (a high-frequency share).
  let e = 0;
  let d = 0;
  for (let i = 1; i < samples.length; i++) {
    e += samples[i]! * samples[i]!;
    const x = samples[i]! - samples[i - 1]!;
    d += x * x;
  }
  return {
    level_db: level,
    level_std_db: levelStd,
    pitch_st: mean(pitches, 0),
    pitch_std_st: std(pitches),
    rate_hz: peaks / activeS,
    brightness: e > 0 ? d / e / 4 : 0,
  };
}

function mean(a: number[], empty: number): number {
  return a.length ? a.reduce((s, x) => s + x, 0) / a.length : empty;
}

function std(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a, 0);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length);
}
