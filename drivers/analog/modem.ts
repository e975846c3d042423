import type { Logger } from 'pino';
import { LineError } from '../modem/errors.js';
import type { ModemPort, PortOpener } from '../modem/port.js';
import { handshake, type ModemConnection, type ModemPersonality, type OpenedPorts } from '../modem/session.js';
import type { AnalogCalls } from './calls.js';
import { isCallerIdLine } from './caller-id.js';
import { DleDecoder } from './dle.js';
import { chooseFormat, type VoiceFormat } from './formats.js';
import type { AnalogVoicePort } from './voice.js';
import { feedTty, toOnHook } from './voice-mode.js';

/**
 * What the tty carries right now. One port serves both AT commands and DLE-shielded voice, so every
 * received byte is routed by mode: to the AT engine, or (after CONNECT to AT+VTR) to the DLE decoder.
 */
export type TtyMode = 'command' | 'await-connect' | 'voice';

/** A voice modem's connection: one tty, demultiplexed between AT text and DLE-shielded voice. */
export interface AnalogConnection extends ModemConnection {
  mode: TtyMode;
  /** The text of the current line while waiting for CONNECT. */
  lineText: string;
  /** CONNECT ended with CR: a LF may follow, and it is not audio. */
  skipLf: boolean;
  decoder: DleDecoder;
  voice: AnalogVoicePort | undefined;
  /** Resolved when the modem confirms leaving voice mode (<DLE><ETX>, then OK or VCON). */
  voiceExit: { etx: () => void; final: () => void; sawEtx: boolean } | undefined;
}

/**
 * How a voice modem decides that the callee answered a dial-out: ringback gone this long after at
 * least one (AT+VRA, 0.1 s units, 0-25.5 s), or no ringback at all this long after dialling
 * (AT+VRN, 1 s units; 0-25 s is the range modems commonly take). 0 reports OK at once.
 */
export interface RingbackTimers {
  goneMs: number;
  neverMs: number;
}

/** The AT+VRA / AT+VRN values for the timers, clamped to the ranges modems accept. */
export function ringbackCommands(r: RingbackTimers): [string, string] {
  const clamp = (v: number, max: number): number => Math.max(0, Math.min(max, Math.round(v)));
  return [`AT+VRA=${clamp(r.goneMs / 100, 255)}`, `AT+VRN=${clamp(r.neverMs / 1000, 25)}`];
}

/** Unsolicited lines of a V.253 modem in command mode. */
const URC_PREFIXES = ['RING', 'VCON'];

/** The V.253 personality of a modem session: one tty, voice class init, rings and caller ID. */
export class AnalogModem implements ModemPersonality<AnalogConnection> {
  // V.253 has no reset we trust beyond ATZ, which init sends anyway: a hung modem is reopened.
  readonly reset = null;
  readonly bootUrcs: readonly string[] = [];
  /** The voice format chosen at init. */
  format: VoiceFormat | undefined;
  /** The modem took the ringback timers: a dial's OK means the callee answered. */
  answerDetection = false;

  constructor(
    private readonly x: {
      port: string;
      baudRate: number | undefined;
      open: PortOpener;
      log: Logger;
      calls: AnalogCalls;
      /** V.253 ringback timers for dial-outs (AT+VRA / AT+VRN), in ms. */
      ringback: RingbackTimers;
    },
  ) {}

  async open(): Promise<OpenedPorts> {
    let port: ModemPort;
    try {
      port = await this.x.open(this.x.port, this.x.baudRate);
    } catch (err) {
      throw new LineError('open-failed', `open ${this.x.port}: ${(err as Error).message}`);
    }
    return { at: port, ports: [port] };
  }

  attach(base: ModemConnection): AnalogConnection {
    const mode: TtyMode = 'command';
    const c: AnalogConnection = Object.assign(base, {
      mode,
      lineText: '',
      skipLf: false,
      voice: undefined,
      voiceExit: undefined,
      decoder: new DleDecoder({ data: (b) => c.voice?.pushData(b), event: (code) => this.x.calls.onDleEvent(c, code) }),
    });
    return c;
  }

  feed(c: AnalogConnection, chunk: Buffer): void {
    feedTty(c, chunk, () => this.x.calls.onVoiceEnded(c));
  }

  isUrc(line: string): boolean {
    return URC_PREFIXES.some((p) => line.startsWith(p)) || isCallerIdLine(line);
  }

  onUrc(c: AnalogConnection, line: string): void {
    if (c.voiceExit && (line === 'OK' || line === 'VCON')) return c.voiceExit.final();
    if (line === 'RING') return this.x.calls.onRing(c);
    if (isCallerIdLine(line)) return this.x.calls.onCallerIdLine(c, line);
    this.x.log.debug({ line }, 'URC ignored');
  }

  async init(c: AnalogConnection): Promise<boolean> {
    const e = c.engine;
    // ATZ puts the modem back to its profile; some take a while. A modem that refuses ATZ still gets
    // the handshake below; one that does not answer at all may be in a call left by a killed run.
    const reset = await e.send('ATZ', { timeout: 'normal' }).then(
      () => true,
      () => false,
    );
    if (!reset && !c.dead) await this.hangUpStaleCall(c);
    await handshake(c);
    await e.send('ATE0');
    await e.send('AT+FCLASS=8').catch((err: Error) => {
      throw new LineError('init-failed', `not a voice modem (AT+FCLASS=8: ${err.message})`);
    });
    // Dial-outs: with the ringback timers ATD's OK waits for the callee; a modem that refuses them
    // still dials, but its OK comes while the callee's phone rings (logged; see README).
    const [vra, vrn] = ringbackCommands(this.x.ringback);
    this.answerDetection = await e.send(vra).then(
      () => e.send(vrn).then(() => true),
    ).catch((err: Error) => {
      this.x.log.warn({ err: err.message }, 'modem refused the ringback timers: dial-outs count as answered as soon as dialled');
      return false;
    });
    // Without caller ID the line still answers; the caller is then unknown.
    await e.send('AT+VCID=1').catch((err: Error) => this.x.log.warn({ err: err.message }, 'caller ID not enabled'));
    const vsm = await e.send('AT+VSM=?');
    const format = chooseFormat(vsm.lines);
    if (!format) throw new LineError('init-failed', `no usable 8 kHz voice format in AT+VSM=?: ${vsm.lines.join(' | ')}`);
    await e.send(`AT+VSM=${format.cml},8000`);
    this.format = format;
    this.x.log.info({ cml: format.cml, name: format.name, kind: format.kind }, 'voice format chosen');
    // Informational: which line devices the modem can route to (0 = on hook, 1 = the line).
    const vls = await e.send('AT+VLS=?').catch(() => undefined);
    if (vls) this.x.log.debug({ vls: vls.lines }, 'AT+VLS=?');
    await e.send('AT+VLS=0', { acceptVcon: true }).catch(() => undefined); // on hook if it can; an idle modem may refuse +VLS
    return !c.dead;
  }

  /**
   * No answer to ATZ: a predecessor killed mid-call (kill -9) may have left the modem off hook in
   * voice mode, where it takes our text for audio while the caller sits on a dead line. Leave voice
   * mode the V.253 way (<DLE><ETX>, then <DLE>!) and go on hook (AT+VLS=0, else ATH); a modem that
   * confirms the end of voice mode was in a call nobody handled.
   */
  private async hangUpStaleCall(c: AnalogConnection): Promise<void> {
    c.mode = 'voice';
    c.skipLf = false;
    c.decoder.reset();
    const wasInCall = await toOnHook(c, this.x.calls.voiceExitMs, this.x.log);
    if (wasInCall) this.x.log.warn({ port: this.x.port }, 'analog modem was still in a call nobody handles (restart after a crash); hung up');
  }

  mayPing(c: AnalogConnection): boolean {
    return c.mode === 'command' && this.x.calls.idle;
  }

  release(c: AnalogConnection): void {
    this.x.calls.release();
    c.voice?.close();
    c.voice = undefined;
  }
}
