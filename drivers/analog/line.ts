import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import { pino, type Logger } from 'pino';
import { AtEngine, type AtTimeouts } from '../at/engine.js';
import { AtCommandError } from '../at/results.js';
import { dtmfTones } from '../audio/tones.js';
import { LineStatus } from '../line-status.js';
import { Reopener } from '../serial/reopen.js';
import type { DialOptions, LegEnd, Line, LineAlarm, LineEvents, LineHealth } from '../line.js';
import type { MediaClock } from '../media/clock.js';
import { toFrames } from '../media/format.js';
import { closeSerial, openSerial } from '../serial/open.js';
// The GSM leg is a plain modem call (offered → answered → ended) that asks its host for everything; it fits analog as is.
import { GsmLeg, type GsmLegHost } from '../gsm/leg.js';
import { CallerIdBlock, isCallerIdLine } from './caller-id.js';
import { DLE, DleDecoder, ETX } from './dle.js';
import { chooseFormat, type VoiceFormat } from './formats.js';
import { AnalogVoicePort } from './voice.js';

export interface AnalogTimeouts extends AtTimeouts {
  /** Ping (AT) after this much silence on the port, never during a call. */
  idlePingMs: number;
  /** An offered call with no RING for this long was abandoned by the caller. */
  ringGoneMs: number;
  /** After the last caller ID line, wait this long for the rest of the block before offering the call. */
  callerIdQuietMs: number;
  /** How long leaving voice mode may take before we insist (<DLE>!) and then give up waiting. */
  voiceExitMs: number;
  /** Reopen backoff after a failure: starts at min, doubles, caps at max. */
  reopenMinMs: number;
  reopenMaxMs: number;
}

export const DEFAULT_ANALOG_TIMEOUTS: AnalogTimeouts = {
  short: 1000,
  normal: 5000,
  long: 40_000,
  idlePingMs: 10_000,
  ringGoneMs: 8000,
  callerIdQuietMs: 300,
  voiceExitMs: 1000,
  reopenMinMs: 1000,
  reopenMaxMs: 5000,
};

export interface AnalogLineOptions {
  id: string;
  /** The voice modem's tty, preferably a /dev/serial/by-id path. */
  port: string;
  /** Answer on this ring (caller ID arrives between the first two). Default 2. */
  ringsBeforeAnswer?: number;
  baudRate?: number;
  timeouts?: Partial<AnalogTimeouts>;
  logger?: Logger;
  /** Media clock for the voice stream (tests); defaults to the process-wide clock. */
  clock?: MediaClock;
}

/**
 * What the tty carries right now. One port serves both AT commands and DLE-shielded voice, so every
 * received byte is routed by mode: to the AT engine, or (after CONNECT to AT+VTR) to the DLE decoder.
 */
type Mode = 'command' | 'await-connect' | 'voice';

/** One open connection to the modem. Replaced wholesale on every reopen, so stale events are easy to ignore. */
interface Session {
  port: SerialPort;
  engine: AtEngine;
  dead: boolean;
  timers: NodeJS.Timeout[];
  mode: Mode;
  /** The text of the current line while waiting for CONNECT. */
  lineText: string;
  /** CONNECT ended with CR: a LF may follow, and it is not audio. */
  skipLf: boolean;
  decoder: DleDecoder;
  voice: AnalogVoicePort | undefined;
  /** Resolved when the modem confirms leaving voice mode (<DLE><ETX>, then OK or VCON). */
  voiceExit: { etx: () => void; final: () => void; sawEtx: boolean } | undefined;
}

type Failure = 'port-lost' | 'timeout' | 'open-failed' | 'init-failed';

/** Unsolicited lines of a V.253 modem in command mode. */
const URC_PREFIXES = ['RING', 'VCON'];

/** <DLE> events that mean the far end is gone: busy tone, dial tone, loop current interruption. */
const FAR_END_GONE: Readonly<Record<string, string>> = { b: 'busy tone', d: 'dial tone', l: 'loop current drop' };

export class AnalogLine extends EventEmitter<LineEvents> implements Line, GsmLegHost {
  readonly kind = 'analog' as const;
  readonly id: string;
  private readonly t: AnalogTimeouts;
  private readonly log: Logger;
  private readonly ringsBeforeAnswer: number;
  private session: Session | undefined;
  private stopped = true;
  private readonly reopener: Reopener;
  private readonly status: LineStatus;
  private connecting: Promise<void> | undefined;
  private leg: GsmLeg | undefined;
  /** A dial or answer is under way: no keepalive until it settles. */
  private callSetupPending = false;
  /** The incoming call being rung, before and after it is offered. */
  private ringing: { count: number; cid: CallerIdBlock; waiters: (() => void)[] } | undefined;
  private ringTimer: NodeJS.Timeout | undefined;
  private cidTimer: NodeJS.Timeout | undefined;
  /** The voice format chosen at init. */
  format: VoiceFormat | undefined;
  /** Counters for health reports and tests. */
  readonly stats = { reopens: 0, timeouts: 0, dtmf: 0 };

  constructor(private readonly opts: AnalogLineOptions) {
    super();
    this.id = opts.id;
    this.t = { ...DEFAULT_ANALOG_TIMEOUTS, ...opts.timeouts };
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ line: opts.id, kind: 'analog' });
    this.ringsBeforeAnswer = Math.max(1, opts.ringsBeforeAnswer ?? 2);
    this.reopener = new Reopener(this.t.reopenMinMs, this.t.reopenMaxMs, () => {
      if (this.stopped) return;
      this.stats.reopens++;
      void this.connect();
    });
    this.status = new LineStatus(opts.id, 'analog', () => Boolean(this.leg), { health: (h) => this.emit('health', h), alarm: (a) => this.emit('alarm', a) });
  }

  health(): LineHealth {
    return this.status.health();
  }

  activeAlarms(): LineAlarm[] {
    return this.status.activeAlarms();
  }

  /** Resolves after the first connection attempt, whatever its outcome: a down line keeps retrying. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.status.setState('starting');
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reopener.cancel();
    const s = this.session;
    if (this.leg && s && !s.dead) await this.hangupLeg(this.leg, 'line-stopped').catch(() => undefined);
    await this.dropSession('stopped');
    this.status.setState('stopped');
  }

  // ---------- connection lifecycle (the GSM line's approach: session objects, fail → drop → reopen with backoff) ----------

  private connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.openAndInit()
        .catch((err: unknown) => {
          const e = err as Error & { failure?: Failure };
          this.log.warn({ err: e.message }, 'modem connect failed');
          void this.fail(e.failure ?? 'init-failed', e.message);
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return this.connecting;
  }

  private async openAndInit(): Promise<void> {
    let port: SerialPort;
    try {
      port = await openSerial(this.opts.port, this.opts.baudRate);
    } catch (err) {
      throw Object.assign(new Error(`open ${this.opts.port}: ${(err as Error).message}`), { failure: 'open-failed' });
    }
    const engine = new AtEngine({ write: (b) => void port.write(b) }, { isUrc: (line) => this.isUrc(line), timeouts: this.t, logger: this.log });
    const s: Session = {
      port,
      engine,
      dead: false,
      timers: [],
      mode: 'command',
      lineText: '',
      skipLf: false,
      voice: undefined,
      voiceExit: undefined,
      decoder: new DleDecoder({ data: (b) => s.voice?.pushData(b), event: (c) => this.onDleEvent(s, c) }),
    };
    this.session = s;
    port.on('data', (d: Buffer) => this.onData(s, d));
    port.on('close', () => void this.onPortClosed(s));
    port.on('error', (err) => this.log.warn({ err: err.message }, 'port error'));
    engine.on('urc', (line) => this.onUrc(s, line));
    engine.on('timeout', (cmd) => {
      this.stats.timeouts++;
      void this.fail('timeout', `${cmd} timed out`, s);
    });

    await this.initModem(s);
    if (s.dead) return;
    this.reopener.succeeded();
    this.status.clear('line-down');
    this.status.setState('ready');
    s.timers.push(setInterval(() => this.keepalive(s), Math.min(1000, this.t.idlePingMs)));
  }

  private async initModem(s: Session): Promise<void> {
    const e = s.engine;
    // ATZ puts a modem left in voice mode by a crashed predecessor back to its profile; some take a while.
    await e.send('ATZ', { timeout: 'normal' }).catch(() => undefined);
    let alive = false;
    for (let i = 0; i < 3 && !alive && !s.dead; i++) {
      alive = await e.send('AT', { timeout: 'short' }).then(
        () => true,
        () => false,
      );
    }
    if (!alive) throw Object.assign(new Error('modem does not answer AT'), { failure: 'init-failed' });
    await e.send('ATE0');
    await e.send('AT+FCLASS=8').catch((err: Error) => {
      throw Object.assign(new Error(`not a voice modem (AT+FCLASS=8: ${err.message})`), { failure: 'init-failed' });
    });
    // Without caller ID the line still answers; the caller is then unknown.
    await e.send('AT+VCID=1').catch((err: Error) => this.log.warn({ err: err.message }, 'caller ID not enabled'));
    const vsm = await e.send('AT+VSM=?');
    const format = chooseFormat(vsm.lines);
    if (!format) throw Object.assign(new Error(`no usable 8 kHz voice format in AT+VSM=?: ${vsm.lines.join(' | ')}`), { failure: 'init-failed' });
    await e.send(`AT+VSM=${format.cml},8000`);
    this.format = format;
    this.log.info({ cml: format.cml, name: format.name, kind: format.kind }, 'voice format chosen');
    // Informational: which line devices the modem can route to (0 = on hook, 1 = the line).
    const vls = await e.send('AT+VLS=?').catch(() => undefined);
    if (vls) this.log.debug({ vls: vls.lines }, 'AT+VLS=?');
    await e.send('AT+VLS=0').catch(() => undefined);
  }

  private keepalive(s: Session): void {
    if (s.dead || s.mode !== 'command' || this.leg || this.ringing || this.callSetupPending || s.engine.busy) return;
    if (performance.now() - s.engine.lastRx < this.t.idlePingMs) return;
    s.engine.send('AT', { timeout: 'short' }).catch(() => undefined);
  }

  private onPortClosed(s: Session): void {
    if (s.dead) return;
    void this.fail('port-lost', 'port closed', s);
  }

  private async fail(kind: Failure, message: string, s = this.session): Promise<void> {
    if (this.stopped) return;
    if (s && s.dead) return;
    this.log.warn({ kind, message }, 'line failure');
    this.status.raise('line-down', message);
    await this.dropSession(kind);
    this.status.setState('down', kind);
    this.scheduleReconnect();
  }

  private async dropSession(reason: string): Promise<void> {
    const s = this.session;
    this.session = undefined;
    this.callSetupPending = false;
    this.cancelRinging();
    if (this.leg) this.endLeg(this.leg, { by: 'network', cause: 'line-down', detail: reason });
    if (!s || s.dead) return;
    s.dead = true;
    for (const t of s.timers) clearTimeout(t);
    s.voice?.close();
    s.engine.close();
    await closeSerial(s.port);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reopener.schedule();
  }


  // ---------- the tty: AT text or DLE-shielded voice ----------

  private onData(s: Session, chunk: Buffer): void {
    if (s.dead) return;
    let off = 0;
    while (off < chunk.length) {
      if (s.mode === 'command') {
        s.engine.feed(off === 0 ? chunk : chunk.subarray(off));
        return;
      }
      if (s.mode === 'await-connect') {
        const used = this.scanForConnect(s, chunk, off);
        s.engine.feed(chunk.subarray(off, used));
        off = used;
        continue;
      }
      if (s.skipLf) {
        s.skipLf = false;
        if (chunk[off] === 0x0a) off++;
        continue;
      }
      const end = s.decoder.push(off === 0 ? chunk : chunk.subarray(off));
      if (end < 0) return;
      off += end;
      // The modem left voice mode: what follows is command-mode text (OK / VCON) for the engine.
      s.mode = 'command';
      this.onVoiceEnded(s);
    }
  }

  /**
   * Read bytes as text up to the end of a CONNECT line; from there on the stream is voice. Returns
   * how far the bytes belong to command mode.
   */
  private scanForConnect(s: Session, chunk: Buffer, from: number): number {
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b !== 0x0d && b !== 0x0a) {
        if (s.lineText.length < 64) s.lineText += String.fromCharCode(b);
        continue;
      }
      const text = s.lineText.trim();
      s.lineText = '';
      if (text === 'CONNECT' || text.startsWith('CONNECT ')) {
        s.mode = 'voice';
        s.skipLf = b === 0x0d;
        s.decoder.reset();
        return i + 1;
      }
    }
    return chunk.length;
  }

  private onDleEvent(s: Session, code: number): void {
    if (code === ETX) return; // handled by onData (mode switch)
    const c = String.fromCharCode(code);
    const leg = this.leg;
    if (/^[0-9*#A-D]$/.test(c)) {
      if (leg?.state === 'answered') {
        this.stats.dtmf++;
        leg.emit('dtmf', c, 'dle');
      }
      return;
    }
    const gone = FAR_END_GONE[c];
    if (gone) {
      if (leg && leg.localHangupCause === undefined) {
        const cause = leg.direction === 'outbound' && c === 'b' && leg.state !== 'answered' ? 'busy' : 'normal';
        this.endLeg(leg, { by: 'remote', cause, detail: `<DLE>${c} ${gone}` });
        void this.toOnHook(s);
      }
      return;
    }
    // s/q silence, h handset, r ringback, u/o buffer under/overrun: nothing to do.
    this.log.debug({ event: c }, 'voice event');
  }

  /** The modem confirmed the end of voice mode; or left it by itself (the line dropped). */
  private onVoiceEnded(s: Session): void {
    const voice = s.voice;
    s.voice = undefined;
    voice?.close();
    if (s.voiceExit) {
      s.voiceExit.sawEtx = true;
      s.voiceExit.etx();
      return;
    }
    // Not asked for: the modem dropped out of voice mode on its own. Its OK/VCON follows as a URC.
    const leg = this.leg;
    if (leg && leg.localHangupCause === undefined) {
      this.endLeg(leg, { by: 'remote', cause: 'normal', detail: 'modem left voice mode' });
      void this.toOnHook(s, true);
    }
  }

  /** Write raw bytes (DLE codes) to the tty. */
  private writeRaw(s: Session, ...bytes: number[]): void {
    if (s.port.isOpen && !s.port.destroyed) s.port.write(Buffer.from(bytes));
  }

  /**
   * Leave voice mode (<DLE><ETX>; <DLE>! if the modem ignores it), wait for its OK/VCON so the next
   * command's answer is not confused with it, then go on hook. `alreadyLeft`: the modem left by itself.
   */
  private async toOnHook(s: Session, alreadyLeft = false): Promise<void> {
    if (s.dead) return;
    const voice = s.voice;
    s.voice = undefined;
    voice?.close();
    if (s.mode !== 'command' || alreadyLeft) {
      let etxResolve = (): void => {};
      let finalResolve = (): void => {};
      const etx = new Promise<void>((r) => (etxResolve = r));
      const final = new Promise<void>((r) => (finalResolve = r));
      s.voiceExit = { etx: etxResolve, final: finalResolve, sawEtx: alreadyLeft };
      if (alreadyLeft) etxResolve();
      const wait = (p: Promise<void>, ms: number): Promise<boolean> =>
        Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
      if (s.mode === 'voice') {
        this.writeRaw(s, DLE, ETX);
        if (!(await wait(etx, this.t.voiceExitMs))) {
          this.log.warn('modem ignored <DLE><ETX>; sending <DLE>!');
          this.writeRaw(s, DLE, 0x21);
          if (!(await wait(etx, this.t.voiceExitMs))) {
            this.log.warn('modem did not confirm the end of voice mode');
            s.mode = 'command';
          }
        }
      } else if (s.mode === 'await-connect') s.mode = 'command';
      await wait(final, this.t.voiceExitMs);
      s.voiceExit = undefined;
    }
    if (s.dead) return;
    await s.engine.send('AT+VLS=0').catch(() => s.engine.send('ATH').catch((err: Error) => this.log.warn({ err: err.message }, 'on-hook failed')));
  }

  // ---------- URCs: rings and caller ID ----------

  private isUrc(line: string): boolean {
    return URC_PREFIXES.some((p) => line.startsWith(p)) || isCallerIdLine(line);
  }

  private onUrc(s: Session, line: string): void {
    if (s.dead) return;
    try {
      if (s.voiceExit && (line === 'OK' || line === 'VCON')) return s.voiceExit.final();
      if (line === 'RING') return this.onRing(s);
      if (isCallerIdLine(line)) return this.onCallerIdLine(s, line);
      this.log.debug({ line }, 'URC ignored');
    } catch (err) {
      // One unparsable line must never drop the line or the call.
      this.log.warn({ line, err: (err as Error).message }, 'URC handling failed');
    }
  }

  private onRing(s: Session): void {
    if (this.leg && this.leg.state !== 'offered') return;
    if (!this.ringing) this.ringing = { count: 0, cid: new CallerIdBlock(), waiters: [] };
    const r = this.ringing;
    r.count++;
    this.armRingGone();
    this.log.debug({ ring: r.count }, 'RING');
    if (r.count >= this.ringsBeforeAnswer) {
      this.offer(s);
      for (const w of r.waiters.splice(0)) w();
    }
  }

  private onCallerIdLine(s: Session, line: string): void {
    if (this.leg) return;
    if (!this.ringing) this.ringing = { count: 0, cid: new CallerIdBlock(), waiters: [] };
    this.ringing.cid.add(line);
    if (this.cidTimer) clearTimeout(this.cidTimer);
    // NAME closes the block on most modems; otherwise offer once the lines stop coming.
    if (this.ringing.cid.hasName) this.offer(s);
    else this.cidTimer = setTimeout(() => this.offer(s), this.t.callerIdQuietMs);
  }

  private offer(s: Session): void {
    const r = this.ringing;
    if (!r || this.leg || s.dead) return;
    if (this.cidTimer) clearTimeout(this.cidTimer);
    const leg = new GsmLeg(this, this.id, 'inbound', r.cid.party());
    this.leg = leg;
    this.log.info({ leg: leg.id, from: leg.remote.number, name: leg.remote.name, ring: r.count }, 'incoming call');
    this.status.emitHealth();
    this.emit('incoming', leg);
  }

  private armRingGone(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = setTimeout(() => {
      this.ringTimer = undefined;
      const leg = this.leg;
      if (leg && leg.state === 'offered') this.endLeg(leg, { by: 'remote', cause: 'cancelled', detail: 'ringing stopped' });
      this.cancelRinging();
    }, this.t.ringGoneMs);
  }

  private cancelRinging(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (this.cidTimer) clearTimeout(this.cidTimer);
    this.ringTimer = this.cidTimer = undefined;
    const r = this.ringing;
    this.ringing = undefined;
    // Answer waiters look at the leg's state when woken; an ended leg makes them give up.
    for (const w of r?.waiters ?? []) w();
  }

  private endLeg(leg: GsmLeg, end: LegEnd): void {
    if (this.leg === leg) this.leg = undefined;
    if (leg.finish(end)) {
      this.log.info({ leg: leg.id, ...end }, 'call ended');
      this.status.emitHealth();
    }
  }

  // ---------- calls (GsmLegHost) ----------

  /** V.253 modems report key presses as DLE codes. */
  readonly dtmfSource = 'dle' as const;

  async answerLeg(leg: GsmLeg): Promise<void> {
    const s = this.session;
    if (!s || s.dead || this.leg !== leg) throw new Error('line is down');
    // Caller ID comes between the first rings; answering earlier would cut it off. Wait for the configured ring.
    const r = this.ringing;
    if (r && r.count < this.ringsBeforeAnswer) await new Promise<void>((resolve) => r.waiters.push(resolve));
    // A closure, so TypeScript does not keep the narrowing across the awaits below.
    const ended = (): boolean => leg.state === 'ended' || s.dead;
    if (ended()) throw new Error('caller hung up before the call was answered');
    this.callSetupPending = true;
    try {
      await s.engine.send('AT+VLS=1');
      this.stopRingTimers();
      await this.startVoice(s);
      if (ended() || !s.voice) throw new Error('call ended while answering');
      leg.setAnswered(s.voice);
      this.log.info({ leg: leg.id }, 'call answered, voice up');
    } catch (err) {
      this.endLeg(leg, { by: 'network', cause: 'failed', detail: (err as Error).message });
      void this.toOnHook(s);
      throw err;
    } finally {
      this.callSetupPending = false;
    }
  }

  private stopRingTimers(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (this.cidTimer) clearTimeout(this.cidTimer);
    this.ringTimer = this.cidTimer = undefined;
    this.ringing = undefined;
  }

  /** AT+VTR: full-duplex voice. The router switches the tty to voice at the CONNECT line. */
  private async startVoice(s: Session): Promise<void> {
    if (!this.format) throw new Error('no voice format');
    s.voice = new AnalogVoicePort(s.port, this.format.kind, this.opts.clock);
    s.lineText = '';
    s.mode = 'await-connect';
    try {
      await s.engine.send('AT+VTR', { callControl: true });
    } catch (err) {
      if (s.mode === 'await-connect') s.mode = 'command';
      throw err;
    }
    s.voice?.begin();
  }

  async hangupLeg(leg: GsmLeg, cause: string): Promise<void> {
    const s = this.session;
    leg.localHangupCause = cause;
    const wasOurs = this.leg === leg;
    this.endLeg(leg, { by: 'local', cause });
    if (s && !s.dead && wasOurs) await this.toOnHook(s);
  }

  /** In-band tones into the call: in full-duplex voice mode the modem takes no AT+VTS. */
  async sendDtmfOn(leg: GsmLeg, digits: string): Promise<void> {
    const m = leg.media;
    if (!m) throw new Error('no media');
    for (const f of toFrames(dtmfTones(digits))) m.write(Buffer.from(f));
  }

  /**
   * Off hook, ATD<number>; then full-duplex voice. An analog line cannot tell when the callee picks
   * up: the leg is 'ringing' after the dial and 'answered' as soon as voice is on (the far end's
   * ringback is then heard on the media); busy is reported by <DLE>b.
   */
  async dial(target: string, options: DialOptions = {}): Promise<GsmLeg> {
    const s = this.session;
    if (!s || s.dead || this.status.hs.state !== 'ready') throw new Error(`line ${this.id} is not ready`);
    if (this.leg || this.ringing) throw new Error(`line ${this.id} is busy`);
    if (!/^[0-9*#,]+$/.test(target.replace(/^\+/, ''))) throw new Error(`not a dialable number: ${target}`);
    const leg = new GsmLeg(this, this.id, 'outbound', { number: target });
    this.leg = leg;
    this.callSetupPending = true;
    this.status.emitHealth();
    try {
      await s.engine.send('AT+VLS=1');
      // Analog lines dial digits only; a leading + is the installer's E.164 habit.
      await s.engine.send(`ATD${target.replace(/^\+/, '')};`, { callControl: true, timeout: 'long' });
    } catch (err) {
      this.callSetupPending = false;
      const f = err instanceof AtCommandError ? err.final.kind : undefined;
      const cause = f === 'busy' ? 'busy' : f === 'no-answer' ? 'no-answer' : f === 'no-dialtone' ? 'no-dialtone' : 'failed';
      this.endLeg(leg, { by: 'network', cause, detail: (err as Error).message });
      void this.toOnHook(s);
      return leg;
    }
    leg.setRinging();
    void this.startVoice(s)
      .then(() => {
        if (leg.state !== 'ended' && s.voice) leg.setAnswered(s.voice);
      })
      .catch((err: Error) => {
        this.endLeg(leg, { by: 'network', cause: 'failed', detail: err.message });
        void this.toOnHook(s);
      })
      .finally(() => (this.callSetupPending = false));
    if (options.timeoutMs) {
      setTimeout(() => {
        if (leg.state === 'offered' || leg.state === 'ringing') void this.hangupLeg(leg, 'no-answer');
      }, options.timeoutMs).unref();
    }
    return leg;
  }
}

export function createAnalogLine(opts: AnalogLineOptions): AnalogLine {
  return new AnalogLine(opts);
}
