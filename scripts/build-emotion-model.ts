import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineModel } from '../daemon/speech/emotion/baseline.js';

/**
 * Builds models/emotion-baseline.onnx and its model card from daemon/speech/emotion/baseline.ts.
 * Usage: node dist/scripts/build-emotion-model.js [outDir]   (default: the repo's models/)
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = resolve(process.argv[2] ?? join(here, '..', '..', 'models'));
const { onnx, card } = baselineModel();
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'emotion-baseline.onnx'), onnx);
await writeFile(join(outDir, 'emotion-baseline.json'), JSON.stringify(card, null, 2) + '\n');
console.log(`wrote ${join(outDir, 'emotion-baseline.onnx')} (${onnx.length} bytes) and its model card`);
