import type { Logger } from 'pino';
import { AtCommandError, CME_SIM_NOT_INSERTED } from '../at/results.js';
import type { LineHealth } from '../line.js';
import type { ModemSession } from '../modem/session.js';
import type { DialectProfile } from './dialects/index.js';
import { csqToDbm, digitsLine, parseCops, parseCpin, parseCreg } from './health.js';
import type { GsmConnection } from './modem.js';

/**
 * The GSM line's health: SIM state (a missing SIM is an alarm and a periodic recheck, never a
 * crash), signal, registration and operator, from polls and from the URCs that report them.
 */
export class GsmHealth {
  private pinRejected = false;

  constructor(
    private readonly x: {
      session: () => ModemSession<GsmConnection>;
      dialect: DialectProfile;
      simPin: string | undefined;
      simRetryMs: number;
      log: Logger;
      /** The SIM became ready later (a recheck): the line is in service now. */
      simReadyLater: (c: GsmConnection) => void;
    },
  ) {}

  private get status() {
    return this.x.session().status;
  }

  /** SIM state decides ready vs down. True when the SIM is ready (IMSI, ICCID and a health poll done). */
  async checkSim(c: GsmConnection): Promise<boolean> {
    const e = c.engine;
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
    if (sim === 'pin-required' && this.x.simPin && !this.pinRejected) {
      await e.send(`AT+CPIN="${this.x.simPin}"`).catch((err: Error) => {
        if (err instanceof AtCommandError) this.pinRejected = true;
        this.x.log.warn({ err: err.message }, 'SIM PIN refused');
      });
      const r = await e.send('AT+CPIN?', { expect: ['+CPIN:'] }).catch(() => undefined);
      sim = r ? parseCpin(r.lines.find((l) => l.startsWith('+CPIN:')) ?? '') : 'error';
    }
    this.status.hs.sim = sim;
    if (sim !== 'ready') {
      c.simReady = false;
      const code = sim === 'missing' ? 'sim-missing' : 'sim-not-ready';
      this.status.raise(code, `SIM ${sim}`);
      this.status.setState('down', `sim-${sim}`);
      c.timers.push(setTimeout(() => void this.recheck(c), this.x.simRetryMs));
      return false;
    }
    this.status.clear('sim-missing');
    this.status.clear('sim-not-ready');
    c.simReady = true;
    const imsi = digitsLine((await e.send('AT+CIMI').catch(() => ({ lines: [] as string[] }))).lines);
    if (imsi) this.status.hs.imsi = imsi;
    const ic = this.x.dialect.iccid;
    const iccid = digitsLine((await e.send(ic.command, { expect: [ic.prefix] }).catch(() => ({ lines: [] as string[] }))).lines, ic.prefix);
    if (iccid) this.status.hs.iccid = iccid;
    await this.poll(c, true);
    return !c.dead;
  }

  private async recheck(c: GsmConnection): Promise<void> {
    try {
      if (c.dead) return;
      if (await this.checkSim(c)) this.x.simReadyLater(c);
    } catch (err) {
      this.x.log.warn({ err: (err as Error).message }, 'SIM recheck failed');
    }
  }

  async poll(c: GsmConnection, force = false): Promise<void> {
    const session = this.x.session();
    if (c.dead || (!force && (session.callSetupPending || this.status.hs.state !== 'ready'))) return;
    const e = c.engine;
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
      this.x.log.debug({ err: (err as Error).message }, 'health poll failed');
    }
  }

  /** Health URCs; true when the line was one. */
  onUrc(line: string): boolean {
    if (line.startsWith('+CREG:')) {
      const reg = parseCreg(line, false);
      if (reg) {
        this.status.hs.registration = reg;
        this.status.emitHealth();
      }
      return true;
    }
    if (line.startsWith('^RSSI:')) {
      const n = Number(line.slice(6));
      if (n >= 0 && n <= 31) this.status.hs.signalDbm = -113 + 2 * n;
      return true;
    }
    if (line.startsWith('+CPIN:') && parseCpin(line) === 'missing') {
      this.status.hs.sim = 'missing';
      this.status.raise('sim-missing', 'SIM removed');
      this.status.setState('down', 'sim-missing');
      return true;
    }
    return false;
  }
}
