import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Envelope, EventName } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import { WEBHOOK_EVENTS } from '../config/webhook-events.js';
import { durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Db, Tx } from '../store/db.js';


type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => unknown;

/**
 * Queue a chosen event for the CRM in the same transaction as its record: written once, kept until
 * the CRM answered 2xx. `config` is read at each event, so a reload changes what is sent.
 */
export function registerWebhookWriters(register: Register, config: () => Config | undefined): void {
  for (const type of WEBHOOK_EVENTS) {
    register(type, async (tx, ev) => {
      const c = config();
      const w = c?.webhook;
      if (!c || !w || !(w.events as readonly string[]).includes(ev.type)) return;
      const id = randomUUID();
      const body = JSON.stringify({ id, type: ev.type, at: ev.at, site: c.site, node: c.node, data: ev.data });
      await tx.run('INSERT INTO webhook_outbox (id, event, body, next_at, created_at) VALUES (?, ?, ?, ?, ?)', [id, ev.type, body, ev.at, ev.at]);
    });
  }
}

/** X-Frontdesk-Signature: "sha256=" + HMAC-SHA256(secret, timestamp + "." + body), hex. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

interface Row {
  seq: number;
  id: string;
  event: string;
  body: string;
  attempts: number;
}

/**
 * Sends the webhook outbox in order, one request at a time: POST, HMAC-signed, with the delivery id
 * (receivers drop a repeat by it). A row is deleted only after a 2xx; otherwise it is retried with
 * doubling backoff (retry_after, at most 10 min) and the webhook-failing alarm is raised until a
 * request succeeds again. Order is kept: a failing head waits, nothing overtakes it.
 */
export class WebhookSender {
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private closed = false;
  private failing = false;

  constructor(private readonly o: { db: Db; log: Logger; config: () => Config; alarm: (active: boolean, message: string) => void; pollMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }

  kick(): void {
    if (this.busy || this.closed) return;
    this.busy = this.drain()
      .catch((err: unknown) => this.o.log.error({ err }, 'webhook drain failed'))
      .finally(() => (this.busy = undefined));
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const w = this.o.config().webhook;
      if (!w) return;
      const row = await this.o.db.get<Row & { next_at: string }>('SELECT seq, id, event, body, attempts, next_at FROM webhook_outbox ORDER BY seq LIMIT 1');
      if (!row || row.next_at > new Date().toISOString()) return;
      try {
        await this.post(w, row);
        await this.o.db.run('DELETE FROM webhook_outbox WHERE seq = ?', [row.seq]);
        if (this.failing) {
          this.failing = false;
          this.o.alarm(false, 'the CRM webhook accepts deliveries again');
        }
      } catch (err) {
        const attempts = row.attempts + 1;
        const wait = Math.min(600_000, durationOr(w.retry_after, '5s') * 2 ** (attempts - 1));
        await this.o.db.run('UPDATE webhook_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?', [attempts, new Date(Date.now() + wait).toISOString(), (err as Error).message, row.seq]);
        if (!this.failing) {
          this.failing = true;
          this.o.alarm(true, `CRM webhook failing (${(err as Error).message}); deliveries are kept and retried`);
        }
        this.o.log.warn({ err: (err as Error).message, delivery: row.id, attempts, retryInMs: wait }, 'webhook delivery failed');
        return;
      }
    }
  }

  private post(w: NonNullable<Config['webhook']>, row: Row): Promise<void> {
    const url = new URL(w.url);
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(row.body),
      'x-frontdesk-event': row.event,
      'x-frontdesk-delivery': row.id,
      'x-frontdesk-timestamp': ts,
      'x-frontdesk-signature': sign(w.secret, ts, row.body),
    };
    const timeout = durationOr(w.timeout, '10s');
    return new Promise<void>((resolve, reject) => {
      const opts = { method: 'POST', headers, timeout, ...(w.ca ? { ca: readFileSync(w.ca) } : {}) };
      const req = request(url, opts, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
      req.on('error', reject);
      req.end(row.body);
    });
  }
}
