import type { ModelCard } from './card.js';
import { buildOnnx } from './onnx-writer.js';
import type { ProsodyFeature } from './prosody.js';

/**
 * The shipped baseline emotion model: a logistic arousal estimator over six prosody features,
 * arousal = sigmoid(Σ w·(x − mean)/scale). The weights are hand-set from the direction the speech
 * literature agrees on (louder, higher and faster speech is more aroused), and the means/scales
 * were measured on espeak-ng renderings of zh and en sentences at calm/normal/loud settings. It has
 * NOT been trained or validated on human emotional speech: it estimates arousal only, cannot tell
 * anger from excitement, and serves as a working default until a real model is dropped in.
 */
const FEATURES: { name: ProsodyFeature; mean: number; scale: number; weight: number }[] = [
  { name: 'level_db', mean: -25, scale: 6, weight: 1.0 },
  { name: 'level_std_db', mean: 7.5, scale: 2, weight: 0.1 },
  { name: 'pitch_st', mean: 1, scale: 4, weight: 0.5 },
  { name: 'pitch_std_st', mean: 5, scale: 3, weight: 0.1 },
  { name: 'rate_hz', mean: 5.5, scale: 1.5, weight: 0.8 },
  { name: 'brightness', mean: 0.13, scale: 0.05, weight: 0.2 },
];

export function baselineModel(): { onnx: Buffer; card: ModelCard } {
  const n = FEATURES.length;
  const onnx = buildOnnx({
    name: 'emotion-baseline',
    producer: 'frontdesk scripts/build-emotion-model',
    docString: 'Prosody-feature logistic arousal estimator (hand-set weights; see models/README.md).',
    inputs: [{ name: 'features', dims: [1, n] }],
    outputs: [{ name: 'arousal', dims: [1, 1] }],
    initializers: [
      { name: 'mean', dims: [n], data: FEATURES.map((f) => f.mean) },
      { name: 'inv_scale', dims: [n], data: FEATURES.map((f) => 1 / f.scale) },
      { name: 'w', dims: [n, 1], data: FEATURES.map((f) => f.weight) },
      { name: 'b', dims: [1], data: [0] },
    ],
    nodes: [
      { op: 'Sub', inputs: ['features', 'mean'], outputs: ['centred'] },
      { op: 'Mul', inputs: ['centred', 'inv_scale'], outputs: ['z'] },
      { op: 'MatMul', inputs: ['z', 'w'], outputs: ['logit0'] },
      { op: 'Add', inputs: ['logit0', 'b'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['arousal'] },
    ],
  });
  const card: ModelCard = {
    name: 'emotion-baseline',
    description:
      'Baseline arousal estimator: logistic regression over prosody features with hand-set weights, calibrated on espeak-ng speech. Not trained on human emotional speech; high arousal is used as a proxy for agitation. Replace with a real speech-emotion model for production use.',
    input: { name: 'features', kind: 'prosody', features: FEATURES.map((f) => f.name) },
    output: { name: 'arousal', kind: 'arousal', label: 'agitated' },
    negative: { from: 'arousal' },
  };
  return { onnx, card };
}
