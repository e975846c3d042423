import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Vosk through vosk-koffi. vosk-koffi loads `bin-<platform>-<arch>/libvosk.so` beside itself when it
 * is imported; its own postinstall would download that library from the internet (and fails on an
 * offline installer machine), so scripts/setup.sh puts it there from the `vosk` npm tarball instead.
 * We check the file first so a missing library is a clear message, not an import crash. This module
 * is only ever loaded in the speech worker: a Kaldi fatal error aborts the process that runs it.
 */

const require = createRequire(import.meta.url);

type VoskKoffi = typeof import('vosk-koffi');
type KoffiModel = InstanceType<VoskKoffi['Model']>;
type KoffiRecognizer = InstanceType<VoskKoffi['Recognizer']>;

/** Where vosk-koffi loads libvosk from. */
export function libvoskPath(): string {
  // vosk-koffi exports only its entry (lib/index.js); the library sits one level up from it.
  const entry = require.resolve('vosk-koffi');
  return join(dirname(entry), '..', `bin-${process.platform}-${process.arch}`, process.platform === 'darwin' ? 'libvosk.dylib' : 'libvosk.so');
}

export class Libvosk {
  private constructor(
    readonly path: string,
    private readonly vosk: VoskKoffi,
  ) {}

  /** Load libvosk through vosk-koffi, or throw an error that says how to get it. */
  static async load(): Promise<Libvosk> {
    let path: string;
    try {
      path = libvoskPath();
    } catch {
      throw new Error('vosk-koffi is not installed; run scripts/setup.sh');
    }
    if (!existsSync(path)) throw new Error(`libvosk not found at ${path}; run scripts/setup.sh (it takes the library from the vosk npm package)`);
    const vosk = (await import('vosk-koffi')) as VoskKoffi;
    // Kaldi's LOG lines go to stderr; keep warnings and errors only.
    vosk.setLogLevel(-1);
    return new Libvosk(path, vosk);
  }

/**
   * Load a model directory. Checked first for the files every Vosk model has, because handing
   * Kaldi a half-extracted directory can end in a fatal error (process abort) rather than NULL.
   */
  model(dir: string): VoskModel {
    const problem = checkModelDir(dir);
    if (problem) throw new Error(problem);
    const model = new this.vosk.Model(dir);
    if (!model.handle) throw new Error(`libvosk could not load the model in ${dir}`);
    return new VoskModel(this.vosk, model, modelSampleRate(dir));
  }
}

/** Why a directory is not a usable Vosk model, or undefined when it looks like one. */
export function checkModelDir(dir: string): string | undefined {
  if (!existsSync(dir)) return `Vosk model directory ${dir} does not exist (install one with scripts/fetch-models, or copy it there)`;
  const need = [['am/final.mdl', 'final.mdl'], ['conf/mfcc.conf', 'mfcc.conf']];
  for (const alts of need) {
    if (!alts.some((f) => existsSync(join(dir, f)))) return `${dir} is not a complete Vosk model: ${alts[0]} is missing`;
  }
  if (!['graph/HCLG.fst', 'graph/HCLr.fst', 'HCLG.fst', 'HCLr.fst'].some((f) => existsSync(join(dir, f)))) return `${dir} is not a complete Vosk model: no graph (graph/HCLG.fst or graph/HCLr.fst)`;
  return undefined;
}

/** The model's sample rate from conf/mfcc.conf (--sample-frequency), 16000 when not stated. */
export function modelSampleRate(dir: string): number {
  for (const f of ['conf/mfcc.conf', 'mfcc.conf']) {
    try {
      const m = /--sample-frequency\s*=\s*(\d+)/.exec(readFileSync(join(dir, f), 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      /* try the next */
    }
  }
  return 16000;
}

export class VoskModel {
  constructor(
    private readonly vosk: VoskKoffi,
    private readonly model: KoffiModel,
    readonly sampleRate: number,
  ) {}

  /** A recognizer; with a grammar, only those phrases (plus "[unk]") can come out. */
  recognizer(grammar?: readonly string[]): VoskRecognizer {
    const rec = grammar && grammar.length > 0 ? new this.vosk.Recognizer({ model: this.model, sampleRate: this.sampleRate, grammar: [...grammar, '[unk]'] }) : new this.vosk.Recognizer({ model: this.model, sampleRate: this.sampleRate });
    if (!(rec as unknown as { handle: unknown }).handle) throw new Error('libvosk could not create a recognizer'); // vosk-koffi keeps the handle private and does not check it
    rec.setWords(true);
    return new VoskRecognizer(rec);
  }

  free(): void {
    this.model.free();
  }
}

export interface VoskResult {
  text: string;
  /** Mean word confidence (0..1) when words are reported. */
  confidence: number;
}

export class VoskRecognizer {
  private freed = false;
  constructor(private readonly rec: KoffiRecognizer) {}

  /** Feed s16le PCM at the model's rate; true when Vosk itself found an endpoint. */
  accept(pcm: Buffer): boolean {
    return this.rec.acceptWaveform(pcm);
  }

  partial(): string {
    const r = this.rec.partialResult() as { partial?: string } | null;
    return r?.partial ?? '';
  }

  /** The utterance so far as final, resetting the recognizer for the next one. */
  final(): VoskResult {
    const r = this.rec.finalResult() as { text?: string; result?: { conf?: number }[] } | null;
    const words = r?.result ?? [];
    const confidence = words.length > 0 ? words.reduce((s, w) => s + (w.conf ?? 1), 0) / words.length : 0;
    return { text: (r?.text ?? '').trim(), confidence };
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.rec.free();
  }
}
