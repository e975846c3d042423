import { pino, type Logger } from 'pino';
import type { MediaClock } from '../media/clock.js';
import { ModemLine } from '../modem/line.js';
import { openSerialPort, type PortOpener } from '../modem/port.js';
import { DEFAULT_MODEM_TIMEOUTS, ModemSession, type ModemTimeouts } from '../modem/session.js';
import { echoFactory, type EchoCancellerOptions } from '../audio/echo.js';
import { AnalogCalls, type AnalogCallTimeouts } from './calls.js';
import type { VoiceFormat } from './formats.js';
import { AnalogModem, type AnalogConnection, type RingbackTimers } from './modem.js';

export interface AnalogTimeouts extends ModemTimeouts, AnalogCallTimeouts {}

export const DEFAULT_ANALOG_TIMEOUTS: AnalogTimeouts = {
  ...DEFAULT_MODEM_TIMEOUTS,
  ringGoneMs: 8000,
  callerIdQuietMs: 300,
  voiceExitMs: 1000,
  dialAbortMs: 3000,
};

/** V.253 example defaults: ringback gone 5 s (longer than the 4 s pause between rings), none within 10 s. */
export const DEFAULT_RINGBACK: RingbackTimers = { goneMs: 5000, neverMs: 10_000 };

export interface AnalogLineOptions {
  id: string;
  /** The voice modem's tty, preferably a /dev/serial/by-id path. */
  port: string;
  /** Answer on this ring (caller ID arrives between the first two). Default 2. */
  ringsBeforeAnswer?: number;
  /**
   * End the call after this many <DLE>s / <DLE>q (the modem presumes a hang-up into silence) in a
   * row. Default 1; 0 ignores them.
   */
  silenceHangupEvents?: number;
  /** How the modem decides a dial-out was answered (AT+VRA / AT+VRN). Default DEFAULT_RINGBACK. */
  ringback?: Partial<RingbackTimers>;
  /** Line echo cancellation (speexdsp) on what the caller side delivers; absent: off. */
  echoCancel?: EchoCancellerOptions;
  baudRate?: number;
  timeouts?: Partial<AnalogTimeouts>;
  logger?: Logger;
  /** Media clock for the voice stream (tests); defaults to the process-wide clock. */
  clock?: MediaClock;
  /** How the tty is opened; default node-serialport (tests may use in-process streams). */
  openPort?: PortOpener;
}

/**
 * An analog line on a V.253 voice modem: a modem session (drivers/modem) with the V.253
 * personality (modem.ts), the tty's voice mode (voice-mode.ts) and call control (calls.ts).
 */
export class AnalogLine extends ModemLine<AnalogConnection> {
  readonly kind = 'analog' as const;
  protected readonly session: ModemSession<AnalogConnection>;
  private readonly modem: AnalogModem;
  protected readonly calls: AnalogCalls;

  constructor(opts: AnalogLineOptions) {
    super(opts.id);
    const t: AnalogTimeouts = { ...DEFAULT_ANALOG_TIMEOUTS, ...opts.timeouts };
    const log = (opts.logger ?? pino({ level: 'silent' })).child({ line: opts.id, kind: 'analog' });
    this.calls = new AnalogCalls({
      lineId: opts.id,
      session: () => this.session,
      format: () => this.modem.format,
      ringsBeforeAnswer: Math.max(1, opts.ringsBeforeAnswer ?? 2),
      silenceHangupEvents: Math.max(0, opts.silenceHangupEvents ?? 1),
      echo: echoFactory(opts.echoCancel),
      t,
      log,
      clock: opts.clock,
      incoming: (leg) => this.emit('incoming', leg),
    });
    this.modem = new AnalogModem({ port: opts.port, baudRate: opts.baudRate, open: opts.openPort ?? openSerialPort, log, calls: this.calls, ringback: { ...DEFAULT_RINGBACK, ...opts.ringback } });
    this.session = new ModemSession(this.modem, { id: opts.id, kind: 'analog', timeouts: t, log, emit: this.statusEvents });
  }

  /** The voice format chosen at init. */
  get format(): VoiceFormat | undefined {
    return this.modem.format;
  }

  /** The modem took the ringback timers: a dial-out is answered when the callee picks up, not when dialled. */
  get answerDetection(): boolean {
    return this.modem.answerDetection;
  }

  /** Counters for health reports and tests. */
  get stats(): { reopens: number; timeouts: number; dtmf: number } {
    return { reopens: this.session.stats.reopens, timeouts: this.session.stats.timeouts, dtmf: this.calls.dtmfCount };
  }

}

export function createAnalogLine(opts: AnalogLineOptions): AnalogLine {
  return new AnalogLine(opts);
}
