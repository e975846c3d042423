/**
 * The speech worker process (forked by daemon/speech/supervisor.ts with an IPC channel). It owns
 * everything that can crash or stall: onnxruntime (Silero VAD, emotion) and libvosk (a Kaldi fatal
 * error aborts the whole process). The daemon restarts it; calls never depend on it being up.
 */
import { EmotionRunner } from '../emotion/runner.js';
import { EnergyVad } from '../vad/energy.js';
import { SileroModel } from '../vad/silero.js';
import type { Vad } from '../vad/vad.js';
import type { FromWorker, ToWorker, WorkerSettings, WorkerStatus } from './protocol.js';
import { CallSession } from './session.js';
import { Libvosk, type VoskModel } from './vosk.js';

function send(m: FromWorker): void {
  process.send?.(m);
}
function log(level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>): void {
  send({ t: 'log', level, msg, ...(data ? { data } : {}) });
}

let settings: WorkerSettings | undefined;
let silero: SileroModel | undefined;
let emotion: EmotionRunner | undefined;
const models = new Map<string, VoskModel>();
const sessions = new Map<string, CallSession>();
/** Messages that arrive while init is still loading models. */
let ready: Promise<void> | undefined;

/** The model for a call's language: exact tag, then its primary subtag ('zh-CN' → 'zh'). */
function modelFor(lang: string): VoskModel | undefined {
  return models.get(lang) ?? models.get(lang.split('-')[0]!) ?? [...models.entries()].find(([k]) => k.split('-')[0] === lang.split('-')[0])?.[1];
}

async function init(s: WorkerSettings): Promise<void> {
  settings = s;
  const status: WorkerStatus = { pid: process.pid, vad: 'energy', libvosk: 'not needed', asr: {}, emotion: 'disabled' };
  if (s.vad.engine === 'silero') {
    try {
      silero = await SileroModel.load(s.sileroModel);
      status.vad = 'silero';
    } catch (err) {
      status.vadProblem = `Silero VAD unavailable, using the energy VAD: ${(err as Error).message}`;
      log('warn', status.vadProblem);
    }
  }
  const langs = Object.entries(s.asrModels);
  if (langs.length > 0) {
    let lib: Libvosk | undefined;
    try {
      lib = await Libvosk.load();
      status.libvosk = 'loaded';
      log('info', 'libvosk loaded', { path: lib.path });
    } catch (err) {
      status.libvosk = (err as Error).message;
      for (const [lang] of langs) status.asr[lang] = `libvosk not loaded: ${status.libvosk}`;
    }
    for (const [lang, dir] of langs) {
      if (!lib) break;
      try {
        send({ t: 'loading', what: 'asr', lang, path: dir });
        models.set(lang, lib.model(dir));
        status.asr[lang] = 'ok';
      } catch (err) {
        status.asr[lang] = (err as Error).message;
      }
    }
  }
  if (s.emotionModel) {
    try {
      emotion = await EmotionRunner.load(s.emotionModel);
      status.emotion = 'ok';
    } catch (err) {
      status.emotion = (err as Error).message;
    }
  }
  send({ t: 'ready', status });
}

function vadFor(): Vad {
  return silero ? silero.vad() : new EnergyVad();
}

async function handle(m: ToWorker): Promise<void> {
  if (m.t === 'init') {
    ready = init(m.settings);
    return ready;
  }
  if (m.t === 'ping') {
    send({ t: 'pong', id: m.id });
    return;
  }
  await ready;
  if (!settings) return;
  switch (m.t) {
    case 'open': {
      await sessions.get(m.callId)?.close();
      const model = modelFor(m.lang);
      const session = new CallSession({
        vad: vadFor(),
        settings: settings.vad,
        ...(model ? { model } : {}),
        ...(m.grammar ? { grammar: m.grammar } : {}),
        ...(emotion ? { emotion } : {}),
        emit: (ev) => send({ t: 'event', callId: m.callId, ev }),
        warn: (msg, data) => log('warn', msg, { callId: m.callId, ...data }),
      });
      sessions.set(m.callId, session);
      send({ t: 'opened', callId: m.callId, asr: session.asr });
      return;
    }
    case 'audio':
      await sessions.get(m.callId)?.audio(m.pcm);
      return;
    case 'grammar':
      sessions.get(m.callId)?.setGrammar(m.grammar);
      return;
    case 'close': {
      const s = sessions.get(m.callId);
      sessions.delete(m.callId);
      await s?.close();
      return;
    }
  }
}

process.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) => log('error', 'speech worker message failed', { err: String(err), type: m.t }));
});
// The daemon went away (or closed the channel to stop us): nothing left to serve.
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  log('error', 'speech worker crashed', { err: String(err), stack: err.stack });
  process.exit(70);
});
