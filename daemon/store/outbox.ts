import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../bus/events.js';
import type { Db, Tx } from './db.js';
import { maskReport } from './mask.js';

/**
 * The transactional outbox: rows appended in the same transaction as the domain record they report,
 * published in seq order by daemon/telemetry/publisher.ts and deleted only once the broker has
 * acknowledged them.
 */

/** Version of every JSON payload Frontdesk publishes. Bump only on an incompatible change. */
export const SCHEMA_VERSION = 1;

export interface OutboxRow {
  seq: number;
  id: string;
  topic: string;
  payload: string;
}

/** Where an event goes: the topic below frontdesk/<site>/<node>/ and whether it may be dropped at the bound. */
export interface Route {
  topic: 'events' | 'alarms';
  droppable: boolean;
}

export interface PayloadContext {
  site: string;
  node: string;
  mask: boolean;
}

/** The JSON every outbox message carries (events and alarms topics). */
export interface ReportPayload {
  schema: number;
  id: string;
  seq: number;
  type: string;
  at: string;
  site: string;
  node: string;
  data: unknown;
}

export interface Bound {
  maxEvents: number;
}

export type AppendResult = { appended: true; seq: number; id: string; overBound: boolean } | { appended: false; reason: 'dropped-at-bound' };

/**
 * Append one report in the caller's transaction. At the bound (maxEvents rows waiting) a droppable
 * report is not queued, and a non-droppable one first evicts the oldest droppable row and is then
 * queued regardless: call and system events are never dropped; the bound is then exceeded and the
 * caller raises a critical alarm.
 */
export async function appendOutbox(tx: Tx, event: Envelope, route: Route, ctx: PayloadContext, bound?: Bound): Promise<AppendResult> {
  let overBound = false;
  if (bound) {
    const r = await tx.get<{ lo: number | null; hi: number | null }>('SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM outbox');
    // hi - lo + 1 is an upper bound on the row count and costs two index probes; count exactly
    // only when it says we may be near the bound.
    let n = r?.lo == null || r.hi == null ? 0 : r.hi - r.lo + 1;
    if (n >= bound.maxEvents) n = (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n ?? 0;
    if (n >= bound.maxEvents) {
      if (route.droppable) return { appended: false, reason: 'dropped-at-bound' };
      const ev = await tx.run('DELETE FROM outbox WHERE seq = (SELECT seq FROM outbox WHERE droppable = 1 ORDER BY seq LIMIT 1)');
      overBound = ev.changes === 0;
    }
  }
  // seq is the AUTOINCREMENT value this row will get; the transaction holds the write lock, so it
  // is known here and can go into the stored payload.
  const s = await tx.get<{ seq: number }>("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1 AS seq");
  const seq = s!.seq;
  const id = event.id ?? randomUUID();
  const payload: ReportPayload = {
    schema: SCHEMA_VERSION,
    id,
    seq,
    type: event.type,
    at: event.at,
    site: ctx.site,
    node: ctx.node,
    data: ctx.mask ? maskReport(event.data) : event.data,
  };
  await tx.run('INSERT INTO outbox (seq, id, topic, payload, created_at, droppable) VALUES (?, ?, ?, ?, ?, ?)', [seq, id, route.topic, JSON.stringify(payload), new Date().toISOString(), route.droppable ? 1 : 0]);
  return { appended: true, seq, id, overBound };
}

export async function outboxSize(db: Pick<Db, 'get'>): Promise<number> {
  return (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n ?? 0;
}

/**
 * Per-database signal between the recorder (rows appended) and the publisher (rows to send): they
 * are separate extensions and must not hold references to each other.
 */
export interface OutboxSignal extends EventEmitter<{ appended: []; drained: []; dropped: [] }> {}
const signals = new WeakMap<Db, OutboxSignal>();
export function outboxSignal(db: Db): OutboxSignal {
  let s = signals.get(db);
  if (!s) {
    s = new EventEmitter();
    s.setMaxListeners(50);
    signals.set(db, s);
  }
  return s;
}
