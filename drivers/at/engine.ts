import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { AtTokenizer, type AtToken } from './tokenizer.js';
import { AtClosedError, AtCommandError, AtTimeoutError, CALL_FINALS, parseFinal, type FinalResult } from './results.js';

/**
 * The AT engine: one command in flight, a queue behind it, timeouts by class, intermediate lines
 * collected per command, and unsolicited result codes dispatched even when they arrive inside a
 * command's response (a ^RSSI between "+CSQ: ..." and "OK").
 */

/** Timeout classes. Too short drops calls in the field (an ATA can take seconds), so three classes. */
export type TimeoutClass = 'short' | 'normal' | 'long';
export interface AtTimeouts {
  short: number;
  normal: number;
  long: number;
}
export const DEFAULT_TIMEOUTS: AtTimeouts = { short: 1000, normal: 5000, long: 40_000 };

export interface AtCommandOptions {
  /** Timeout class or milliseconds. Default 'normal'. */
  timeout?: TimeoutClass | number;
  /**
   * Prefixes of the information lines this command answers with (e.g. '+CSQ:'). A line with one of
   * these prefixes belongs to the command even if the same prefix can also arrive unsolicited
   * (+CREG:, +CLCC:).
   */
  expect?: string[];
  /** Call control (ATD, ATA): NO CARRIER, BUSY, NO ANSWER, CONNECT end it. Otherwise they are URCs. */
  callControl?: boolean;
  /**
   * VCON ends this command as success: V.253 voice modems may answer off-hook (AT+VLS=1) or a dial
   * with VCON ("voice connection") instead of OK. At any other time VCON is unsolicited.
   */
  acceptVcon?: boolean;
  /** Text to send after the "> " prompt (SMS PDU); the engine appends Ctrl-Z. */
  prompt?: string;
}

export interface AtResponse {
  command: string;
  /** Information lines, in order, without echo and without URCs. */
  lines: string[];
  final: FinalResult;
}

/** Where bytes go. A serial port, a socket, or a test double. */
export interface AtTransport {
  write(data: Buffer): void;
}

export interface AtEngineOptions {
  /** Is this line unsolicited? `pending` is the command in flight, if any. */
  isUrc: (line: string, pending: AtCommandOptions | undefined) => boolean;
  timeouts?: Partial<AtTimeouts>;
  logger?: Logger;
  maxLine?: number;
}

export interface AtEngineEvents {
  urc: [line: string];
  /**
   * A command got no final in time. The owner decides how to recover (reset, reopen); `sentAt`
   * (performance.now()) against `lastRx` tells a silent modem from one that still talks.
   */
  timeout: [command: string, sentAt: number];
}

interface Job {
  command: string;
  opts: AtCommandOptions;
  lines: string[];
  resolve: (r: AtResponse) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  promptSent: boolean;
  sentAt: number;
  /** An abort character went out (abortCallControl). */
  aborted?: boolean;
}

const CTRL_Z = '\x1a';

export class AtEngine extends EventEmitter<AtEngineEvents> {
  private readonly tokenizer: AtTokenizer;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private readonly timeouts: AtTimeouts;
  private readonly log: Logger;
  private closed = false;
  /** performance.now() of the last byte received: the keepalive runs only after silence. */
  lastRx = performance.now();

  constructor(
    private readonly transport: AtTransport,
    private readonly opts: AtEngineOptions,
  ) {
    super();
    this.tokenizer = new AtTokenizer(opts.maxLine);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  get tokenizerStats() {
    return this.tokenizer.stats;
  }

  /** Commands queued or in flight. */
  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /** True while a call-control command (ATD/ATA) is queued or in flight. */
  get callControlPending(): boolean {
    return Boolean(this.current?.opts.callControl) || this.queue.some((j) => j.opts.callControl);
  }

  /** Send a command; resolves on OK (or CONNECT), rejects with AtCommandError / AtTimeoutError / AtClosedError. */
  send(command: string, opts: AtCommandOptions = {}): Promise<AtResponse> {
    if (this.closed) return Promise.reject(new AtClosedError(command));
    return new Promise<AtResponse>((resolve, reject) => {
      this.queue.push({ command, opts, lines: [], resolve, reject, promptSent: false, sentAt: 0 });
      this.pump();
    });
  }

  /** Bytes from the modem. */
  feed(chunk: Buffer): void {
    if (this.closed) return;
    this.lastRx = performance.now();
    for (const tok of this.tokenizer.push(chunk)) {
      try {
        this.onToken(tok);
      } catch (err) {
        // One bad line (a URC handler that throws) must never stall the channel.
        this.log.error({ err }, 'AT token handling failed');
      }
    }
  }

  /**
   * Abort the call-control command in flight (a dial still ringing): V.250 lets any character from
   * the DTE abort an action command; the modem then ends it with its final (NO CARRIER, or OK while
   * it was still dialling) and goes on hook. A lone CR is used: if the command ended meanwhile, the
   * modem ignores an empty line. `ms` bounds the wait for that final. Only a call-control command
   * starting with `prefix` (e.g. 'ATD') is aborted; one still queued is dropped unsent. False when
   * there was nothing to abort.
   */
  abortCallControl(prefix: string, ms: number): boolean {
    const mine = (j: Job | undefined): j is Job => Boolean(j?.opts.callControl && j.command.startsWith(prefix));
    const queued = this.queue.findIndex(mine);
    if (queued >= 0) {
      const [j] = this.queue.splice(queued, 1);
      j?.reject(new AtClosedError(j.command));
      return true;
    }
    const job = this.current;
    if (!mine(job) || job.aborted || this.closed) return false;
    job.aborted = true;
    if (job.timer) clearTimeout(job.timer);
    job.timer = setTimeout(() => this.onTimeout(job, ms), ms);
    this.log.debug({ cmd: job.command }, 'AT abort');
    try {
      this.transport.write(Buffer.from('\r', 'latin1'));
    } catch (err) {
      this.finish(job, err as Error);
    }
    return true;
  }

  /** Reject everything and refuse new commands. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const jobs = [...(this.current ? [this.current] : []), ...this.queue];
    this.current = undefined;
    this.queue.length = 0;
    for (const j of jobs) {
      if (j.timer) clearTimeout(j.timer);
      j.reject(new AtClosedError(j.command));
    }
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = job;
    job.sentAt = performance.now();
    const ms = this.timeoutMs(job.opts.timeout);
    job.timer = setTimeout(() => this.onTimeout(job, ms), ms);
    this.log.debug({ cmd: job.command }, 'AT >');
    try {
      this.transport.write(Buffer.from(job.command + '\r', 'latin1'));
    } catch (err) {
      this.finish(job, err as Error);
    }
  }

  private timeoutMs(t: TimeoutClass | number | undefined): number {
    if (typeof t === 'number') return t;
    return this.timeouts[t ?? 'normal'];
  }

  private onTimeout(job: Job, ms: number): void {
    if (this.current !== job) return;
    this.log.warn({ cmd: job.command, ms }, 'AT command timed out');
    this.finish(job, new AtTimeoutError(job.command, ms));
    this.emit('timeout', job.command, job.sentAt);
  }

  private finish(job: Job, result: AtResponse | Error): void {
    if (job.timer) clearTimeout(job.timer);
    if (this.current === job) this.current = undefined;
    if (result instanceof Error) job.reject(result);
    else job.resolve(result);
    // Let the resolution run before the next command goes out, and never recurse deeply.
    setImmediate(() => this.pump());
  }

  private onToken(tok: AtToken): void {
    const job = this.current;
    if (tok.kind === 'prompt') {
      if (job?.opts.prompt !== undefined && !job.promptSent) {
        job.promptSent = true;
        this.transport.write(Buffer.from(job.opts.prompt + CTRL_Z, 'latin1'));
      }
      return;
    }
    const line = tok.text;
    this.log.trace({ line }, 'AT <');
    if (!job) {
      this.emit('urc', line);
      return;
    }
    // Echo (before ATE0 took effect, or after a modem reset turned it back on).
    if (line === job.command || (job.opts.prompt !== undefined && line === job.opts.prompt)) return;
    const final = parseFinal(line);
    if (final) {
      if (CALL_FINALS.has(final.kind) && !job.opts.callControl && !(job.opts.acceptVcon && line === 'VCON')) {
        this.emit('urc', line);
        return;
      }
      const resp: AtResponse = { command: job.command, lines: job.lines, final };
      if (final.kind === 'ok' || final.kind === 'connect') this.finish(job, resp);
      else this.finish(job, new AtCommandError(job.command, final, job.lines));
      return;
    }
    if (job.opts.expect?.some((p) => line.startsWith(p))) {
      job.lines.push(line);
      return;
    }
    if (this.opts.isUrc(line, job.opts)) {
      this.emit('urc', line);
      return;
    }
    job.lines.push(line);
  }
}
