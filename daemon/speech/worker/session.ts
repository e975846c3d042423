import { resample, upsample8to16 } from '../../../drivers/audio/resample.js';
import type { EmotionRunner } from '../emotion/runner.js';
import { Endpointer } from '../vad/endpointer.js';
import { EnergyVad } from '../vad/energy.js';
import type { Vad } from '../vad/vad.js';
import type { VadSettings, SpeechEvent } from './protocol.js';
import type { VoskModel, VoskRecognizer } from './vosk.js';

export interface SessionDeps {
  vad: Vad;
  settings: VadSettings;
  model?: VoskModel;
  grammar?: string[];
  emotion?: EmotionRunner;
  emit(ev: SpeechEvent): void;
  warn(msg: string, data?: Record<string, unknown>): void;
}

const PARTIAL_EVERY_MS = 300;
const MAX_UTTERANCE_S = 15;

/**
 * One call's speech in the worker: VAD windows → endpointer; while the caller speaks, audio goes
 * to the call's own Vosk recognizer (at the model's rate) and into a buffer for the emotion
 * model. A short pre-roll is kept so the recogniser hears the word onset the VAD needed to decide.
 */
export class CallSession {
  private vad: Vad;
  private readonly ep: Endpointer;
  private rec: VoskRecognizer | undefined;
  private grammar: string[] | undefined;
  private pendingGrammar: string[] | null | undefined;
  private buf = new Int16Array(0);
  private readonly preroll: Int16Array[] = [];
  private prerollSamples = 0;
  private readonly prerollMax: number;
  private utt: Int16Array[] = [];
  private uttSamples = 0;
  private uttNo = 0;
  private lastPartial = '';
  private sincePartial = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly d: SessionDeps) {
    this.vad = d.vad;
    this.grammar = d.grammar;
    this.ep = new Endpointer({ windowMs: (this.vad.windowSamples / 8000) * 1000, threshold: this.vad.name === 'energy' ? 0.5 : d.settings.threshold, startMs: d.settings.startMs, endSilenceMs: d.settings.endSilenceMs, bargeInMs: d.settings.bargeInMs, maxMs: MAX_UTTERANCE_S * 1000 });
    this.prerollMax = Math.round(((d.settings.startMs + 300) / 1000) * 8000);
    this.rec = this.newRecognizer();
  }

  get asr(): boolean {
    return this.rec !== undefined;
  }

  private newRecognizer(): VoskRecognizer | undefined {
    if (!this.d.model) return undefined;
    try {
      return this.d.model.recognizer(this.grammar);
    } catch (err) {
      this.d.warn('could not create a recognizer', { err: String(err) });
      return undefined;
    }
  }

  /** Audio in (8 kHz s16le); processed in order, one batch after the other. */
  audio(pcm: Uint8Array): Promise<void> {
    const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.byteLength & ~1)));
    this.chain = this.chain.then(() => this.process(samples)).catch((err: unknown) => this.d.warn('speech processing failed', { err: String(err) }));
    return this.chain;
  }

  setGrammar(g: string[] | null): void {
    this.pendingGrammar = g;
    if (!this.ep.inSpeech) this.applyGrammar();
  }

  private applyGrammar(): void {
    if (this.pendingGrammar === undefined) return;
    this.grammar = this.pendingGrammar ?? undefined;
    this.pendingGrammar = undefined;
    this.rec?.free();
    this.rec = this.newRecognizer();
  }

  private async process(samples: Int16Array): Promise<void> {
    if (this.closed) return;
    const merged = new Int16Array(this.buf.length + samples.length);
    merged.set(this.buf);
    merged.set(samples, this.buf.length);
    const W = this.vad.windowSamples;
    let off = 0;
    while (merged.length - off >= W && !this.closed) {
      const win = merged.slice(off, off + W);
      off += W;
      let p: number;
      try {
        p = await this.vad.process(win);
      } catch (err) {
        // Silero failing mid-call: carry on with the energy detector rather than going deaf.
        this.d.warn('VAD failed; this call continues with the energy VAD', { err: String(err) });
        this.vad = new EnergyVad({ windowSamples: this.vad.windowSamples });
        this.buf = merged.slice(off);
        return;
      }
      const wasSpeaking = this.ep.inSpeech;
      const evs = this.ep.push(p);
      if (evs.some((e) => e.kind === 'start')) {
        this.uttNo++;
        // The pre-roll holds the run the VAD needed before deciding: it belongs to the utterance.
        for (const x of this.preroll.splice(0)) this.take(x);
        this.prerollSamples = 0;
        this.take(win);
      } else if (wasSpeaking) this.take(win);
      else this.remember(win);
      for (const ev of evs) {
        if (ev.kind === 'start') this.d.emit({ kind: 'speech-start', utt: this.uttNo, atMs: ev.atMs });
        else if (ev.kind === 'barge-in') this.d.emit({ kind: 'barge-in', utt: this.uttNo });
        else await this.finish(ev.durationMs);
      }
    }
    this.buf = merged.slice(off);
  }

  private remember(win: Int16Array): void {
    this.preroll.push(win);
    this.prerollSamples += win.length;
    while (this.prerollSamples - (this.preroll[0]?.length ?? 0) >= this.prerollMax) this.prerollSamples -= this.preroll.shift()!.length;
  }

  private take(win: Int16Array): void {
    if (this.uttSamples < MAX_UTTERANCE_S * 8000) {
      this.utt.push(win);
      this.uttSamples += win.length;
    }
    if (!this.rec || !this.d.model) return;
    const rate = this.d.model.sampleRate;
    const s = rate === 16000 ? upsample8to16(win) : rate === 8000 ? win : resample(win, 8000, rate);
    this.rec.accept(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
    this.sincePartial += (win.length / 8000) * 1000;
    if (this.sincePartial >= PARTIAL_EVERY_MS) {
      this.sincePartial = 0;
      const text = this.rec.partial();
      if (text && text !== this.lastPartial) {
        this.lastPartial = text;
        this.d.emit({ kind: 'partial', utt: this.uttNo, text });
      }
    }
  }

  private async finish(durationMs: number): Promise<void> {
    const audio = new Int16Array(this.uttSamples);
    let o = 0;
    for (const x of this.utt) {
      audio.set(x, o);
      o += x.length;
    }
    this.utt = [];
    this.uttSamples = 0;
    this.lastPartial = '';
    this.sincePartial = 0;
    const utt = this.uttNo;
    const final = this.rec?.final();
    let emotion;
    try {
      emotion = await this.d.emotion?.infer(audio);
    } catch (err) {
      this.d.warn('emotion inference failed', { err: String(err) });
    }
    this.d.emit({ kind: 'utterance', utt, durationMs, ...(final ? { text: final.text, confidence: final.confidence } : {}), ...(emotion ? { emotion } : {}) });
    this.applyGrammar();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    this.rec?.free();
    this.rec = undefined;
  }
}
