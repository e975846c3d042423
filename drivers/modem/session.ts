import type { Logger } from 'pino';
import { AtEngine, type AtTimeouts } from '../at/engine.js';
import { AtTimeoutError } from '../at/results.js';
import { LineStatus } from '../line-status.js';
import type { LegEnd, LineAlarm, LineHealth, LineKind } from '../line.js';
import { Reopener } from '../serial/reopen.js';
import { LineError, type LineErrorCode } from './errors.js';
import type { ModemLeg } from './leg.js';
import { closePort, type ModemPort } from './port.js';

/** Timings every modem line shares. */
export interface ModemTimeouts extends AtTimeouts {
  /** Ping (AT) after this much silence on the AT port, when the personality allows it. */
  idlePingMs: number;
  /** Reopen backoff after a failure: starts at min, doubles, caps at max. */
  reopenMinMs: number;
  reopenMaxMs: number;
  /** After a reset, wait this long for the modem's boot URC before talking to it again anyway. */
  bootWaitMs: number;
  /**
   * A modem that stays hung after a reset is not reset again before this long (doubling up to
   * resetBackoffMaxMs); a modem that came back to ready may be reset again at once.
   */
  resetBackoffMs: number;
  resetBackoffMaxMs: number;
}

export const DEFAULT_MODEM_TIMEOUTS: ModemTimeouts = {
  short: 1000,
  normal: 5000,
  long: 40_000,
  idlePingMs: 10_000,
  reopenMinMs: 1000,
  reopenMaxMs: 5000,
  bootWaitMs: 30_000,
  resetBackoffMs: 60_000,
  resetBackoffMaxMs: 600_000,
};

/** One open connection to the modem. Replaced wholesale on every reopen, so stale events are easy to ignore. */
export interface ModemConnection {
  /** The port AT commands go to (on analog modems also the voice stream). */
  readonly at: ModemPort;
  /** Every port of this connection, closed together. */
  readonly ports: readonly ModemPort[];
  /** Replaced after a reset, so commands queued before it are rejected, not answered by the rebooted modem. */
  engine: AtEngine;
  dead: boolean;
  timers: NodeJS.Timeout[];
  /** init() is running: its timeouts are its own. */
  initializing?: boolean;
  /** A probe AT after a missed answer is under way. */
  probing?: boolean;
  /** Set while a reset modem boots; calling it ends the wait. */
  resetting?: (() => void) | undefined;
}

/** The ports a personality opened; `at` is also in `ports`. */
export interface OpenedPorts {
  at: ModemPort;
  ports: ModemPort[];
}

/** What makes a modem a GSM module or an analog voice modem; the session does the rest. */
export interface ModemPersonality<C extends ModemConnection> {
  /** Open the ports with the injected opener (throws LineError). */
  open(): Promise<OpenedPorts>;
  /** Add the personality's per-connection state. */
  attach(base: ModemConnection): C;
  /** Bytes from the AT port; default: all of them to the engine. Analog modems demultiplex voice here. */
  feed?(c: C, chunk: Buffer): void;
  isUrc(line: string): boolean;
  onUrc(c: C, line: string): void;
  /** Bring the modem into service (throws LineError). True: ready; false: the personality reported why not. */
  init(c: C): Promise<boolean>;
  /** Timers and work that start once the line is up. */
  started?(c: C): void;
  /** May the keepalive ping now (besides: no command pending, no call setup)? */
  mayPing(c: C): boolean;
  /** The connection is going away (or the modem is being reset): forget rings, close voice. */
  release(c: C): void;
  /** Full reset command, when the modem has one we trust (AT+CFUN=1,1); null: just reopen. */
  readonly reset: string | null;
  /** URC prefixes a modem sends once booted (RDY, ^SYSSTART); RING counts too. */
  readonly bootUrcs: readonly string[];
}

export interface ModemSessionOptions {
  id: string;
  kind: LineKind;
  timeouts: ModemTimeouts;
  log: Logger;
  emit: { health: (h: LineHealth) => void; alarm: (a: LineAlarm) => void };
}

/**
 * The life of a modem line, the same for every modem: open, init, ready; on a failure end the call,
 * raise an alarm, and reopen with backoff; a hung modem is reset once, waited for while it boots,
 * and not reset again until it has been ready or a backoff has passed. Also holds the line's only
 * call (one modem, one call): the personalities' call control works through it.
 */
export class ModemSession<C extends ModemConnection> {
  private conn: C | undefined;
  private stopped = true;
  private connecting: Promise<void> | undefined;
  private readonly reopener: Reopener;
  readonly status: LineStatus;
  private readonly log: Logger;
  private readonly t: ModemTimeouts;
  /** The line's call, from offer (or dial) to its end. */
  private current: ModemLeg | undefined;
  /** Dials and answers under way: no keepalive, no health poll until they settle. */
  private setupPending = 0;
  private lastResetAt: number | undefined;
  private readySinceReset = true;
  private resetBackoff: number;
  readonly stats = { reopens: 0, resets: 0, timeouts: 0 };

  constructor(
    private readonly p: ModemPersonality<C>,
    private readonly o: ModemSessionOptions,
  ) {
    this.t = o.timeouts;
    this.log = o.log;
    this.resetBackoff = o.timeouts.resetBackoffMs;
    this.reopener = new Reopener(this.t.reopenMinMs, this.t.reopenMaxMs, () => {
      if (this.stopped) return;
      this.stats.reopens++;
      void this.connect(); // connect catches: a failure goes to fail() and the next reopen
    });
    this.status = new LineStatus(o.id, o.kind, () => Boolean(this.current), o.emit);
  }

  /** The open connection, if it is alive. */
  get connection(): C | undefined {
    const c = this.conn;
    return c && !c.dead ? c : undefined;
  }

  /** The connection, or a LineError saying the line cannot take calls now. */
  ready(): C {
    const c = this.connection;
    if (!c || this.status.hs.state !== 'ready') throw new LineError('not-ready', `line ${this.o.id} is not ready`);
    return c;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  // ---------- the call ----------

  get leg(): ModemLeg | undefined {
    return this.current;
  }

  get callSetupPending(): boolean {
    return this.setupPending > 0;
  }

  /** The line has a new call (offered or dialled). */
  takeCall(leg: ModemLeg): void {
    if (this.current && this.current !== leg) throw new LineError('busy', `line ${this.o.id} is busy`);
    this.current = leg;
    this.status.emitHealth();
  }

  /** Hold keepalive and health polls off until the returned release is called (once is enough). */
  holdSetup(): () => void {
    this.setupPending++;
    let held = true;
    return () => {
      if (held) this.setupPending--;
      held = false;
    };
  }

  /** Run a dial or answer step with keepalive and health polls held off. */
  async setup<T>(work: () => Promise<T>): Promise<T> {
    const release = this.holdSetup();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** End a leg: it leaves the line, its media closes, 'ended' is emitted once. */
  endLeg(leg: ModemLeg, end: LegEnd): void {
    if (this.current === leg) this.current = undefined;
    if (leg.finish(end)) {
      this.log.info({ leg: leg.id, ...end }, 'call ended');
      this.status.emitHealth();
    }
  }

  /** Hang up an unanswered outbound leg after timeoutMs. */
  dialTimeout(leg: ModemLeg, timeoutMs: number | undefined): void {
    if (!timeoutMs) return;
    setTimeout(() => {
      if (leg.pending) void leg.hangup('no-answer'); // hangup reports a failure as the leg's end
    }, timeoutMs).unref();
  }

  // ---------- lifecycle ----------

  /** Resolves after the first connection attempt, whatever its outcome: a down line keeps retrying. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.status.setState('starting');
    await this.connect();
  }

  /** `hangup`: end the call on the modem first (the personality's hang-up), if the line is up. */
  async stop(hangup: (leg: ModemLeg) => Promise<void>): Promise<void> {
    this.stopped = true;
    this.reopener.cancel();
    if (this.current && this.connection) await hangup(this.current).catch((err: Error) => this.log.warn({ err: err.message }, 'hang-up at stop failed'));
    await this.drop('stopped');
    this.status.setState('stopped');
  }

  /** The line is in service: alarms of earlier trouble clear, resets may happen again. */
  markReady(): void {
    this.readySinceReset = true;
    this.resetBackoff = this.t.resetBackoffMs;
    this.status.clear('line-down');
    this.status.clear('modem-reset');
    this.status.setState('ready');
  }

  private connect(): Promise<void> {
    this.connecting ??= this.openAndInit()
      .catch((err: unknown) => {
        const e = asLineError(err);
        this.log.warn({ err: e.message, code: e.code }, 'modem connect failed');
        return this.fail(e.code, e.message);
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private async openAndInit(): Promise<void> {
    const opened = await this.p.open();
    if (this.stopped) {
      await Promise.all(opened.ports.map(closePort));
      return;
    }
    const base: ModemConnection = { at: opened.at, ports: opened.ports, engine: undefined as unknown as AtEngine, dead: false, timers: [] };
    const c = this.p.attach(base);
    c.engine = this.newEngine(c);
    this.conn = c;
    opened.at.on('data', (d: Buffer) => {
      if (c.dead) return;
      if (this.p.feed) this.p.feed(c, d);
      else c.engine.feed(d);
    });
    for (const port of opened.ports) {
      port.on('close', () => {
        if (!c.dead) void this.fail('port-lost', `${port === opened.at ? 'AT' : 'voice'} port closed`, c); // fail logs, alarms and schedules the reopen
      });
      port.on('error', (err) => this.log.warn({ err: err.message }, 'port error'));
    }
    await this.initAndStart(c);
  }

  private newEngine(c: C): AtEngine {
    const engine = new AtEngine({ write: (b) => void c.at.write(b) }, { isUrc: (line) => this.p.isUrc(line), timeouts: this.t, logger: this.log });
    engine.on('urc', (line) => this.onUrc(c, line));
    engine.on('timeout', (cmd, sentAt) => {
      this.stats.timeouts++;
      if (c.engine === engine) void this.onTimeout(c, cmd, sentAt); // onTimeout ends in reset or fail(), which report
    });
    return engine;
  }

  private async initAndStart(c: C): Promise<void> {
    c.initializing = true;
    let ready: boolean;
    try {
      ready = await this.p.init(c);
    } finally {
      c.initializing = false;
    }
    if (c.dead) return;
    this.reopener.succeeded();
    if (ready) this.markReady();
    this.p.started?.(c);
    c.timers.push(setInterval(() => this.keepalive(c), Math.min(1000, this.t.idlePingMs)));
  }

  private keepalive(c: C): void {
    if (c.dead || c.resetting || this.callSetupPending || c.engine.busy || c.engine.callControlPending || !this.p.mayPing(c)) return;
    if (performance.now() - c.engine.lastRx < this.t.idlePingMs) return;
    // No answer is handled by the engine's timeout event (onTimeout); nothing else to do here.
    c.engine.send('AT', { timeout: 'short' }).catch(() => undefined);
  }

  private onUrc(c: C, line: string): void {
    if (c.dead) return;
    if (c.resetting && (line === 'RING' || this.p.bootUrcs.some((u) => line.startsWith(u)))) c.resetting();
    try {
      this.p.onUrc(c, line);
    } catch (err) {
      // One unparsable URC must never drop the line or the call.
      this.log.warn({ line, err: (err as Error).message }, 'URC handling failed');
    }
  }

  /**
   * A command went unanswered. Init handles its own (it retries, then fails as a whole). Otherwise a
   * modem that said anything since the command went out (a RING, a URC) gets one quick AT before
   * it is called hung; a silent one is hung at once.
   */
  private async onTimeout(c: C, cmd: string, sentAt: number): Promise<void> {
    if (c.dead || c.initializing || c.resetting || c.probing) return;
    if (c.engine.lastRx > sentAt) {
      c.probing = true;
      const alive = await c.engine.send('AT', { timeout: 'short' }).then(
        () => true,
        () => false,
      );
      c.probing = false;
      if (alive || c.dead) {
        this.log.warn({ cmd }, 'command went unanswered but the modem still talks; not resetting');
        return;
      }
    }
    await this.fail('timeout', `${cmd} timed out`, c);
  }

  /**
   * Something broke: end the call on this line, put the line down with an alarm; a hung modem is
   * reset (at most once per boot) and re-initialised when it is back; otherwise close and reopen with backoff.
   */
  async fail(code: LineErrorCode, message: string, c: C | undefined = this.conn): Promise<void> {
    if (this.stopped || c?.dead) return;
    this.log.warn({ code, message }, 'line failure');
    this.status.raise('line-down', message);
    if (code === 'timeout' && c && this.mayReset()) return this.resetAndReinit(c, message);
    await this.drop(code);
    this.status.setState('down', code);
    const delay = this.reopener.schedule();
    if (delay !== undefined) this.log.info({ delay }, 'reopening modem');
  }

  private mayReset(): boolean {
    if (!this.p.reset) return false;
    if (this.lastResetAt === undefined || this.readySinceReset) return true;
    return performance.now() - this.lastResetAt >= this.resetBackoff;
  }

  private async resetAndReinit(c: C, why: string): Promise<void> {
    const reset = this.p.reset!;
    if (!this.readySinceReset) this.resetBackoff = Math.min(this.resetBackoff * 2, this.t.resetBackoffMaxMs);
    this.lastResetAt = performance.now();
    this.readySinceReset = false;
    this.stats.resets++;
    this.status.raise('modem-reset', `modem hung (${why}); resetting`);
    this.endCall('modem-reset');
    this.p.release(c);
    // Keepalive, polls and rechecks of the hung modem stop; init starts them again.
    for (const t of c.timers) clearTimeout(t);
    c.timers = [];
    // Commands queued before the reset must not be answered by the rebooted modem: a fresh engine.
    c.engine.close();
    c.engine = this.newEngine(c);
    this.status.setState('down', 'modem-reset');
    // Written raw, and never again while it boots.
    if (c.at.isOpen) c.at.write(`${reset}\r`);
    this.log.warn({ reset, bootWaitMs: this.t.bootWaitMs }, 'modem reset; waiting for it to boot');
    const booted = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.t.bootWaitMs);
      c.resetting = () => {
        clearTimeout(timer);
        resolve(true);
      };
      c.timers.push(timer);
    });
    c.resetting = undefined;
    if (c.dead || this.stopped) return;
    this.log.info({ booted }, booted ? 'modem booted' : 'no boot URC; trying the modem anyway');
    try {
      await this.initAndStart(c);
    } catch (err) {
      const e = asLineError(err);
      await this.fail(e.code, e.message, c);
    }
  }

  private endCall(reason: string): void {
    if (this.current) this.endLeg(this.current, { by: 'network', cause: 'line-down', detail: reason });
  }

  private async drop(reason: string): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    this.endCall(reason);
    if (!c || c.dead) return;
    c.dead = true;
    for (const t of c.timers) clearTimeout(t);
    c.resetting?.();
    this.p.release(c);
    c.engine.close();
    await Promise.all(c.ports.map(closePort));
  }
}

/** Failures during open and init as LineErrors: a command that got no answer means a hung modem. */
function asLineError(err: unknown): LineError {
  if (err instanceof LineError) return err;
  if (err instanceof AtTimeoutError) return new LineError('timeout', err.message);
  return new LineError('init-failed', (err as Error).message);
}

/**
 * The first exchange with a modem: a modem that just booted may miss the first AT or still echo,
 * so up to three tries. No answer at all is a hung modem (LineError 'timeout').
 */
export async function handshake(c: ModemConnection): Promise<void> {
  for (let i = 0; i < 3 && !c.dead; i++) {
    const alive = await c.engine.send('AT', { timeout: 'short' }).then(
      () => true,
      () => false,
    );
    if (alive) return;
  }
  throw new LineError('timeout', 'modem does not answer AT');
}
