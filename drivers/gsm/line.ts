import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import { pino, type Logger } from 'pino';
import { AtEngine, type AtCommandOptions, type AtTimeouts } from '../at/engine.js';
import { AtCommandError, CME_SIM_NOT_INSERTED } from '../at/results.js';
import { LineStatus } from '../line-status.js';
import { Reopener } from '../serial/reopen.js';
import type { DialOptions, DtmfSource, Line, LineAlarm, LineEvents, LineHealth, Sms } from '../line.js';
import type { MediaClock } from '../media/clock.js';
import { closeSerial, openSerial } from '../serial/open.js';
import { DIALECTS, type CallUrc, type DialectName, type DialectProfile } from './dialects/index.js';
import { csqToDbm, digitsLine, parseClcc, parseClip, parseCops, parseCpin, parseCreg } from './health.js';
import { GsmLeg, type GsmLegHost } from './leg.js';
import { findByImei, type PortPair } from './scan.js';
import { SmsAssembler } from './sms/assembler.js';
import { decodeDeliver, encodeSubmit } from './sms/pdu.js';
import { GsmVoicePort } from './voice.js';

export interface GsmTimeouts extends AtTimeouts {
  /** Ping (AT) after this much silence on the AT port. */
  idlePingMs: number;
  /** After the first RING, wait this long for +CLIP before asking +CLCC. */
  clipWaitMs: number;
  /** An offered call with no RING for this long was abandoned by the caller. */
  ringGoneMs: number;
  healthIntervalMs: number;
  /** Reopen backoff after a failure: starts at min, doubles, caps at max. */
  reopenMinMs: number;
  reopenMaxMs: number;
  /** How often to look at the SIM again while it is missing. */
  simRetryMs: number;
}

export const DEFAULT_GSM_TIMEOUTS: GsmTimeouts = {
  short: 1000,
  normal: 5000,
  long: 40_000,
  idlePingMs: 10_000,
  clipWaitMs: 1500,
  ringGoneMs: 8000,
  healthIntervalMs: 30_000,
  reopenMinMs: 1000,
  reopenMaxMs: 5000,
  simRetryMs: 30_000,
};

export interface GsmLineOptions {
  id: string;
  dialect: DialectName;
  /** AT tty, preferably a /dev/serial/by-id path. */
  atPort?: string;
  /** Voice tty (PCM). Without it calls can be signalled but not carried. */
  voicePort?: string;
  /** Find the modem by IMEI among candidatePorts instead of a fixed path; also checked when atPort is set. */
  imei?: string;
  candidatePorts?: PortPair[];
  simPin?: string;
  baudRate?: number;
  timeouts?: Partial<GsmTimeouts>;
  logger?: Logger;
  /** Media clock for the voice port (tests); defaults to the process-wide clock. */
  clock?: MediaClock;
  /**
   * Where a received SMS is stored before it is deleted from the SIM. When it rejects, the message
   * stays on the SIM and is read again on the next start.
   */
  smsSink?: (sms: Sms) => Promise<void>;
}

/** URCs every dialect shares. Lines starting with these are never part of a command's answer. */
const COMMON_URCS = ['RING', '+CLIP:', '+CMTI:', '+CREG:', '+CRING:', '+CUSD:', '+CDS:', '+CMT:', '+CLCC:'];

/** One open connection to the modem. Replaced wholesale on every reopen, so stale events are easy to ignore. */
interface Session {
  at: SerialPort;
  voice?: SerialPort;
  engine: AtEngine;
  dead: boolean;
  timers: NodeJS.Timeout[];
}

type Failure = 'port-lost' | 'timeout' | 'open-failed' | 'init-failed' | 'imei-not-found';

export class GsmLine extends EventEmitter<LineEvents> implements Line, GsmLegHost {
  readonly kind = 'gsm' as const;
  readonly id: string;
  private readonly dialect: DialectProfile;
  private readonly t: GsmTimeouts;
  private readonly log: Logger;
  private session: Session | undefined;
  private stopped = true;
  private readonly reopener: Reopener;
  private readonly status: LineStatus;
  private leg: GsmLeg | undefined;
  /** A dial or answer is under way: no keepalive, no health poll until it settles. */
  private callSetupPending = false;
  private ringTimer: NodeJS.Timeout | undefined;
  private clipTimer: NodeJS.Timeout | undefined;
  private pendingRing: { number?: string; idx?: number } | undefined;
  private readonly assembler = new SmsAssembler();
  private simReady = false;
  private pinRejected = false;
  private connecting: Promise<void> | undefined;
  /** Counters for health reports and tests. */
  readonly stats = { reopens: 0, resets: 0, timeouts: 0, smsReceived: 0 };

  constructor(private readonly opts: GsmLineOptions) {
    super();
    this.id = opts.id;
    this.dialect = DIALECTS[opts.dialect];
    if (!this.dialect) throw new Error(`unknown GSM dialect ${String(opts.dialect)}`);
    this.t = { ...DEFAULT_GSM_TIMEOUTS, ...opts.timeouts };
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ line: opts.id, dialect: opts.dialect });
    this.reopener = new Reopener(this.t.reopenMinMs, this.t.reopenMaxMs, () => {
      if (this.stopped) return;
      this.stats.reopens++;
      void this.connect();
    });
    this.status = new LineStatus(opts.id, 'gsm', () => Boolean(this.leg), { health: (h) => this.emit('health', h), alarm: (a) => this.emit('alarm', a) });
  }

  health(): LineHealth {
    return this.status.health();
  }

  /** Alarms currently active. */
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

  // ---------- connection lifecycle ----------

  private connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.openAndInit()
        .catch((err: unknown) => {
          const e = err as Error & { failure?: Failure };
          this.log.warn({ err: e.message }, 'modem connect failed');
          void this.fail(e.failure ?? 'init-failed', e.message, false);
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return this.connecting;
  }

  private async resolvePorts(): Promise<PortPair> {
    const { imei, candidatePorts, atPort, voicePort } = this.opts;
    if (imei && candidatePorts?.length) {
      const found = await findByImei(imei, candidatePorts, this.log, this.t.normal);
      if (!found) throw Object.assign(new Error(`no modem with IMEI ${imei} among ${candidatePorts.length} candidate ports`), { failure: 'imei-not-found' });
      return found;
    }
    if (!atPort) throw Object.assign(new Error('no atPort and no imei+candidatePorts configured'), { failure: 'open-failed' });
    return voicePort ? { at: atPort, voice: voicePort } : { at: atPort };
  }

  private async openAndInit(): Promise<void> {
    const ports = await this.resolvePorts();
    let at: SerialPort;
    try {
      at = await openSerial(ports.at, this.opts.baudRate);
    } catch (err) {
      throw Object.assign(new Error(`open ${ports.at}: ${(err as Error).message}`), { failure: 'open-failed' });
    }
    const engine = new AtEngine(
      { write: (b) => void at.write(b) },
      { isUrc: (line) => this.isUrc(line), timeouts: this.t, logger: this.log },
    );
    const s: Session = { at, engine, dead: false, timers: [] };
    this.session = s;
    at.on('data', (d: Buffer) => engine.feed(d));
    at.on('close', () => void this.onPortClosed(s, 'AT'));
    at.on('error', (err) => this.log.warn({ err: err.message }, 'AT port error'));
    engine.on('urc', (line) => this.onUrc(s, line));
    engine.on('timeout', (cmd) => {
      this.stats.timeouts++;
      void this.fail('timeout', `${cmd} timed out`, true, s);
    });

    if (ports.voice) {
      try {
        s.voice = await openSerial(ports.voice, this.opts.baudRate);
      } catch (err) {
        throw Object.assign(new Error(`open ${ports.voice}: ${(err as Error).message}`), { failure: 'open-failed' });
      }
      // Flowing mode with a sink: between calls the modem may still send PCM; drop it.
      s.voice.on('data', () => undefined);
      s.voice.on('close', () => void this.onPortClosed(s, 'voice'));
      s.voice.on('error', (err) => this.log.warn({ err: err.message }, 'voice port error'));
    }

    await this.initModem(s);
    if (s.dead) return;
    this.reopener.succeeded();
    s.timers.push(setInterval(() => this.keepalive(s), Math.min(1000, this.t.idlePingMs)));
    s.timers.push(setInterval(() => void this.pollHealth(s), this.t.healthIntervalMs));
  }

  private async initModem(s: Session): Promise<void> {
    const e = s.engine;
    // A modem that just booted may miss the first AT or still echo: retry the handshake.
    let alive = false;
    for (let i = 0; i < 3 && !alive && !s.dead; i++) {
      alive = await e.send('AT', { timeout: 'short' }).then(
        () => true,
        () => false,
      );
    }
    if (!alive) throw Object.assign(new Error('modem does not answer AT'), { failure: 'init-failed' });
    await e.send('ATE0');
    await e.send('AT+CMEE=2').catch(() => e.send('AT+CMEE=1'));
    const imei = digitsLine((await e.send('AT+CGSN')).lines, '+CGSN:');
    if (imei) this.status.hs.imei = imei;
    if (this.opts.imei && imei && imei !== this.opts.imei) {
      throw Object.assign(new Error(`IMEI ${imei} at ${this.opts.atPort ?? '?'} is not the configured ${this.opts.imei}`), { failure: 'imei-not-found' });
    }
    for (const cmd of ['AT+CLIP=1', 'AT+CREG=2', 'AT+CMGF=0', 'AT+CNMI=2,1,0,0,0', 'AT+COPS=3,0', ...this.dialect.init]) {
      // Vendor extras vary by firmware: one refused setting is logged, not fatal.
      await e.send(cmd).catch((err: Error) => {
        if (!(err instanceof AtCommandError)) throw err;
        this.log.info({ cmd, err: err.message }, 'init command refused');
      });
    }
    if (s.dead) return;
    await this.checkSim(s);
  }

  /** SIM state decides ready vs down. A missing SIM is an alarm and a periodic recheck, never a crash. */
  private async checkSim(s: Session): Promise<void> {
    const e = s.engine;
    let sim: LineHealth['sim'];
    try {
      const r = await e.send('AT+CPIN?', { expect: ['+CPIN:'] });
      sim = parseCpin(r.lines.find((l) => l.startsWith('+CPIN:')) ?? '');
    } catch (err) {
      if (!(err instanceof AtCommandError)) throw err;
      const f = err.final;
      sim = f.kind === 'cme' && (f.code === CME_SIM_NOT_INSERTED || /not inserted/i.test(f.message ?? '')) ? 'missing' : 'error';
    }
    // A refused PIN is never sent again (three tries lock the SIM into PUK); a new config brings a new line.
    if (sim === 'pin-required' && this.opts.simPin && !this.pinRejected) {
      await e.send(`AT+CPIN="${this.opts.simPin}"`).catch((err: Error) => {
        if (err instanceof AtCommandError) this.pinRejected = true;
        this.log.warn({ err: err.message }, 'SIM PIN refused');
      });
      const r = await e.send('AT+CPIN?', { expect: ['+CPIN:'] }).catch(() => undefined);
      sim = r ? parseCpin(r.lines.find((l) => l.startsWith('+CPIN:')) ?? '') : 'error';
    }
    this.status.hs.sim = sim;
    if (sim !== 'ready') {
      this.simReady = false;
      const code = sim === 'missing' ? 'sim-missing' : 'sim-not-ready';
      this.status.raise(code, `SIM ${sim}`);
      this.status.setState('down', `sim-${sim}`);
      s.timers.push(setTimeout(() => void this.checkSim(s).catch((err: Error) => this.log.warn({ err: err.message }, 'SIM recheck failed')), this.t.simRetryMs));
      return;
    }
    this.status.clear('sim-missing');
    this.status.clear('sim-not-ready');
    this.simReady = true;
    const imsi = digitsLine((await e.send('AT+CIMI').catch(() => ({ lines: [] as string[] }))).lines);
    if (imsi) this.status.hs.imsi = imsi;
    const ic = this.dialect.iccid;
    const iccid = digitsLine((await e.send(ic.command, { expect: [ic.prefix] }).catch(() => ({ lines: [] as string[] }))).lines, ic.prefix);
    if (iccid) this.status.hs.iccid = iccid;
    await this.pollHealth(s, true);
    if (s.dead) return;
    this.status.clear('line-down');
    this.status.clear('modem-reset');
    this.status.setState('ready');
    // Messages that arrived while we were away are still on the SIM.
    void this.readStoredSms(s);
  }

  private async pollHealth(s: Session, force = false): Promise<void> {
    if (s.dead || (!force && (this.callSetupPending || this.status.hs.state !== 'ready'))) return;
    const e = s.engine;
    try {
      const csq = await e.send('AT+CSQ', { expect: ['+CSQ:'] });
      const dbm = csqToDbm(csq.lines.find((l) => l.startsWith('+CSQ:')) ?? '');
      if (dbm === undefined) delete this.status.hs.signalDbm;
      else this.status.hs.signalDbm = dbm;
      const creg = await e.send('AT+CREG?', { expect: ['+CREG:'] });
      this.status.hs.registration = parseCreg(creg.lines.find((l) => l.startsWith('+CREG:')) ?? '', true) ?? 'unknown';
      const cops = await e.send('AT+COPS?', { expect: ['+COPS:'] });
      const op = parseCops(cops.lines.find((l) => l.startsWith('+COPS:')) ?? '');
      if (op) this.status.hs.operator = op;
      this.status.emitHealth();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'health poll failed');
    }
  }

  private keepalive(s: Session): void {
    if (s.dead || this.callSetupPending || s.engine.busy || s.engine.callControlPending) return;
    if (performance.now() - s.engine.lastRx < this.t.idlePingMs) return;
    // Failure is handled by the engine's timeout event (reset path); nothing else to do here.
    s.engine.send('AT', { timeout: 'short' }).catch(() => undefined);
  }

  private onPortClosed(s: Session, which: string): void {
    if (s.dead) return;
    void this.fail('port-lost', `${which} port closed`, false, s);
  }

  /**
   * Something broke: end the call on this line, put the line down with an alarm, try the dialect's
   * reset when the modem hung, close, and reopen with backoff.
   */
  private async fail(kind: Failure, message: string, tryReset: boolean, s = this.session): Promise<void> {
    if (this.stopped) return;
    if (s && s.dead) return;
    this.log.warn({ kind, message }, 'line failure');
    if (kind === 'timeout') this.status.raise('modem-reset', `modem hung (${message}); resetting`);
    this.status.raise('line-down', message);
    if (s && tryReset && this.dialect.reset && s.at.isOpen) {
      this.stats.resets++;
      // Written raw: the engine's queue may be wedged behind the command that timed out.
      s.at.write(`${this.dialect.reset}\r`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.dropSession(kind);
    this.status.setState('down', kind);
    this.scheduleReconnect();
  }

  private async dropSession(reason: string): Promise<void> {
    const s = this.session;
    this.session = undefined;
    this.simReady = false;
    this.callSetupPending = false;
    this.cancelRing();
    if (this.leg) {
      const leg = this.leg;
      this.leg = undefined;
      leg.finish({ by: 'network', cause: 'line-down', detail: reason });
    }
    if (!s || s.dead) return;
    s.dead = true;
    for (const t of s.timers) clearTimeout(t);
    s.engine.close();
    await Promise.all([closeSerial(s.at), closeSerial(s.voice)]);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.reopener.schedule();
    if (delay !== undefined) this.log.info({ delay }, 'reopening modem');
  }


  // ---------- URCs ----------

  private isUrc(line: string): boolean {
    return COMMON_URCS.some((p) => line.startsWith(p)) || this.dialect.urcPrefixes.some((p) => line.startsWith(p));
  }

  private onUrc(s: Session, line: string): void {
    if (s.dead) return;
    this.log.debug({ line }, 'URC');
    try {
      this.handleUrc(s, line);
    } catch (err) {
      // One unparsable URC must never drop the line or the call.
      this.log.warn({ line, err: (err as Error).message }, 'URC handling failed');
    }
  }

  private handleUrc(s: Session, line: string): void {
    if (line === 'RING' || line.startsWith('+CRING:')) return this.onRing(s);
    if (line.startsWith('+CLIP:')) return this.onCallerId(s, parseClip(line));
    if (line.startsWith('+CMTI:')) {
      const m = /^\+CMTI:\s*"?[A-Z]*"?\s*,\s*(\d+)/.exec(line);
      if (m) void this.readSms(s, Number(m[1]));
      return;
    }
    if (line.startsWith('+CREG:')) {
      const reg = parseCreg(line, false);
      if (reg) {
        this.status.hs.registration = reg;
        this.status.emitHealth();
      }
      return;
    }
    if (line.startsWith('^RSSI:')) {
      const n = Number(line.slice(6));
      if (n >= 0 && n <= 31) this.status.hs.signalDbm = -113 + 2 * n;
      return;
    }
    if (line === 'NO CARRIER' || line === 'BUSY' || line === 'NO ANSWER') {
      const cause = line === 'BUSY' ? 'busy' : line === 'NO ANSWER' ? 'no-answer' : 'normal';
      return this.onCallUrc(s, { type: 'ended', cause, detail: line });
    }
    if (line.startsWith('+CPIN:') && parseCpin(line) === 'missing') {
      this.status.hs.sim = 'missing';
      this.status.raise('sim-missing', 'SIM removed');
      this.status.setState('down', 'sim-missing');
      return;
    }
    const c = this.dialect.parseCallUrc(line);
    if (c) this.onCallUrc(s, c);
  }

  private onRing(s: Session): void {
    if (this.leg) {
      if (this.leg.state === 'offered') this.armRingGone(this.leg);
      return;
    }
    if (this.pendingRing) return;
    this.pendingRing = {};
    // Caller ID usually follows the first RING; give it a moment before asking the modem.
    this.clipTimer = setTimeout(() => void this.offerAfterClcc(s), this.t.clipWaitMs);
  }

  private onCallerId(s: Session, number: string | undefined): void {
    if (this.leg) return;
    if (!this.pendingRing) this.pendingRing = {};
    if (number) this.pendingRing.number = number;
    this.offer(s);
  }

  private async offerAfterClcc(s: Session): Promise<void> {
    if (!this.pendingRing || s.dead) return;
    try {
      const r = await s.engine.send('AT+CLCC', { expect: ['+CLCC:'] });
      const call = r.lines.map(parseClcc).find((c) => c && c.dir === 1 && (c.stat === 4 || c.stat === 5));
      if (call?.number && this.pendingRing) this.pendingRing.number = call.number;
      if (call && this.pendingRing) this.pendingRing.idx = call.idx;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'CLCC failed');
    }
    this.offer(s);
  }

  private offer(s: Session): void {
    const ring = this.pendingRing;
    if (!ring || this.leg || s.dead) return;
    this.cancelRing();
    const leg = new GsmLeg(this, this.id, 'inbound', ring.number ? { number: ring.number } : {});
    if (ring.idx) leg.callIndex = ring.idx;
    this.leg = leg;
    this.armRingGone(leg);
    this.log.info({ leg: leg.id, from: ring.number }, 'incoming call');
    this.status.emitHealth();
    this.emit('incoming', leg);
  }

  private armRingGone(leg: GsmLeg): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = setTimeout(() => {
      if (this.leg === leg && leg.state === 'offered') this.endLeg(leg, { by: 'remote', cause: 'cancelled', detail: 'ringing stopped' });
    }, this.t.ringGoneMs);
  }

  private cancelRing(): void {
    if (this.clipTimer) clearTimeout(this.clipTimer);
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.clipTimer = this.ringTimer = undefined;
    this.pendingRing = undefined;
  }

  private onCallUrc(s: Session, c: CallUrc): void {
    const leg = this.leg;
    switch (c.type) {
      case 'incoming':
        return this.onCallerId(s, c.number);
      case 'alerting':
        if (leg?.direction === 'outbound') leg.setRinging();
        return;
      case 'connected':
        if (leg?.direction === 'outbound' && leg.state !== 'answered' && leg.state !== 'ended') void this.startMedia(s, leg);
        return;
      case 'dtmf':
        if (leg?.state === 'answered') leg.emit('dtmf', c.digit, 'modem');
        return;
      case 'ended':
        if (!leg) {
          this.cancelRing();
          return;
        }
        if (leg.localHangupCause !== undefined) this.endLeg(leg, { by: 'local', cause: leg.localHangupCause });
        else this.endLeg(leg, c.detail ? { by: 'remote', cause: leg.state === 'offered' && c.cause === 'normal' ? 'cancelled' : c.cause, detail: c.detail } : { by: 'remote', cause: c.cause });
        void this.voiceOff(s);
    }
  }

  private endLeg(leg: GsmLeg, end: Parameters<GsmLeg['finish']>[0]): void {
    if (this.leg === leg) this.leg = undefined;
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (leg.finish(end)) {
      this.log.info({ leg: leg.id, ...end }, 'call ended');
      this.status.emitHealth();
    }
  }

  // ---------- calls (GsmLegHost) ----------

  get dtmfSource(): DtmfSource {
    return this.dialect.dtmfSource;
  }

  async answerLeg(leg: GsmLeg): Promise<void> {
    const s = this.session;
    if (!s || s.dead || this.leg !== leg) throw new Error('line is down');
    this.callSetupPending = true;
    try {
      await s.engine.send('ATA', { callControl: true, timeout: 'normal' });
      if (this.ringTimer) clearTimeout(this.ringTimer);
      await this.startMedia(s, leg);
    } catch (err) {
      this.endLeg(leg, { by: 'network', cause: 'failed', detail: (err as Error).message });
      throw err;
    } finally {
      this.callSetupPending = false;
    }
  }

  private async startMedia(s: Session, leg: GsmLeg): Promise<void> {
    for (const cmd of this.dialect.voiceOn) await s.engine.send(cmd);
    if (leg.state === 'ended' || s.dead) return;
    this.callSetupPending = false;
    if (!s.voice) throw new Error('no voice port configured');
    leg.setAnswered(new GsmVoicePort(s.voice, this.opts.clock));
    this.log.info({ leg: leg.id }, 'call answered, media up');
  }

  private async voiceOff(s: Session): Promise<void> {
    for (const cmd of this.dialect.voiceOff) await s.engine.send(cmd).catch(() => undefined);
  }

  async hangupLeg(leg: GsmLeg, cause: string): Promise<void> {
    const s = this.session;
    // The modem confirms with an end URC right behind the OK; it must count as our hang-up.
    leg.localHangupCause = cause;
    if (s && !s.dead && this.leg === leg) {
      await s.engine.send(this.dialect.hangup).catch((err: Error) => this.log.warn({ err: err.message }, 'hangup command failed'));
      await this.voiceOff(s);
    }
    this.endLeg(leg, { by: 'local', cause });
  }

  async sendDtmfOn(leg: GsmLeg, digits: string): Promise<void> {
    const s = this.session;
    if (!s || s.dead) throw new Error('line is down');
    for (const d of digits) {
      if (!/^[0-9*#A-D]$/i.test(d)) throw new Error(`not a DTMF digit: ${d}`);
      await s.engine.send(this.dialect.dtmf(leg.callIndex, d.toUpperCase()));
    }
  }

  async dial(target: string, options: DialOptions = {}): Promise<GsmLeg> {
    const s = this.session;
    if (!s || s.dead || this.status.hs.state !== 'ready') throw new Error(`line ${this.id} is not ready`);
    if (this.leg) throw new Error(`line ${this.id} is busy`);
    if (!/^\+?[0-9*#]+$/.test(target)) throw new Error(`not a dialable number: ${target}`);
    const leg = new GsmLeg(this, this.id, 'outbound', { number: target });
    this.leg = leg;
    this.callSetupPending = true;
    this.status.emitHealth();
    try {
      await s.engine.send(`ATD${target};`, { callControl: true, timeout: 'long' });
    } catch (err) {
      this.callSetupPending = false;
      const cause = err instanceof AtCommandError ? (err.final.kind === 'busy' ? 'busy' : err.final.kind === 'no-answer' ? 'no-answer' : 'failed') : 'failed';
      this.endLeg(leg, { by: 'network', cause, detail: (err as Error).message });
      return leg;
    }
    if (options.timeoutMs) {
      setTimeout(() => {
        if (leg.state === 'offered' || leg.state === 'ringing') void this.hangupLeg(leg, 'no-answer');
      }, options.timeoutMs).unref();
    }
    leg.once('ended', () => {
      if (this.leg === undefined || this.leg === leg) this.callSetupPending = false;
    });
    return leg;
  }

  // ---------- SMS ----------

  async sendSms(to: string, text: string): Promise<void> {
    const s = this.session;
    if (!s || s.dead || !this.simReady) throw new Error(`line ${this.id} cannot send SMS now`);
    for (const part of encodeSubmit(to, text)) {
      await s.engine.send(`AT+CMGS=${part.tpduLength}`, { prompt: part.hex, timeout: 'long', expect: ['+CMGS:'] });
    }
  }

  private async readStoredSms(s: Session): Promise<void> {
    try {
      const r = await s.engine.send('AT+CMGL=4', { expect: ['+CMGL:'], timeout: 'long' });
      for (let i = 0; i < r.lines.length; i++) {
        const m = /^\+CMGL:\s*(\d+)/.exec(r.lines[i]!);
        const pdu = r.lines[i + 1];
        if (m && pdu && !pdu.startsWith('+CMGL:')) await this.handlePdu(s, Number(m[1]), pdu);
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'listing stored SMS failed');
    }
  }

  private async readSms(s: Session, slot: number): Promise<void> {
    try {
      const r = await s.engine.send(`AT+CMGR=${slot}`, { expect: ['+CMGR:'] });
      const at = r.lines.findIndex((l) => l.startsWith('+CMGR:'));
      const pdu = r.lines[at + 1];
      if (at < 0 || !pdu) throw new Error('empty +CMGR answer');
      await this.handlePdu(s, slot, pdu);
    } catch (err) {
      this.log.warn({ slot, err: (err as Error).message }, 'reading SMS failed');
    }
  }

  private async handlePdu(s: Session, slot: number, pdu: string): Promise<void> {
    let decoded;
    try {
      decoded = decodeDeliver(pdu);
    } catch (err) {
      // Left on the SIM for a person to look at; never fatal.
      this.log.warn({ slot, err: (err as Error).message }, 'undecodable SMS left on SIM');
      return;
    }
    const done = this.assembler.add(decoded, slot);
    if (!done) return;
    const sms: Sms = { lineId: this.id, from: done.from, text: done.text, receivedAt: new Date().toISOString() };
    if (done.timestamp) sms.sentAt = done.timestamp;
    if (this.opts.smsSink) {
      try {
        await this.opts.smsSink(sms);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'SMS sink failed; message kept on SIM');
        return;
      }
    }
    this.stats.smsReceived++;
    this.emit('sms', sms);
    for (const slot of done.slots) {
      if (s.dead) return;
      await s.engine.send(`AT+CMGD=${slot}`).catch((err: Error) => this.log.warn({ slot, err: err.message }, 'deleting SMS failed'));
    }
  }
}

export function createGsmLine(opts: GsmLineOptions): GsmLine {
  return new GsmLine(opts);
}

export type { AtCommandOptions };
