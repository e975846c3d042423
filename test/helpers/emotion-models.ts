import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelCard } from '../../daemon/speech/emotion/card.js';
import { buildOnnx } from '../../daemon/speech/emotion/onnx-writer.js';

/**
 * A second, differently shaped emotion model for tests: raw 16 kHz waveform in, four categorical
 * labels out (softmax inside the graph). It only measures loudness: mean power above ~-40 dBFS
 * reads "angry". Useful to drive the handoff policy deterministically, nothing more.
 */
export async function writeLoudIsAngryModel(dir: string): Promise<string> {
  const onnx = buildOnnx({
    name: 'loud-is-angry',
    inputs: [{ name: 'audio', dims: [1, 'samples'] }],
    outputs: [{ name: 'probs', dims: [1, 4] }],
    initializers: [
      { name: 'w', dims: [1, 4], data: [0, 0, 0, 20000] },
      { name: 'b', dims: [4], data: [2, 0, 0, 0] },
    ],
    nodes: [
      { op: 'Mul', inputs: ['audio', 'audio'], outputs: ['sq'] },
      { op: 'ReduceMean', inputs: ['sq'], outputs: ['power'], attrs: [{ name: 'axes', ints: [1] }, { name: 'keepdims', int: 1 }] },
      { op: 'MatMul', inputs: ['power', 'w'], outputs: ['l0'] },
      { op: 'Add', inputs: ['l0', 'b'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attrs: [{ name: 'axis', int: -1 }] },
    ],
  });
  const card: ModelCard = {
    name: 'loud-is-angry',
    description: 'Test model: loudness → angry.',
    input: { name: 'audio', kind: 'waveform', sample_rate: 16000, max_seconds: 8 },
    output: { name: 'probs', kind: 'categorical', labels: ['neutral', 'happy', 'sad', 'angry'] },
    negative: { labels: ['angry'] },
  };
  const path = join(dir, 'loud-is-angry.onnx');
  await writeFile(path, onnx);
  await writeFile(join(dir, 'loud-is-angry.json'), JSON.stringify(card, null, 2));
  return path;
}
