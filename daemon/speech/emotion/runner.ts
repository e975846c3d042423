import type { InferenceSession as OrtSession } from 'onnxruntime-node';
import { resample } from '../../../drivers/audio/resample.js';
import type { EmotionReading } from '../worker/protocol.js';
import { cardPathFor, readCard, type ModelCard } from './card.js';
import { PROSODY_FEATURES, prosody, type ProsodyFeature } from './prosody.js';

type Ort = typeof import('onnxruntime-node');

/**
 * Runs an ONNX emotion model as its card describes: builds the input the model wants from an
 * utterance's 8 kHz samples (prosody vector or resampled waveform) and turns its output into a
 * reading (top label, every label's score, and the 'negative' score the handoff policy uses).
 */
export class EmotionRunner {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    readonly card: ModelCard,
  ) {}

  static async load(modelPath: string, cardPath = cardPathFor(modelPath)): Promise<EmotionRunner> {
    const card = await readCard(cardPath);
    if (card.input.kind === 'prosody') {
      const unknown = card.input.features.filter((f) => !(PROSODY_FEATURES as readonly string[]).includes(f));
      if (unknown.length) throw new Error(`emotion model card ${cardPath}: unknown prosody features ${unknown.join(', ')} (known: ${PROSODY_FEATURES.join(', ')})`);
    }
    const ort = (await import('onnxruntime-node')) as Ort;
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    if (!session.inputNames.includes(card.input.name)) throw new Error(`${modelPath} has no input "${card.input.name}" (it has ${session.inputNames.join(', ')}); the card does not match the model`);
    if (!session.outputNames.includes(card.output.name)) throw new Error(`${modelPath} has no output "${card.output.name}" (it has ${session.outputNames.join(', ')}); the card does not match the model`);
    return new EmotionRunner(ort, session, card);
  }

  /** One utterance (8 kHz s16le samples) → a reading, or undefined when it is too short to judge. */
  async infer(samples8k: Int16Array): Promise<EmotionReading | undefined> {
    const { Tensor } = this.ort;
    const i = this.card.input;
    let input: InstanceType<Ort['Tensor']>;
    if (i.kind === 'prosody') {
      if (samples8k.length < 8000 * 0.25) return undefined;
      const f = prosody(samples8k);
      input = new Tensor('float32', Float32Array.from(i.features.map((n) => f[n as ProsodyFeature])), [1, i.features.length]);
    } else {
      if (samples8k.length < 8000 * (i.min_seconds ?? 0.25)) return undefined;
      let s = i.sample_rate === 8000 ? samples8k : resample(samples8k, 8000, i.sample_rate);
      const max = Math.round((i.max_seconds ?? 10) * i.sample_rate);
      if (s.length > max) s = s.subarray(s.length - max);
      const x = new Float32Array(s.length);
      for (let k = 0; k < s.length; k++) x[k] = s[k]! / 32768;
      input = new Tensor('float32', x, [1, x.length]);
    }
    const r = await this.session.run({ [i.name]: input });
    return this.reading(Array.from(r[this.card.output.name]!.data as Float32Array));
  }

  private reading(v: number[]): EmotionReading {
    const o = this.card.output;
    const neg = this.card.negative;
    const scores: Record<string, number> = {};
    let label: string;
    let arousal: number | undefined;
    let valence: number | undefined;
    if (o.kind === 'categorical') {
      const p = o.softmax ? softmax(v) : v;
      o.labels.forEach((l, k) => (scores[l] = clamp01(p[k] ?? 0)));
      label = o.labels.reduce((best, l) => (scores[l]! > scores[best]! ? l : best), o.labels[0]!);
    } else if (o.kind === 'arousal') {
      arousal = clamp01(v[0] ?? 0);
      label = o.label ?? 'arousal';
      scores[label] = arousal;
    } else {
      arousal = clamp01(v[0] ?? 0);
      valence = clamp01(v[1] ?? 0.5);
      label = valence < 0.5 ? 'negative' : 'positive';
    }
    if (arousal !== undefined) scores['arousal'] = arousal;
    if (valence !== undefined) scores['valence'] = valence;
    let negative = 0;
    if (neg?.labels) negative = neg.labels.reduce((s, l) => s + (scores[l] ?? 0), 0);
    else if (neg?.from === 'arousal') negative = arousal ?? 0;
    else if (neg?.from === 'valence' && valence !== undefined) negative = 1 - valence;
    scores['negative'] = clamp01(negative);
    return { label, score: scores[label] ?? 0, scores, ...(arousal !== undefined ? { arousal } : {}), ...(valence !== undefined ? { valence } : {}) };
  }
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
