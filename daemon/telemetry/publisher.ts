import type { MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { outboxSignal, type OutboxRow } from '../store/outbox.js';

/**
 * Drains the outbox to the broker: rows in seq order, QoS 1, a small window in flight, each row
 * deleted only after its PUBACK. On every (re)connect it starts again from the lowest seq left, so
 * anything sent but unacknowledged when a connection died goes out again (at-least-once;
 * consumers de-duplicate by id). TCP and the broker keep one connection's publishes in order, so
 * what a consumer first sees of each id is always in seq order.
 */

export interface PublisherOptions {
  db: Db;
  /** frontdesk/<site>/<node> */
  prefix: string;
  log: Logger;
  /** Publishes in flight at once (mosquitto's default receive maximum is 20). */
  window?: number;
  /** Called when the broker refuses a publish (PUBACK reason >= 0x80): the connection is recycled. */
  onRefused?: (reason: string) => void;
}

export class Publisher {
  private client: MqttClient | undefined;
  private session = 0;
  private cursor = 0;
  private inflight = 0;
  private pumping = false;
  private again = false;
  private acked: number[] = [];
  private deleting: Promise<void> = Promise.resolve();
  private retryDelete: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly window: number;
  private readonly offSignal: () => void;
  private poll: NodeJS.Timeout;
  /** Rows acknowledged and deleted since start. */
  sent = 0;

  constructor(private readonly opts: PublisherOptions) {
    this.window = opts.window ?? 16;
    const signal = outboxSignal(opts.db);
    const wake = (): void => this.pump();
    signal.on('appended', wake);
    this.offSignal = () => signal.off('appended', wake);
    // Rows may also come from another process writing the same store; a slow poll covers them.
    this.poll = setInterval(wake, 5000);
    this.poll.unref();
  }

  attach(client: MqttClient): void {
    this.session++;
    this.client = client;
    this.cursor = 0;
    this.inflight = 0;
    // Acked rows must be gone before we read again, or they would be sent twice.
    void this.deleting.then(() => this.pump()); // deleting never rejects (flushAcks catches); pump reports its own failures
  }

  detach(): void {
    this.session++;
    this.client = undefined;
    this.inflight = 0;
  }

  /**
   * Stop: publishes already sent get up to settleMs for their PUBACK (each one missed would be
   * sent again by the next run), nothing new is sent, acknowledged rows are deleted.
   */
  async close(settleMs = 1000): Promise<void> {
    this.closing = true;
    const until = Date.now() + settleMs;
    while (this.client?.connected && this.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.detach();
    clearInterval(this.poll);
    clearTimeout(this.retryDelete);
    this.offSignal();
    return this.flushAcks();
  }

  /** Send what fits in the window. Re-entrant calls coalesce into one more round. */
  pump(): void {
    if (!this.client || this.closing) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.round()
      .catch((err: unknown) => this.opts.log.error({ err }, 'outbox: read failed'))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async round(): Promise<void> {
    for (;;) {
      const client = this.client;
      const session = this.session;
      const room = this.window - this.inflight;
      if (!client || room <= 0 || this.closing) return;
      const rows = await this.opts.db.all<OutboxRow>('SELECT seq, id, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?', [this.cursor, room]);
      if (session !== this.session || rows.length === 0) return;
      for (const row of rows) {
        this.cursor = row.seq;
        this.inflight++;
        client.publish(`${this.opts.prefix}/${row.topic}`, row.payload, { qos: 1 }, (err) => {
          if (session !== this.session) return; // that connection is gone; the row stays for the next one
          if (err) {
            const code = (err as Error & { code?: number }).code;
            if (typeof code === 'number') {
              this.opts.log.error({ seq: row.seq, code, err: err.message }, 'outbox: the broker refused a publish; reconnecting and retrying it later');
              this.detach();
              this.opts.onRefused?.(err.message);
            }
            return;
          }
          this.inflight--;
          this.acked.push(row.seq);
          void this.flushAcks();
          this.pump();
        });
      }
    }
  }

  /**
   * Delete acknowledged rows in one statement (one fsync) rather than one per row. When the store
   * cannot write (disk full, locked), they are kept and the delete is retried: rows left behind
   * would be sent again after a restart (harmless, consumers de-duplicate by id, but noisy).
   * Never rejects, so publish callbacks fire and forget it.
   */
  private flushAcks(): Promise<void> {
    this.deleting = this.deleting.then(async () => {
      if (this.acked.length === 0) return;
      const seqs = this.acked;
      this.acked = [];
      try {
        await this.opts.db.run(`DELETE FROM outbox WHERE seq IN (${seqs.map(() => '?').join(',')})`, seqs);
        this.sent += seqs.length;
        const left = await this.opts.db.get<{ one: number }>('SELECT 1 AS one FROM outbox LIMIT 1');
        if (!left) outboxSignal(this.opts.db).emit('drained');
      } catch (err) {
        this.acked = seqs.concat(this.acked);
        if (!this.retryDelete) {
          this.opts.log.warn({ err, rows: this.acked.length }, 'outbox: could not delete acknowledged rows; retrying');
          this.retryDelete = setTimeout(() => {
            this.retryDelete = undefined;
            void this.flushAcks();
          }, 1000);
          this.retryDelete.unref();
        }
      }
    });
    return this.deleting;
  }
}
