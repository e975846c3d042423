import type { Logger } from 'pino';
import { AtCommandError } from '../at/results.js';
import { LineError } from '../modem/errors.js';
import { closePort, type ModemPort, type PortOpener } from '../modem/port.js';
import { handshake, type ModemConnection, type ModemPersonality, type ModemSession, type OpenedPorts } from '../modem/session.js';
import type { DialectProfile } from './dialects/index.js';
import type { GsmCalls } from './calls.js';
import type { GsmHealth } from './health-monitor.js';
import { digitsLine } from './health.js';
import { findByImei, type PortPair } from './scan.js';
import { hangUpStaleCall } from './stale-call.js';
import type { SmsInbox } from './sms-inbox.js';

/** A GSM module's connection: the AT tty and, for calls with audio, the voice tty. */
export interface GsmConnection extends ModemConnection {
  voice: ModemPort | undefined;
  simReady: boolean;
}

/** URCs every dialect shares. Lines starting with these are never part of a command's answer. */
const COMMON_URCS = ['RING', '+CLIP:', '+CMTI:', '+CDSI:', '+CREG:', '+CRING:', '+CUSD:', '+CDS:', '+CMT:', '+CLCC:'];

/** What a module says once it has booted after a reset. */
const BOOT_URCS: Record<DialectProfile['name'], string[]> = {
  huawei: ['^SYSSTART', '^BOOT:'],
  quectel: ['RDY'],
  simcom: ['RDY', 'PB DONE'],
};

export interface GsmPorts {
  atPort?: string | undefined;
  voicePort?: string | undefined;
  imei?: string | undefined;
  candidatePorts?: PortPair[] | undefined;
  baudRate?: number | undefined;
}

/**
 * The GSM personality of a modem session: which ports (fixed, or found by IMEI), the init
 * sequence, the URCs, and where each URC goes (call control, SMS, health).
 */
export class GsmModem implements ModemPersonality<GsmConnection> {
  readonly reset: string | null;
  readonly bootUrcs: readonly string[];

  constructor(
    private readonly x: {
      session: () => ModemSession<GsmConnection>;
      dialect: DialectProfile;
      ports: GsmPorts;
      open: PortOpener;
      normalTimeoutMs: number;
      healthIntervalMs: number;
      log: Logger;
      calls: GsmCalls;
      sms: SmsInbox;
      health: GsmHealth;
    },
  ) {
    this.reset = x.dialect.reset;
    this.bootUrcs = BOOT_URCS[x.dialect.name];
  }

  private async resolvePorts(): Promise<PortPair> {
    const { imei, candidatePorts, atPort, voicePort } = this.x.ports;
    if (imei && candidatePorts?.length) {
      const found = await findByImei(imei, candidatePorts, this.x.log, this.x.normalTimeoutMs);
      if (!found) throw new LineError('imei-not-found', `no modem with IMEI ${imei} among ${candidatePorts.length} candidate ports`);
      return found;
    }
    if (!atPort) throw new LineError('open-failed', 'no atPort and no imei+candidatePorts configured');
    return voicePort ? { at: atPort, voice: voicePort } : { at: atPort };
  }

  async open(): Promise<OpenedPorts> {
    const paths = await this.resolvePorts();
    const open = (path: string): Promise<ModemPort> =>
      this.x.open(path, this.x.ports.baudRate).catch((err: Error) => {
        throw new LineError('open-failed', `open ${path}: ${err.message}`);
      });
    const at = await open(paths.at);
    if (!paths.voice) return { at, ports: [at] };
    try {
      const voice = await open(paths.voice);
      // Flowing mode with a sink: between calls the modem may still send PCM; drop it.
      voice.on('data', () => undefined);
      return { at, ports: [at, voice] };
    } catch (err) {
      await closePort(at);
      throw err;
    }
  }

  attach(base: ModemConnection): GsmConnection {
    return Object.assign(base, { voice: base.ports[1], simReady: false });
  }

  isUrc(line: string): boolean {
    return COMMON_URCS.some((p) => line.startsWith(p)) || this.x.dialect.urcPrefixes.some((p) => line.startsWith(p));
  }

  onUrc(c: GsmConnection, line: string): void {
    this.x.log.debug({ line }, 'URC');
    if (this.x.calls.onUrc(c, line)) return;
    if (this.x.sms.onUrc(c, line)) return;
    this.x.health.onUrc(line);
  }

  async init(c: GsmConnection): Promise<boolean> {
    const e = c.engine;
    await handshake(c);
    await e.send('ATE0');
    await e.send('AT+CMEE=2').catch(() => e.send('AT+CMEE=1'));
    const imei = digitsLine((await e.send('AT+CGSN')).lines, '+CGSN:');
    const status = this.x.session().status;
    if (imei) status.hs.imei = imei;
    if (this.x.ports.imei && imei && imei !== this.x.ports.imei) {
      throw new LineError('imei-not-found', `IMEI ${imei} at ${this.x.ports.atPort ?? '?'} is not the configured ${this.x.ports.imei}`);
    }
    for (const cmd of ['AT+CLIP=1', 'AT+CREG=2', 'AT+CMGF=0', 'AT+CNMI=2,1,0,2,0', 'AT+COPS=3,0', ...this.x.dialect.init]) {
      // Vendor extras vary by firmware: one refused setting is logged, not fatal.
      await e.send(cmd).catch((err: Error) => {
        if (!(err instanceof AtCommandError)) throw err;
        this.x.log.info({ cmd, err: err.message }, 'init command refused');
      });
    }
    if (c.dead) return false;
    // A call the previous run left up (kill -9 mid-call) is hung up before anything else.
    await hangUpStaleCall(e, this.x.dialect.hangup, this.x.log);
    return this.x.health.checkSim(c);
  }

  started(c: GsmConnection): void {
    c.timers.push(setInterval(() => void this.x.health.poll(c), this.x.healthIntervalMs)); // poll catches; the next tick polls again
    if (c.simReady) void this.x.sms.readStored(c); // readStored catches and logs
  }

  mayPing(): boolean {
    return true;
  }

  release(c: GsmConnection): void {
    c.simReady = false;
    this.x.calls.release();
    this.x.sms.release();
  }
}
