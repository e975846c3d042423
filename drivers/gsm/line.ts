import { pino, type Logger } from 'pino';
import type { Sms } from '../line.js';
import type { MediaClock } from '../media/clock.js';
import { ModemLine } from '../modem/line.js';
import { openSerialPort, type PortOpener } from '../modem/port.js';
import { DEFAULT_MODEM_TIMEOUTS, ModemSession, type ModemTimeouts } from '../modem/session.js';
import { echoFactory, type EchoCancellerOptions } from '../audio/echo.js';
import { GsmCalls, type GsmCallTimeouts } from './calls.js';
import { DIALECTS, type DialectName } from './dialects/index.js';
import { GsmHealth } from './health-monitor.js';
import { GsmModem, type GsmConnection } from './modem.js';
import type { PortPair } from './scan.js';
import { SmsInbox } from './sms-inbox.js';
import type { StatusReport, SubmitPdu } from './sms/pdu.js';

export interface GsmTimeouts extends ModemTimeouts, GsmCallTimeouts {
  healthIntervalMs: number;
  /** How often to look at the SIM again while it is missing. */
  simRetryMs: number;
}

export const DEFAULT_GSM_TIMEOUTS: GsmTimeouts = {
  ...DEFAULT_MODEM_TIMEOUTS,
  clipWaitMs: 1500,
  ringGoneMs: 8000,
  hangupConfirmMs: 1000,
  healthIntervalMs: 30_000,
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
  /** Line echo cancellation (speexdsp) on the caller's audio, for modules whose own canceller is off; absent: off. */
  echoCancel?: EchoCancellerOptions;
  baudRate?: number;
  timeouts?: Partial<GsmTimeouts>;
  logger?: Logger;
  /** Media clock for the voice port (tests); defaults to the process-wide clock. */
  clock?: MediaClock;
  /** How ports are opened; default node-serialport (tests run the line over in-process streams). */
  openPort?: PortOpener;
  /**
   * Where a received SMS is stored before it is deleted from the SIM. When it rejects, the message
   * stays on the SIM and is read again on the next start.
   */
  smsSink?: (sms: Sms) => Promise<void>;
  /** Where delivery reports go before they are deleted from the SIM (same contract as smsSink). */
  statusSink?: (report: StatusReport & { lineId: string }) => Promise<void>;
}

/**
 * A GSM module as a Line: a modem session (drivers/modem) with the GSM personality, and the line's
 * jobs each in its own module: call control (calls.ts), SMS (sms-inbox.ts), health (health-monitor.ts).
 */
export class GsmLine extends ModemLine<GsmConnection> {
  readonly kind = 'gsm' as const;
  protected readonly session: ModemSession<GsmConnection>;
  protected readonly calls: GsmCalls;
  private readonly sms: SmsInbox;

  constructor(opts: GsmLineOptions) {
    super(opts.id);
    const dialect = DIALECTS[opts.dialect];
    if (!dialect) throw new Error(`unknown GSM dialect ${String(opts.dialect)}`);
    const t: GsmTimeouts = { ...DEFAULT_GSM_TIMEOUTS, ...opts.timeouts };
    const log = (opts.logger ?? pino({ level: 'silent' })).child({ line: opts.id, dialect: opts.dialect });
    const session = (): ModemSession<GsmConnection> => this.session;
    this.calls = new GsmCalls({ lineId: opts.id, session, dialect, t, log, clock: opts.clock, echo: echoFactory(opts.echoCancel), incoming: (leg) => this.emit('incoming', leg) });
    this.sms = new SmsInbox({ lineId: opts.id, session, log, sink: opts.smsSink, statusSink: opts.statusSink, dialect: opts.dialect, emit: (sms) => this.emit('sms', sms) });
    const health = new GsmHealth({
      session,
      dialect,
      simPin: opts.simPin,
      simRetryMs: t.simRetryMs,
      log,
      simReadyLater: (c) => {
        this.session.markReady();
        void this.sms.readStored(c); // readStored catches and logs
      },
    });
    const modem = new GsmModem({
      session,
      dialect,
      ports: opts,
      open: opts.openPort ?? openSerialPort,
      normalTimeoutMs: t.normal,
      healthIntervalMs: t.healthIntervalMs,
      log,
      calls: this.calls,
      sms: this.sms,
      health,
    });
    this.session = new ModemSession(modem, { id: opts.id, kind: 'gsm', timeouts: t, log, emit: this.statusEvents });
  }

  /** Counters for health reports and tests. */
  get stats(): { reopens: number; resets: number; timeouts: number; smsReceived: number } {
    return { ...this.session.stats, smsReceived: this.sms.received };
  }


  sendSms(to: string, text: string): Promise<void> {
    return this.sms.send(to, text);
  }

  /** True when an SMS may go out now: the line is up and idle, or its modem carries SMS during calls. */
  canSendSms(): boolean {
    return this.sms.canSend();
  }

  /** Send one prepared SMS-SUBMIT PDU (kept by the caller, to resend the very same bytes); see SmsInbox.submitPdu. */
  submitPdu(pdu: SubmitPdu): Promise<number> {
    return this.sms.submitPdu(pdu);
  }
}

export function createGsmLine(opts: GsmLineOptions): GsmLine {
  return new GsmLine(opts);
}
