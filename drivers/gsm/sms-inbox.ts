import type { Logger } from 'pino';
import type { Sms } from '../line.js';
import { LineError } from '../modem/errors.js';
import type { ModemSession } from '../modem/session.js';
import type { GsmConnection } from './modem.js';
import { SmsAssembler } from './sms/assembler.js';
import { decodeDeliver, decodeStatusReport, encodeSubmit, isStatusReport, type StatusReport, type SubmitPdu } from './sms/pdu.js';
import { SMS_DURING_CALL, SmsNotSent } from './sms/capability.js';
import type { DialectName } from './dialects/index.js';

/**
 * The GSM line's SMS: messages arriving (+CMTI, and those left on the SIM while we were away) are
 * assembled, handed to the sink, and only then deleted from the SIM; sending goes out as PDUs.
 */
export class SmsInbox {
  private readonly assembler = new SmsAssembler();
  /** SIM slots read and not deleted yet: a +CMTI racing the start-up listing must not deliver twice. */
  private readonly taken = new Set<number>();
  received = 0;

  constructor(
    private readonly x: {
      lineId: string;
      session: () => ModemSession<GsmConnection>;
      log: Logger;
      /** Where a received SMS is stored before it is deleted from the SIM; a rejection leaves it there. */
      sink: ((sms: Sms) => Promise<void>) | undefined;
      /** Where delivery reports go before they are deleted from the SIM (same contract as sink). */
      statusSink: ((report: StatusReport & { lineId: string }) => Promise<void>) | undefined;
      /** Whether this modem may send SMS during a call (sms/capability.ts). */
      dialect: DialectName;
      emit: (sms: Sms) => void;
    },
  ) {}

  /** SMS URCs; true when the line was one. */
  onUrc(c: GsmConnection, line: string): boolean {
    // +CDSI: a delivery report stored on the SIM (CNMI ds=2); read like a message.
    if (!line.startsWith('+CMTI:') && !line.startsWith('+CDSI:')) return false;
    const m = /^\+(?:CMTI|CDSI):\s*"?[A-Z]*"?\s*,\s*(\d+)/.exec(line);
    if (m) void this.read(c, Number(m[1])); // read catches and logs; the SMS stays on the SIM for the next listing
    return true;
  }

  async send(to: string, text: string): Promise<void> {
    const c = this.x.session().connection;
    if (!c || !c.simReady) throw new LineError('not-ready', `line ${this.x.lineId} cannot send SMS now`);
    for (const part of encodeSubmit(to, text)) {
      await c.engine.send(`AT+CMGS=${part.tpduLength}`, { prompt: part.hex, timeout: 'long', expect: ['+CMGS:'] });
    }
  }

  /** True when an SMS may go out now: the line is up and idle, or its modem carries SMS during calls. */
  canSend(): boolean {
    const s = this.x.session();
    const c = s.connection;
    return Boolean(c && !c.dead && c.simReady && (!s.leg || SMS_DURING_CALL[this.x.dialect]));
  }

  /**
   * Send one prepared SMS-SUBMIT PDU; resolves with the TP-MR. Rejects with SmsNotSent or
   * AtCommandError (+CMS ERROR) when it certainly did not go out; with anything else (a timeout,
   * the port lost) it may have.
   */
  async submitPdu(pdu: SubmitPdu): Promise<number> {
    const c = this.x.session().connection;
    if (!c || !this.canSend()) throw new SmsNotSent(`line ${this.x.lineId} cannot send SMS now`);
    const r = await c.engine.send(`AT+CMGS=${pdu.tpduLength}`, { prompt: pdu.hex, timeout: 'long', expect: ['+CMGS:'] });
    const m = /^\+CMGS:\s*(\d+)/.exec(r.lines.find((l) => l.startsWith('+CMGS:')) ?? '');
    return m ? Number(m[1]) : -1;
  }

  /** Messages that arrived while we were away are still on the SIM. */
  async readStored(c: GsmConnection): Promise<void> {
    try {
      const r = await c.engine.send('AT+CMGL=4', { expect: ['+CMGL:'], timeout: 'long' });
      for (let i = 0; i < r.lines.length; i++) {
        const m = /^\+CMGL:\s*(\d+)/.exec(r.lines[i]!);
        const pdu = r.lines[i + 1];
        if (m && pdu && !pdu.startsWith('+CMGL:')) await this.handlePdu(c, Number(m[1]), pdu);
      }
    } catch (err) {
      this.x.log.debug({ err: (err as Error).message }, 'listing stored SMS failed');
    }
  }

  private async read(c: GsmConnection, slot: number): Promise<void> {
    try {
      const r = await c.engine.send(`AT+CMGR=${slot}`, { expect: ['+CMGR:'] });
      const at = r.lines.findIndex((l) => l.startsWith('+CMGR:'));
      const pdu = r.lines[at + 1];
      if (at < 0 || !pdu) throw new Error('empty +CMGR answer');
      await this.handlePdu(c, slot, pdu);
    } catch (err) {
      this.x.log.warn({ slot, err: (err as Error).message }, 'reading SMS failed');
    }
  }

  private async handleStatusReport(c: GsmConnection, slot: number, pdu: string): Promise<void> {
    try {
      const r = decodeStatusReport(pdu);
      await this.x.statusSink?.({ ...r, lineId: this.x.lineId });
    } catch (err) {
      this.x.log.warn({ slot, err: (err as Error).message }, 'delivery report not handled; left on the SIM');
      return;
    }
    if (c.dead) return;
    await c.engine
      .send(`AT+CMGD=${slot}`)
      .then(() => this.taken.delete(slot))
      .catch((err: Error) => this.x.log.warn({ slot, err: err.message }, 'deleting report failed'));
  }

  /** A new connection reads the SIM afresh. */
  release(): void {
    this.taken.clear();
  }

  private async handlePdu(c: GsmConnection, slot: number, pdu: string): Promise<void> {
    if (this.taken.has(slot)) return;
    this.taken.add(slot);
    if (isStatusReport(pdu)) return this.handleStatusReport(c, slot, pdu);
    let decoded;
    try {
      decoded = decodeDeliver(pdu);
    } catch (err) {
      // Left on the SIM for a person to look at; never fatal.
      this.x.log.warn({ slot, err: (err as Error).message }, 'undecodable SMS left on SIM');
      return;
    }
    const done = this.assembler.add(decoded, slot);
    if (!done) return;
    const sms: Sms = { lineId: this.x.lineId, from: done.from, text: done.text, receivedAt: new Date().toISOString() };
    if (done.timestamp) sms.sentAt = done.timestamp;
    if (this.x.sink) {
      try {
        await this.x.sink(sms);
      } catch (err) {
        this.x.log.error({ err: (err as Error).message }, 'SMS sink failed; message kept on SIM');
        return;
      }
    }
    this.received++;
    this.x.emit(sms);
    for (const s of done.slots) {
      if (c.dead) return;
      await c.engine
        .send(`AT+CMGD=${s}`)
        .then(() => this.taken.delete(s))
        .catch((err: Error) => this.x.log.warn({ slot: s, err: err.message }, 'deleting SMS failed'));
    }
  }
}
