import { randomInt, randomUUID } from 'node:crypto';
import type { SubmitPdu } from '../../drivers/gsm/sms/pdu.js';
import { SmsNotSent } from '../../drivers/gsm/sms/capability.js';
import { AtCommandError } from '../../drivers/at/results.js';
import { encodeSubmit } from '../../drivers/gsm/sms/pdu.js';
import type { Bus } from '../bus/bus.js';
import type { DomainEvents } from '../bus/events.js';
import type { Logger } from '../log.js';
import type { Db, Tx } from '../store/db.js';

/** A line that can send SMS (a GSM line): the queue needs nothing else from it. */
export interface SmsLine {
  readonly id: string;
  canSendSms(): boolean;
  submitPdu(pdu: SubmitPdu): Promise<number>;
}

export interface SmsQueueOptions {
  db: Db;
  bus: Bus;
  log: Logger;
  lines: () => SmsLine[];
  /** Read at every use, so a reload applies at once. */
  settings: () => SmsSettings;
  now?: () => number;
}

export interface SmsSettings {
  /** PDUs per line per minute. */
  perLinePerMinute: number;
  attempts: number;
  retryAfterMs: number;
  pollMs: number;
}

export interface EnqueueRequest {
  to: string;
  text: string;
  kind?: string;
  callId?: string;
  ticket?: string;
  /** The line the call came in on: tried first. */
  lineId?: string;
}

export type EnqueueResult = { queued: true; id: string; parts: number } | { queued: false; reason: 'opted-out' };

interface MsgRow {
  id: string;
  to_number: string;
  line_id: string | null;
  attempts: number;
}
interface PartRow {
  seq: number;
  pdu: string;
  tpdu_length: number;
  state: string;
  mr: number | null;
  line_id: string | null;
}

const MAX_BACKOFF_MS = 3_600_000;

/**
 * Insert a message and its PDUs in one transaction. The PDUs are encoded once, here, and kept: a
 * retry or a send after a restart writes the very same bytes (same concatenation reference), so
 * a half-sent multipart message is completed, not started again. Used by the daemon and the CLI.
 */
export async function insertSms(tx: Tx, req: EnqueueRequest, now = Date.now()): Promise<EnqueueResult> {
  const opted = await tx.get<{ word: string }>('SELECT word FROM sms_optout WHERE number = ?', [req.to]);
  if (opted) return { queued: false, reason: 'opted-out' };
  const id = `sms-${randomUUID().slice(0, 12)}`;
  const at = new Date(now).toISOString();
  const parts = encodeSubmit(req.to, req.text, randomInt(256), { statusReport: true });
  await tx.run(
    "INSERT INTO sms_out (id, to_number, text, kind, call_id, ticket, line_id, state, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
    [id, req.to, req.text, req.kind ?? 'manual', req.callId ?? null, req.ticket ?? null, req.lineId ?? null, at, at, at],
  );
  for (const [i, p] of parts.entries()) {
    await tx.run("INSERT INTO sms_out_parts (sms_id, seq, pdu, tpdu_length, state) VALUES (?, ?, ?, ?, 'queued')", [id, i + 1, p.hex, p.tpduLength]);
  }
  return { queued: true, id, parts: parts.length };
}

/**
 * The durable SMS send queue. Messages live in sqlite (sms_out, sms_out_parts) from the moment they
 * are queued; the pump sends what is due, one message at a time per line, within each line's rate,
 * never on a line whose modem cannot send during its current call (another line, or later), and
 * retries failures with doubling backoff. A part is marked "sending" before AT+CMGS and "sent" after
 * the modem's +CMGS answer; a part found "sending" at start (the daemon died in between) may or may
 * not have gone out, so it is never sent again: its message becomes "unconfirmed" and an alarm says so.
 */
export class SmsQueue {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Per line: when it may send again (ms). Sends are spaced evenly, 60 s / rate per PDU. */
  private readonly nextFree = new Map<string, number>();
  private readonly busyLines = new Set<string>();
  /** sms-failed is raised: cleared by the next message that goes out. */
  private failedAlarm = false;
  private noLineAlarm = false;

  constructor(private readonly o: SmsQueueOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private emit<K extends keyof DomainEvents>(type: K, data: DomainEvents[K]): void {
    this.o.log.info({ event: type, ...(data as object) }, type);
    this.o.bus.emit(type, data);
  }

  /** Recover what a previous run left, then pump every pollMs (the CLI queues by writing the table). */
  async start(): Promise<void> {
    const stale = await this.o.db.all<{ sms_id: string; seq: number }>("SELECT sms_id, seq FROM sms_out_parts WHERE state = 'sending'");
    if (stale.length) {
      const at = new Date(this.now()).toISOString();
      await this.o.db.transaction(async (tx) => {
        for (const p of stale) {
          await tx.run("UPDATE sms_out_parts SET state = 'unconfirmed' WHERE sms_id = ? AND seq = ?", [p.sms_id, p.seq]);
          await tx.run("UPDATE sms_out SET state = 'unconfirmed', last_error = 'daemon stopped while the modem was sending; not resent to avoid a duplicate', updated_at = ? WHERE id = ?", [at, p.sms_id]);
        }
      });
      const ids = [...new Set(stale.map((p) => p.sms_id))];
      this.emit('alarm', { code: 'sms-unconfirmed', source: 'sms', severity: 'warning', active: true, message: `${ids.length} SMS may or may not have gone out when the daemon stopped (${ids.join(', ')}); not resent` });
    } else if (await this.o.db.get("SELECT 1 AS x FROM alarms WHERE code = 'sms-unconfirmed' AND source = 'sms' AND active = 1")) {
      // Shown for one run: the operator has seen it in the status and sms list.
      this.emit('alarm', { code: 'sms-unconfirmed', source: 'sms', severity: 'warning', active: false, message: 'no SMS left unconfirmed by this start' });
    }
    this.timer = setInterval(() => this.kick(), this.o.settings().pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // A send in flight finishes (its +CMGS is recorded) before the store closes.
    await this.running;
  }

  async enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
    const r = await this.o.db.transaction((tx) => insertSms(tx, req, this.now()));
    if (r.queued) this.emit('sms.queued', { id: r.id, to: req.to, kind: req.kind ?? 'manual', parts: r.parts, ...(req.callId ? { callId: req.callId } : {}), ...(req.ticket ? { ticket: req.ticket } : {}) });
    else this.o.log.info({ to: req.to, kind: req.kind }, 'SMS not queued: the number opted out');
    this.kick();
    return r;
  }

  /** Queued messages to this number are cancelled (opt-out). */
  async cancelTo(number: string, reason: string): Promise<number> {
    const r = await this.o.db.run("UPDATE sms_out SET state = 'cancelled', last_error = ?, updated_at = ? WHERE to_number = ? AND state = 'queued' AND NOT EXISTS (SELECT 1 FROM sms_out_parts p WHERE p.sms_id = sms_out.id AND p.state != 'queued')", [reason, new Date(this.now()).toISOString(), number]);
    return r.changes;
  }

  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pump()
      .catch((err: unknown) => this.o.log.error({ err }, 'SMS queue pump failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** A line for this message now: its own line first, then any other that can send and is due. */
  private pickLine(preferred: string | null): SmsLine | undefined {
    const ok = (l: SmsLine) => !this.busyLines.has(l.id) && l.canSendSms() && this.now() >= (this.nextFree.get(l.id) ?? 0);
    const lines = this.o.lines();
    return lines.find((l) => l.id === preferred && ok(l)) ?? lines.find(ok);
  }

  private async pump(): Promise<void> {
    const due = await this.o.db.all<MsgRow>("SELECT id, to_number, line_id, attempts FROM sms_out WHERE state = 'queued' AND next_at <= ? ORDER BY created_at LIMIT 50", [new Date(this.now()).toISOString()]);
    const sends: Promise<void>[] = [];
    // Messages waiting with no line that could ever send them (no GSM line configured): say so.
    const none = due.length > 0 && this.o.lines().length === 0;
    if (none !== this.noLineAlarm) {
      this.noLineAlarm = none;
      this.emit('alarm', { code: 'sms-no-line', source: 'sms', severity: 'warning', active: none, message: none ? `${due.length} SMS waiting and no GSM line to send them` : 'a GSM line can send the waiting SMS' });
    }
    for (const m of due) {
      if (this.closed) break;
      const parts = await this.o.db.all<PartRow>("SELECT seq, pdu, tpdu_length, state, mr, line_id FROM sms_out_parts WHERE sms_id = ? ORDER BY seq", [m.id]);
      const line = this.pickLine(m.line_id);
      if (!line) continue; // every line busy, in a call or at its rate: the next pump tries again
      // One message at a time per line; different lines send in parallel.
      this.busyLines.add(line.id);
      sends.push(this.send(m, parts, line).finally(() => this.busyLines.delete(line.id)));
    }
    await Promise.all(sends);
  }

  private async send(m: MsgRow, parts: PartRow[], line: SmsLine): Promise<void> {
    const db = this.o.db;
    const attempts = m.attempts + 1;
    try {
      for (const p of parts) {
        if (p.state !== 'queued') continue;
        if (!line.canSendSms()) throw new Error(`line ${line.id} became unavailable`);
        await db.run("UPDATE sms_out_parts SET state = 'sending', line_id = ? WHERE sms_id = ? AND seq = ?", [line.id, m.id, p.seq]);
        let mr: number;
        try {
          mr = await line.submitPdu({ hex: p.pdu, tpduLength: p.tpdu_length });
        } catch (err) {
          if (!(err instanceof SmsNotSent || err instanceof AtCommandError)) {
            // No answer from the modem after the PDU went to it: it may have been sent. Never again.
            const at = new Date(this.now()).toISOString();
            await db.run("UPDATE sms_out_parts SET state = 'unconfirmed' WHERE sms_id = ? AND seq = ?", [m.id, p.seq]);
            await db.run("UPDATE sms_out SET state = 'unconfirmed', attempts = ?, last_error = ?, updated_at = ? WHERE id = ?", [attempts, `no answer from the modem (${(err as Error).message}); not resent to avoid a duplicate`, at, m.id]);
            this.emit('alarm', { code: 'sms-unconfirmed', source: 'sms', severity: 'warning', active: true, message: `SMS ${m.id} may or may not have gone out (${(err as Error).message}); not resent` });
            return;
          }
          // The modem answered with an error (or the line refused before writing): not sent.
          await db.run("UPDATE sms_out_parts SET state = 'queued', line_id = NULL WHERE sms_id = ? AND seq = ?", [m.id, p.seq]);
          throw err;
        }
        this.nextFree.set(line.id, this.now() + 60_000 / this.o.settings().perLinePerMinute);
        p.state = 'sent';
        p.mr = mr;
        p.line_id = line.id;
        await db.run("UPDATE sms_out_parts SET state = 'sent', mr = ?, sent_at = ? WHERE sms_id = ? AND seq = ?", [mr, new Date(this.now()).toISOString(), m.id, p.seq]);
      }
      const at = new Date(this.now()).toISOString();
      await db.run("UPDATE sms_out SET state = 'sent', attempts = ?, sent_at = ?, updated_at = ?, last_error = NULL WHERE id = ? AND state = 'queued'", [attempts, at, at, m.id]);
      this.emit('sms.sent', { id: m.id, to: m.to_number, lineId: line.id, parts: parts.length, mrs: parts.map((p) => p.mr ?? -1), attempts });
      if (this.failedAlarm) {
        this.failedAlarm = false;
        this.emit('alarm', { code: 'sms-failed', source: 'sms', severity: 'warning', active: false, message: 'SMS go out again' });
      }
    } catch (err) {
      const error = (err as Error).message;
      const s = this.o.settings();
      const final = attempts >= s.attempts;
      const retryAt = new Date(this.now() + Math.min(MAX_BACKOFF_MS, s.retryAfterMs * 2 ** (attempts - 1)));
      const at = new Date(this.now()).toISOString();
      await db.run('UPDATE sms_out SET state = ?, attempts = ?, next_at = ?, last_error = ?, updated_at = ? WHERE id = ?', [final ? 'failed' : 'queued', attempts, retryAt.toISOString(), error, at, m.id]);
      this.emit('sms.failed', { id: m.id, to: m.to_number, attempts, error, final, ...(final ? {} : { retryAt: retryAt.toISOString() }) });
      if (final) this.failedAlarm = true;
      if (final) this.emit('alarm', { code: 'sms-failed', source: 'sms', severity: 'warning', active: true, message: `SMS ${m.id} failed after ${attempts} tries: ${error}` });
    }
  }
}
