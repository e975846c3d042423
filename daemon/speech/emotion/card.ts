import { readFile } from 'node:fs/promises';

/**
 * A model card: what an emotion model takes and gives, so a real speech-emotion model can be
 * dropped in by configuration (speech.emotion.model → <file>.onnx with <file>.json beside it).
 *
 * input.kind
 *   "prosody"  — a [1, n] float vector of the named prosody features (emotion/prosody.ts), in order
 *   "waveform" — raw audio as floats in -1..1 at input.sample_rate, shape [1, samples]
 * output.kind
 *   "arousal"         — one value 0..1 (output.label names the reading, e.g. "agitated")
 *   "categorical"     — one score per label (output.softmax: the values are logits)
 *   "arousal_valence" — two values [arousal, valence], each 0..1
 * negative: which part of the reading counts as negative emotion for the handoff policy: labels
 *   (categorical), or "arousal" (a proxy, and only that), or "valence" (1 - valence).
 */
export interface ModelCard {
  name: string;
  description?: string;
  input: { name: string; kind: 'prosody'; features: string[] } | { name: string; kind: 'waveform'; sample_rate: number; max_seconds?: number; min_seconds?: number };
  output: { name: string; kind: 'arousal'; label?: string } | { name: string; kind: 'categorical'; labels: string[]; softmax?: boolean } | { name: string; kind: 'arousal_valence' };
  negative?: { labels?: string[]; from?: 'arousal' | 'valence' };
}

export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}

export async function readCard(path: string): Promise<ModelCard> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`emotion model card ${path}: ${(err as Error).message}`);
  }
  const problem = checkCard(raw);
  if (problem) throw new Error(`emotion model card ${path}: ${problem}`);
  return raw as ModelCard;
}

/** What is wrong with a card, or undefined. */
export function checkCard(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null) return 'not a JSON object';
  const o = c as Record<string, Record<string, unknown> | undefined>;
  if (typeof o['name'] !== 'string') return 'name missing';
  const i = o['input'];
  const out = o['output'];
  if (!i || typeof i['name'] !== 'string') return 'input.name missing';
  if (i['kind'] === 'prosody') {
    if (!Array.isArray(i['features']) || i['features'].length === 0) return 'input.features must list prosody features';
  } else if (i['kind'] === 'waveform') {
    if (typeof i['sample_rate'] !== 'number') return 'input.sample_rate missing';
  } else return 'input.kind must be "prosody" or "waveform"';
  if (!out || typeof out['name'] !== 'string') return 'output.name missing';
  if (out['kind'] === 'categorical') {
    if (!Array.isArray(out['labels']) || out['labels'].length === 0) return 'output.labels missing';
  } else if (out['kind'] !== 'arousal' && out['kind'] !== 'arousal_valence') return 'output.kind must be "arousal", "categorical" or "arousal_valence"';
  return undefined;
}
