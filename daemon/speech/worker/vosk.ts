import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { KoffiFunction } from 'koffi';

/**
 * libvosk through koffi, with the same C entry points vosk-koffi binds. We bind them ourselves
 * because vosk-koffi's module loads `bin-<platform>-<arch>/libvosk.so` beside itself at import time
 * (put there by its postinstall, which downloads from the internet and so fails on an offline
 * installer machine); here the library is looked up where scripts/setup.sh puts it (extracted from
 * the `vosk` npm tarball), where vosk-koffi would have it, or at an explicit path. This module is
 * only ever loaded in the speech worker: a Kaldi fatal error aborts the process that runs it.
 */

const require = createRequire(import.meta.url);

/** Where libvosk.so may be, in order. */
export function libvoskCandidates(explicit?: string): string[] {
  const out: string[] = [];
  if (explicit) out.push(explicit);
  if (process.env['FRONTDESK_LIBVOSK']) out.push(process.env['FRONTDESK_LIBVOSK']);
  let nodeModules: string | undefined;
  try {
    // koffi always sits in the same node_modules as our other dependencies.
    nodeModules = resolve(dirname(require.resolve('koffi')), '..');
  } catch {
    /* no koffi: load() reports it */
  }
  if (nodeModules) {
    out.push(join(nodeModules, '.frontdesk-vosk', 'libvosk.so'));
    out.push(join(nodeModules, 'vosk-koffi', `bin-${process.platform}-${process.arch}`, 'libvosk.so'));
  }
  return out;
}

interface Lib {
  setLogLevel: KoffiFunction;
  modelNew: KoffiFunction;
  modelFree: KoffiFunction;
  recognizerNew: KoffiFunction;
  recognizerNewGrm: KoffiFunction;
  recognizerFree: KoffiFunction;
  setWords: KoffiFunction;
  acceptWaveform: KoffiFunction;
  result: KoffiFunction;
  partialResult: KoffiFunction;
  finalResult: KoffiFunction;
  reset: KoffiFunction;
}

export class Libvosk {
  private constructor(
    readonly path: string,
    private readonly lib: Lib,
  ) {}

  /** Load libvosk, or throw an error naming every place looked at. */
  static async load(explicit?: string): Promise<Libvosk> {
    const candidates = libvoskCandidates(explicit);
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new Error(`libvosk.so not found (looked at ${candidates.join(', ')}); run scripts/setup.sh`);
    const koffi = (await import('koffi')).default;
    const l = koffi.load(path);
    const lib: Lib = {
      setLogLevel: l.func('void vosk_set_log_level(int log_level)'),
      modelNew: l.func('void *vosk_model_new(const char *model_path)'),
      modelFree: l.func('void vosk_model_free(void *model)'),
      recognizerNew: l.func('void *vosk_recognizer_new(void *model, float sample_rate)'),
      recognizerNewGrm: l.func('void *vosk_recognizer_new_grm(void *model, float sample_rate, const char *grammar)'),
      recognizerFree: l.func('void vosk_recognizer_free(void *recognizer)'),
      setWords: l.func('void vosk_recognizer_set_words(void *recognizer, int words)'),
      acceptWaveform: l.func('int vosk_recognizer_accept_waveform(void *recognizer, const char *data, int length)'),
      result: l.func('const char *vosk_recognizer_result(void *recognizer)'),
      partialResult: l.func('const char *vosk_recognizer_partial_result(void *recognizer)'),
      finalResult: l.func('const char *vosk_recognizer_final_result(void *recognizer)'),
      reset: l.func('void vosk_recognizer_reset(void *recognizer)'),
    };
    // Kaldi's LOG lines go to stderr; keep warnings and errors only.
    lib.setLogLevel(-1);
    return new Libvosk(path, lib);
  }

  /**
   * Load a model directory. Checked first for the files every Vosk model has, because handing
   * Kaldi a half-extracted directory can end in a fatal error (process abort) rather than NULL.
   */
  model(dir: string): VoskModel {
    const problem = checkModelDir(dir);
    if (problem) throw new Error(problem);
    const handle: unknown = this.lib.modelNew(dir);
    if (!handle) throw new Error(`libvosk could not load the model in ${dir}`);
    return new VoskModel(this.lib, handle, modelSampleRate(dir));
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
    private readonly lib: Lib,
    readonly handle: unknown,
    readonly sampleRate: number,
  ) {}

  /** A recognizer; with a grammar, only those phrases (plus "[unk]") can come out. */
  recognizer(grammar?: readonly string[]): VoskRecognizer {
    const h: unknown = grammar && grammar.length > 0 ? this.lib.recognizerNewGrm(this.handle, this.sampleRate, JSON.stringify([...grammar, '[unk]'])) : this.lib.recognizerNew(this.handle, this.sampleRate);
    if (!h) throw new Error('libvosk could not create a recognizer');
    this.lib.setWords(h, 1);
    return new VoskRecognizer(this.lib, h);
  }

  free(): void {
    this.lib.modelFree(this.handle);
  }
}

export interface VoskResult {
  text: string;
  /** Mean word confidence (0..1) when words are reported. */
  confidence: number;
}

export class VoskRecognizer {
  private freed = false;
  constructor(
    private readonly lib: Lib,
    private readonly handle: unknown,
  ) {}

  /** Feed s16le PCM at the model's rate; true when Vosk itself found an endpoint. */
  accept(pcm: Buffer): boolean {
    return Boolean(this.lib.acceptWaveform(this.handle, pcm, pcm.length));
  }

  partial(): string {
    const r = JSON.parse(String(this.lib.partialResult(this.handle) ?? 'null')) as { partial?: string } | null;
    return r?.partial ?? '';
  }

  /** The utterance so far as final, resetting the recognizer for the next one. */
  final(): VoskResult {
    const r = JSON.parse(String(this.lib.finalResult(this.handle) ?? 'null')) as { text?: string; result?: { conf?: number }[] } | null;
    const words = r?.result ?? [];
    const confidence = words.length > 0 ? words.reduce((s, w) => s + (w.conf ?? 1), 0) / words.length : 0;
    return { text: (r?.text ?? '').trim(), confidence };
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.lib.recognizerFree(this.handle);
  }
}
