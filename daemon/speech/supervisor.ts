import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { EmotionReading, FromWorker, SpeechEvent, ToWorker, WorkerSettings, WorkerStatus } from './worker/protocol.js';

/**
 * The daemon's side of the speech worker: forks it, restarts it with backoff when it dies or stops
 * answering pings, raises and clears the 'speech-worker-down' alarm, and gives each call a
 * SpeechStream. While the worker is down a stream simply hears nothing, so calls continue on DTMF;
 * when it is back, live streams are reopened and speech resumes mid-call.
 */

export interface Utterance {
  utt: number;
  durationMs: number;
  text?: string;
  confidence?: number;
  emotion?: EmotionReading;
}

export interface SpeechStreamEvents {
  'speech-start': [atMs: number];
  'barge-in': [];
  partial: [text: string];
  utterance: [u: Utterance];
}

/** What the call core needs from speech: a stream per call, or nothing when speech is off. */
export interface SpeechService {
  open(callId: string, lang: string, grammar?: string[]): SpeechStream | undefined;
}

const BATCH_FRAMES = 5; // 100 ms of 20 ms frames per IPC message

export class SpeechStream extends EventEmitter<SpeechStreamEvents> {
  /** Whether this call's audio is transcribed (a model for its language is loaded). */
  asr = false;
  private batch: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly sup: SpeechSupervisor,
    readonly callId: string,
    readonly lang: string,
    public grammar: string[] | undefined,
  ) {
    super();
  }

  /** Whether the worker is up (speech can be heard at all). */
  get live(): boolean {
    return !this.closed && this.sup.up;
  }

  /** One 20 ms caller frame. Cheap: batched, and dropped while the worker is down. */
  write(frame: Buffer): void {
    if (this.closed) return;
    if (!this.sup.up) {
      this.batch.length = 0;
      return;
    }
    this.batch.push(frame);
    if (this.batch.length >= BATCH_FRAMES) {
      const pcm = Buffer.concat(this.batch);
      this.batch = [];
      this.sup.send({ t: 'audio', callId: this.callId, pcm: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength) });
    }
  }

  /** Restrict recognition to these phrases (null: open vocabulary again). */
  setGrammar(phrases: string[] | null): void {
    const same = JSON.stringify(phrases ?? null) === JSON.stringify(this.grammar ?? null);
    if (same) return;
    this.grammar = phrases ?? undefined;
    this.sup.send({ t: 'grammar', callId: this.callId, grammar: phrases });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sup.send({ t: 'close', callId: this.callId });
    this.sup.forget(this);
    this.removeAllListeners();
  }

  /** @internal */
  deliver(ev: SpeechEvent): void {
    if (this.closed) return;
    if (ev.kind === 'speech-start') this.emit('speech-start', ev.atMs);
    else if (ev.kind === 'barge-in') this.emit('barge-in');
    else if (ev.kind === 'partial') this.emit('partial', ev.text);
    else {
      const { kind: _k, ...u } = ev;
      this.emit('utterance', u);
    }
  }
}

export interface SupervisorOptions {
  settings: WorkerSettings;
  log: Logger;
  bus?: Bus;
  /** The worker entry (default: worker/worker-main.js beside this file). */
  workerPath?: string;
  /** Restart backoff, ms: doubles from min to max, reset after a worker has been up for a minute. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Ping interval and how long without a pong counts as hung. Defaults 5 s / 20 s. */
  pingEveryMs?: number;
  hungAfterMs?: number;
}

const ALARM = 'speech-worker-down';

export class SpeechSupervisor implements SpeechService {
  private child: ChildProcess | undefined;
  private ready = false;
  private stopping = false;
  private backoff: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastPong = 0;
  private pingId = 0;
  private readonly pongWaiters = new Map<number, (ms: number) => void>();
  private readonly streams = new Map<string, SpeechStream>();
  private upSince = 0;
  private loading: { lang: string; path: string } | undefined;
  /** Models that crashed the worker while loading: left out until the config changes. */
  private readonly broken = new Map<string, string>();
  private readonly alarms = new Map<string, boolean>();
  private settings: WorkerSettings;
  private readonly readyWaiters: (() => void)[] = [];
  status: WorkerStatus | undefined;
  restarts = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.settings = o.settings;
    this.backoff = o.backoffMinMs ?? 500;
  }

  get up(): boolean {
    return this.ready;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.stopping = false;
    this.spawn();
  }

  /** Resolves when a worker is ready (at once if one is). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Apply new settings: the worker restarts with them (calls reopen their streams). */
  reconfigure(settings: WorkerSettings): void {
    if (JSON.stringify(settings) === JSON.stringify(this.settings)) return;
    this.settings = settings;
    this.broken.clear();
    this.o.log.info('speech settings changed; restarting the speech worker');
    this.child?.kill('SIGTERM');
  }

  open(callId: string, lang: string, grammar?: string[]): SpeechStream {
    const s = new SpeechStream(this, callId, lang, grammar);
    this.streams.set(callId, s);
    if (this.ready) this.send({ t: 'open', callId, lang, ...(grammar ? { grammar } : {}) });
    return s;
  }

  /** Round-trip time of one ping, ms (for benchmarks and health). */
  ping(): Promise<number> {
    const id = ++this.pingId;
    const t0 = performance.now();
    return new Promise((resolve) => {
      this.pongWaiters.set(id, () => resolve(performance.now() - t0));
      this.send({ t: 'ping', id });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.pingTimer);
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.disconnect?.(); // the worker exits on disconnect
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  /** @internal */
  send(m: ToWorker): void {
    const c = this.child;
    if (!c || !c.connected) return;
    try {
      c.send(m);
    } catch {
      /* the exit handler deals with a dead worker */
    }
  }

  /** @internal */
  forget(s: SpeechStream): void {
    if (this.streams.get(s.callId) === s) this.streams.delete(s.callId);
  }

  private effectiveSettings(): WorkerSettings {
    const asrModels = Object.fromEntries(Object.entries(this.settings.asrModels).filter(([lang]) => !this.broken.has(lang)));
    return { ...this.settings, asrModels };
  }

  private spawn(): void {
    const path = this.o.workerPath ?? fileURLToPath(new URL('./worker/worker-main.js', import.meta.url));
    const child = fork(path, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
    this.child = child;
    this.ready = false;
    this.loading = undefined;
    this.lastPong = Date.now();
    const log = this.o.log;
    // Kaldi and onnxruntime write to stdout/stderr; keep it in our log rather than losing it.
    const relay = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) if (line.trim()) log.warn({ worker: line.slice(0, 500) }, 'speech worker output');
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.on('message', (m: FromWorker) => this.onMessage(m));
    child.on('error', (err) => log.error({ err }, 'speech worker error'));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.send({ t: 'init', settings: this.effectiveSettings() } satisfies ToWorker);
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.checkAlive(), this.o.pingEveryMs ?? 5000);
    this.pingTimer.unref();
  }

  private checkAlive(): void {
    if (!this.child || !this.ready) return;
    if (Date.now() - this.lastPong > (this.o.hungAfterMs ?? 20_000)) {
      this.o.log.error({ pid: this.child.pid }, 'speech worker stopped answering; killing it');
      this.child.kill('SIGKILL');
      return;
    }
    this.send({ t: 'ping', id: 0 });
  }

  private onMessage(m: FromWorker): void {
    const log = this.o.log;
    switch (m.t) {
      case 'event':
        this.streams.get(m.callId)?.deliver(m.ev);
        return;
      case 'pong': {
        this.lastPong = Date.now();
        const w = this.pongWaiters.get(m.id);
        if (w) {
          this.pongWaiters.delete(m.id);
          w(0);
        }
        return;
      }
      case 'opened': {
        const s = this.streams.get(m.callId);
        if (s) s.asr = m.asr;
        return;
      }
      case 'loading':
        this.loading = { lang: m.lang, path: m.path };
        return;
      case 'log':
        log[m.level](m.data ?? {}, m.msg);
        return;
      case 'ready':
        this.onReady(m.status);
        return;
    }
  }

  private onReady(status: WorkerStatus): void {
    this.ready = true;
    this.loading = undefined;
    this.status = status;
    this.upSince = Date.now();
    this.o.log.info({ pid: status.pid, vad: status.vad, asr: status.asr, emotion: status.emotion, restarts: this.restarts }, 'speech worker ready');
    if (status.vadProblem) this.o.log.warn(status.vadProblem);
    for (const [lang, state] of Object.entries(status.asr)) {
      if (state !== 'ok') this.o.log.error({ lang, problem: state }, 'speech recognition unavailable for this language; its calls run DTMF-only');
      this.alarm('speech-model-unavailable', `asr:${lang}`, state !== 'ok', state === 'ok' ? `Vosk model for ${lang} loaded` : `Vosk model for ${lang} unavailable: ${state}; calls in ${lang} run DTMF-only`);
    }
    for (const [lang, why] of this.broken) this.alarm('speech-model-unavailable', `asr:${lang}`, true, why);
    if (status.emotion !== 'ok' && status.emotion !== 'disabled') this.o.log.error({ problem: status.emotion }, 'emotion model unavailable');
    this.alarm('speech-model-unavailable', 'emotion', status.emotion !== 'ok' && status.emotion !== 'disabled', status.emotion === 'ok' ? 'emotion model loaded' : `emotion model unavailable: ${status.emotion}`);
    this.alarm(ALARM, 'speech', false, 'speech worker running');
    // Calls that were going on while the worker was down get speech back.
    for (const s of this.streams.values()) this.send({ t: 'open', callId: s.callId, lang: s.lang, ...(s.grammar ? { grammar: s.grammar } : {}) });
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    clearInterval(this.pingTimer);
    const wasReady = this.ready;
    this.ready = false;
    this.child = undefined;
    for (const w of this.pongWaiters.values()) w(Number.NaN);
    this.pongWaiters.clear();
    if (this.stopping) return;
    if (!wasReady && this.loading) {
      // It died loading a model: that model is broken (Kaldi aborted). Start without it.
      const why = `Vosk model ${this.loading.path} crashed the speech worker while loading (${signal ?? `exit ${code}`}); leaving it out`;
      this.o.log.error({ lang: this.loading.lang, path: this.loading.path }, why);
      this.broken.set(this.loading.lang, why);
    }
    if (this.upSince && Date.now() - this.upSince > 60_000) this.backoff = this.o.backoffMinMs ?? 500;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.backoffMaxMs ?? 30_000);
    this.restarts++;
    this.o.log.error({ code, signal, restartInMs: delay }, 'speech worker exited; calls continue DTMF-only until it is back');
    this.alarm(ALARM, 'speech', true, `speech worker exited (${signal ?? `exit code ${code}`}); calls continue DTMF-only while it restarts`);
    this.restartTimer = setTimeout(() => this.spawn(), delay);
  }

  /** Raise or clear an alarm, on a change only (first-time clears are not news). */
  private alarm(code: string, source: string, active: boolean, message: string): void {
    const key = `${code}|${source}`;
    const was = this.alarms.get(key) ?? false;
    if (was === active) return;
    this.alarms.set(key, active);
    const data = { code, source, active, message, severity: code === ALARM ? ('critical' as const) : ('warning' as const) };
    this.o.log[active ? 'warn' : 'info']({ event: 'alarm', ...data }, 'alarm');
    this.o.bus?.emit('alarm', data);
  }
}
